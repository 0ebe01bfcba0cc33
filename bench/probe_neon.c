#include <arm_neon.h>
#include "probe.h"

/* 16 chains: up to four 128-bit FMA pipes of latency 4. */
float ocb_fma_neon(size_t iters, double *flops) {
  float32x4_t a[16];
  for (int j = 0; j < 16; j++) a[j] = vdupq_n_f32(0.01f * (float)j);
  const float32x4_t b = vdupq_n_f32(0.999999f), c = vdupq_n_f32(1e-7f);
  for (size_t i = 0; i < iters; i++) {
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) a[j] = vfmaq_f32(c, a[j], b);
  }
  float32x4_t s = a[0];
  for (int j = 1; j < 16; j++) s = vaddq_f32(s, a[j]);
  *flops = (double)iters * 16 * 4 * 2;
  return vaddvq_f32(s);
}

float ocb_read_neon(const float *p, size_t n) {
  float32x4_t s[8];
  for (int j = 0; j < 8; j++) s[j] = vdupq_n_f32(0);
  for (size_t i = 0; i < n; i += 32) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) s[j] = vaddq_f32(s[j], vld1q_f32(p + i + 4 * j));
  }
  for (int j = 1; j < 8; j++) s[0] = vaddq_f32(s[0], s[j]);
  return vaddvq_f32(s[0]);
}
