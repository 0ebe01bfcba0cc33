#include <immintrin.h>
#include "probe.h"

/* 16 chains: enough for two 512-bit pipes of latency 4 with room to spare. */
float ocb_fma_avx512(size_t iters, double *flops) {
  __m512 a[16];
  for (int j = 0; j < 16; j++) a[j] = _mm512_set1_ps(0.01f * (float)j);
  const __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (size_t i = 0; i < iters; i++) {
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) a[j] = _mm512_fmadd_ps(a[j], b, c);
  }
  __m512 s = a[0];
  for (int j = 1; j < 16; j++) s = _mm512_add_ps(s, a[j]);
  *flops = (double)iters * 16 * 16 * 2;
  return _mm512_reduce_add_ps(s);
}

float ocb_read_avx512(const float *p, size_t n) {
  __m512 s[8];
  for (int j = 0; j < 8; j++) s[j] = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 128) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) s[j] = _mm512_add_ps(s[j], _mm512_load_ps(p + i + 16 * j));
  }
  for (int j = 1; j < 8; j++) s[0] = _mm512_add_ps(s[0], s[j]);
  return _mm512_reduce_add_ps(s[0]);
}
