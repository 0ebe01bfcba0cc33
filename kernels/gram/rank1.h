/* The W A product of a regularizer gradient when A = v cv^T has rank one (SRIP:
 * A = c v v^T for its top eigenvector v): grad += (W v) cv^T, 2 K N multiply-adds
 * instead of the K N^2 of the general product (reg_grad). One variant per ISA,
 * chosen by the ISA of the reg_grad kernel dispatch picked for the shape, as the
 * activation row passes are (kernels/act/act.h): it is a helper of that kernel's
 * call, not an op of its own. */
#ifndef ORTHOCONV_RANK1_H
#define ORTHOCONV_RANK1_H
#include <stddef.h>
#include "orthoconv.h"

/* grad[k*N + n] += (sum_j w[k*N + j] v[j]) cv[n] for each n with trainable[n]
 * (trainable NULL = all); frozen columns of grad are never written. */
typedef void orthoconv_rank1_fn(size_t K, size_t N, const float *w, const float *v, const float *cv,
    const unsigned char *trainable, float *grad);
orthoconv_rank1_fn orthoconv_rank1__scalar, orthoconv_rank1__avx2, orthoconv_rank1__avx512,
    orthoconv_rank1__neon;
/* The variant of isa (the scalar one for an ISA this build lacks). */
orthoconv_rank1_fn *orthoconv_priv_rank1(orthoconv_isa isa);
#endif
