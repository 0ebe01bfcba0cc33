#include <immintrin.h>
#include "probe.h"

/* 12 chains: two FMA pipes x latency 4 needs 8 in flight; 12 of 16 ymm registers. */
float ocb_fma_avx2(size_t iters, double *flops) {
  __m256 a[12];
  for (int j = 0; j < 12; j++) a[j] = _mm256_set1_ps(0.01f * (float)j);
  const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (size_t i = 0; i < iters; i++) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; j++) a[j] = _mm256_fmadd_ps(a[j], b, c);
  }
  __m256 s = a[0];
  for (int j = 1; j < 12; j++) s = _mm256_add_ps(s, a[j]);
  *flops = (double)iters * 12 * 8 * 2;
  return _mm256_cvtss_f32(s);
}

float ocb_read_avx2(const float *p, size_t n) {
  __m256 s[8];
  for (int j = 0; j < 8; j++) s[j] = _mm256_setzero_ps();
  for (size_t i = 0; i < n; i += 64) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) s[j] = _mm256_add_ps(s[j], _mm256_load_ps(p + i + 8 * j));
  }
  for (int j = 1; j < 8; j++) s[0] = _mm256_add_ps(s[0], s[j]);
  return _mm256_cvtss_f32(s[0]);
}
