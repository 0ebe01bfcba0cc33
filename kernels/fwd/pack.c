#include <stdint.h>
#include "pack.h"

size_t orthoconv_priv_pack_k16_floats(size_t K, size_t npad) {
  size_t kp, n;
  if (__builtin_add_overflow(K, (size_t)15, &kp)) return 0;
  kp &= ~(size_t)15;
  if (__builtin_mul_overflow(kp, npad, &n) || n > SIZE_MAX / sizeof(float)) return 0;
  return n;
}

void orthoconv_priv_pack_k16(size_t K, size_t N, size_t npad, const float *w, float *p) {
  const size_t kblocks = (K + 15) / 16;
  for (size_t kb = 0; kb < kblocks; kb++)
    for (size_t n = 0; n < npad; n++)
      for (size_t j = 0; j < 16; j++) {
        const size_t k = kb * 16 + j;
        p[(kb * npad + n) * 16 + j] = k < K && n < N ? w[k * N + n] : 0.0f;
      }
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
