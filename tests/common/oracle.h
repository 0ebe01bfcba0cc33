/* Double-precision oracles, written from shared/REFERENCE.md independently of the
 * library's code. Each also returns the sum of |products| that bounds the error. */
#ifndef ORTHOCONV_ORACLE_H
#define ORTHOCONV_ORACLE_H
#include <stddef.h>
#include "orthoconv.h"

/* pre[m*N+n] = bias[n] + sum_k x w; bound[m*N+n] = |bias| + sum_k |x w|. */
void oracle_forward_pre(size_t M, size_t K, size_t N, const float *x, size_t ldx,
    const float *w, const float *bias, double *pre, double *bound);
/* In place on one row of N pre-activations. */
void oracle_activation(double *row, size_t N, orthoconv_activation act);
void oracle_backward_data(size_t M, size_t K, size_t N, const float *dy, size_t lddy,
    const float *w, double *dx, double *bound);
void oracle_backward_weights(size_t M, size_t K, size_t N, const float *x, size_t ldx,
    const float *dy, size_t lddy, double *dw, double *bound, double *dbias, double *bbound);
void oracle_gram(size_t K, size_t N, const double *w, double *g, double *bound);

/* R(W) for each regularizer, W in double. */
double oracle_reg_value(orthoconv_regularizer kind, size_t K, size_t N, const double *w);
/* dR/dW (K x N) by the closed forms of REFERENCE.md. Returns 0 if the subgradient is
 * ill-defined for this W (a near-tie for the maximum), else 1. */
int oracle_reg_grad(orthoconv_regularizer kind, size_t K, size_t N, const double *w, double *grad);
/* The error allowed in act(pre) given the pre-activation bound (and, for softmax,
 * the largest bound of the row): the contract's 1e-5 * bound through the
 * activation's slope, plus a few ulps of SLEEF's u10 functions. */
double oracle_post_tolerance(orthoconv_activation act, double want, double bound, double row_bound);
#endif
