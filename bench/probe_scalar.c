/* Built with auto-vectorisation off: this is the bound of a scalar kernel. */
#include "probe.h"

float ocb_fma_scalar(size_t iters, double *flops) {
  float a[8] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f };
  const float b = 0.999999f, c = 1e-7f;
  for (size_t i = 0; i < iters; i++)
    for (int j = 0; j < 8; j++) a[j] = a[j] * b + c;
  *flops = (double)iters * 8 * 2;
  return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

float ocb_read_scalar(const float *p, size_t n) {
  float s[8] = { 0 };
  for (size_t i = 0; i < n; i += 8)
    for (int j = 0; j < 8; j++) s[j] += p[i + j];
  return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}
