/* The N x N half of every regularizer: from G = W^T W to the penalty R and the
 * coefficient matrix A with dR/dW = W A (shared/REFERENCE.md has the maths).
 * Baseline code in double: N is small, W-sized work stays in the kernels. */
#ifndef ORTHOCONV_REG_MATHS_H
#define ORTHOCONV_REG_MATHS_H
#include <stddef.h>
#include "orthoconv.h"

/* Scratch doubles orthoconv_priv_reg_maths needs for an N x N G. */
#define ORTHOCONV_REG_WORK(N) ((N) * (N) + 8 * (N))

/* g: N x N; a: N x N output (may be NULL when only R is wanted); work:
 * ORTHOCONV_REG_WORK(N) doubles. Returns R(W) (unscaled); a is scaled by strength.
 * factors (2 N floats, may be NULL): for SRIP, whose A has rank one, v then c v
 * with A = v (c v)^T, so that the caller can form W A as (W v)(c v)^T (rank1.h);
 * left alone for the other kinds.
 * A NaN in g makes R and every entry of a NaN for the kinds whose choice depends
 * on G (MC, SRIP, KERAS_COLUMNS), as it does through the arithmetic of the others. */
double orthoconv_priv_reg_maths(orthoconv_regularizer kind, float strength, size_t K,
    size_t N, const float *g, float *a, float *factors, double *work);

/* The eigenpair of largest |lambda| of the symmetric n x n matrix s (overwritten):
 * returns lambda, v (n) gets a unit eigenvector. Exact to rounding in a bounded
 * number of steps (eigen_top.c), unlike a few steps of power iteration. NaN in s:
 * NaN out. work: 7 n doubles. */
double orthoconv_priv_top_eigen(size_t n, double *s, double *v, double *work);
#endif
