/* The N x N half of every regularizer: from G = W^T W to the penalty R and the
 * coefficient matrix A with dR/dW = W A (shared/REFERENCE.md has the maths).
 * Baseline code in double: N is small, W-sized work stays in the kernels. */
#ifndef ORTHOCONV_REG_MATHS_H
#define ORTHOCONV_REG_MATHS_H
#include <stddef.h>
#include "orthoconv.h"

/* g: N x N; a: N x N output (may be NULL when only R is wanted); work: N*N*2 doubles.
 * Returns R(W) (unscaled); a is scaled by strength. */
double orthoconv_priv_reg_maths(orthoconv_regularizer kind, float strength, size_t K,
    size_t N, const float *g, float *a, double *work);

/* Eigen-decomposition of the symmetric n x n matrix s (overwritten: its diagonal
 * ends as the eigenvalues) by cyclic Jacobi; v (n x n) gets the eigenvectors as
 * columns. Exact to rounding, unlike a few steps of power iteration. */
void orthoconv_priv_jacobi_eigen(size_t n, double *s, double *v);
#endif
