/* AVX2+FMA helpers shared by the kernels (masks, the transpose-add tree). Include
 * only from files compiled with the AVX2 flags: never under another flag set
 * (DESIGN.md, "Compiling per ISA"). */
#ifndef ORTHOCONV_AVX2_OPS_H
#define ORTHOCONV_AVX2_OPS_H
#include <immintrin.h>
#include <stddef.h>

#define ORTHOCONV_AVX2_OPS_INLINE static inline __attribute__((always_inline))

/* Lanes [0, n) all ones, n clamped to 8: the vmaskmov mask of a row tail.
 * vmaskmov never touches memory under a clear lane, so tails read and write
 * nothing past the caller's buffers. */
ORTHOCONV_AVX2_OPS_INLINE __m256i orthoconv_avx2_ops_tail(size_t n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int c = n >= 8 ? 8 : (int)n;
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), lane);
}

/* Lane l all ones when filter n0 + l trains (trainable NULL = all), l < c. */
ORTHOCONV_AVX2_OPS_INLINE __m256i orthoconv_avx2_ops_live(const unsigned char *trainable,
    size_t n0, size_t c) {
  if (!trainable) return orthoconv_avx2_ops_tail(c);
  int v[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
  for (size_t l = 0; l < c && l < 8; l++) v[l] = trainable[n0 + l] ? -1 : 0;
  return _mm256_loadu_si256((const __m256i *)v);
}

/* Number of set lanes of a live/tail mask as a bit mask (bit l = lane l). */
ORTHOCONV_AVX2_OPS_INLINE int orthoconv_avx2_ops_bits(__m256i m) {
  return _mm256_movemask_ps(_mm256_castsi256_ps(m));
}

/* Lane n of the result = sum of v[n], n < nc <= 8 (lanes past nc: 0). */
ORTHOCONV_AVX2_OPS_INLINE __m256 orthoconv_avx2_ops_hsum_many(const __m256 *v, const int nc) {
  const __m256 z = _mm256_setzero_ps();
  __m256 u[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) u[i] = i < nc ? v[i] : z;
  const __m256 t0 = _mm256_hadd_ps(_mm256_hadd_ps(u[0], u[1]), _mm256_hadd_ps(u[2], u[3]));
  const __m256 t1 = nc > 4 ? _mm256_hadd_ps(_mm256_hadd_ps(u[4], u[5]), _mm256_hadd_ps(u[6], u[7])) : z;
  return _mm256_add_ps(_mm256_permute2f128_ps(t0, t1, 0x20), _mm256_permute2f128_ps(t0, t1, 0x31));
}
#endif
