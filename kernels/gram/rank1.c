#include "rank1.h"
#include "orthoconv_config.h"

/* The reference: each row's W v and each product in double, as the reg_grad
 * reference sums W A. */
void orthoconv_rank1__scalar(size_t K, size_t N, const float *w, const float *v, const float *cv,
    const unsigned char *trainable, float *grad) {
  for (size_t k = 0; k < K; k++) {
    double u = 0.0;
    for (size_t j = 0; j < N; j++) u += (double)w[k * N + j] * (double)v[j];
    for (size_t n = 0; n < N; n++)
      if (!trainable || trainable[n]) grad[k * N + n] += (float)(u * (double)cv[n]);
  }
}

orthoconv_rank1_fn *orthoconv_priv_rank1(orthoconv_isa isa) {
  switch (isa) {
#if ORTHOCONV_HAVE_AVX2
  case ORTHOCONV_ISA_AVX2: return orthoconv_rank1__avx2;
#endif
#if ORTHOCONV_HAVE_AVX512
  case ORTHOCONV_ISA_AVX512: return orthoconv_rank1__avx512;
#endif
#if ORTHOCONV_HAVE_NEON
  case ORTHOCONV_ISA_NEON: return orthoconv_rank1__neon;
#endif
  default: return orthoconv_rank1__scalar;
  }
}
