#include <stdint.h>
#include <string.h>
#include "pack.h"
#include "orthoconv_config.h"

size_t orthoconv_priv_pack_k16_floats(size_t K, size_t npad) {
  size_t kp, n;
  if (__builtin_add_overflow(K, (size_t)15, &kp)) return 0;
  kp &= ~(size_t)15;
  if (__builtin_mul_overflow(kp, npad, &n) || n > SIZE_MAX / sizeof(float)) return 0;
  return n;
}

/* The layer's layout is one block of all K rows and npad filters. */
void orthoconv_priv_pack_k16(size_t K, size_t N, size_t npad, const float *w, float *p) {
  orthoconv_pack_k16_block__scalar(w, N, 0, K, 0, N, npad, p);
}

size_t orthoconv_priv_pack_panel_floats(size_t K, size_t N, size_t nr) {
  size_t np, n;
  if (__builtin_add_overflow(N, nr - 1, &np)) return 0;
  np = np / nr * nr;
  if (__builtin_mul_overflow(np, K, &n) || n > SIZE_MAX / sizeof(float)) return 0;
  return n;
}

void orthoconv_priv_pack_panel(size_t K, size_t N, size_t nr, const float *w, float *p) {
  for (size_t n0 = 0; n0 < N; n0 += nr)
    for (size_t k = 0; k < K; k++, p += nr)
      for (size_t j = 0; j < nr; j++) p[j] = n0 + j < N ? w[k * N + n0 + j] : 0.0f;
}

/* K16 block: p[(kb * nr + n) * 16 + j] = W[k0 + 16 kb + j][n0 + n], zero past kl and nc.
 * Filter by filter, 16 k at a time (contiguous stores, no test per element):
 * 14% of the raw forward's time at M = 3136 went into an element-wise form with
 * tests, 9% with this one. */
void orthoconv_pack_k16_block__scalar(const float *w, size_t N, size_t k0, size_t kl, size_t n0, size_t nc,
    size_t nr, float *p) {
  const size_t kbs = (kl + 15) / 16;
  for (size_t kb = 0; kb < kbs; kb++, p += 16 * nr) {
    const size_t rows = kl - 16 * kb < 16 ? kl - 16 * kb : 16;
    if (rows < 16 || nc < nr) memset(p, 0, 16 * nr * sizeof *p);
    const float *r = w + (k0 + 16 * kb) * N + n0;
    for (size_t n = 0; n < nc; n++)
      for (size_t j = 0; j < rows; j++) p[n * 16 + j] = r[j * N + n];
  }
}

orthoconv_pack_k16_block_fn *orthoconv_priv_pack_k16_block(orthoconv_isa isa) {
#if ORTHOCONV_HAVE_AVX512
  if (isa == ORTHOCONV_ISA_AVX512) return orthoconv_pack_k16_block__avx512;
#endif
#if ORTHOCONV_HAVE_AVX2
  if (isa == ORTHOCONV_ISA_AVX2) return orthoconv_pack_k16_block__avx2;
#endif
#if ORTHOCONV_HAVE_NEON
  if (isa == ORTHOCONV_ISA_NEON) return orthoconv_pack_k16_block__neon;
#endif
  (void)isa;
  return orthoconv_pack_k16_block__scalar;
}
