/* The "gcc -O3 loop" of REFERENCE.md: what a plain C GEMM gets from the
 * compiler alone. Built with -O3 -mavx2 -mfma (this file only); called only on a
 * CPU that runs AVX2. Loop order m, k, n: the n loop is the one gcc vectorises. */
#include <stddef.h>

void ocb_gccloop_avx2(size_t M, size_t K, size_t N, const float *x, const float *w, float *y);

void ocb_gccloop_avx2(size_t M, size_t K, size_t N, const float *x, const float *w, float *y) {
  for (size_t m = 0; m < M; m++) {
    float *yr = y + m * N;
    for (size_t n = 0; n < N; n++) yr[n] = 0;
    for (size_t k = 0; k < K; k++) {
      const float xv = x[m * K + k];
      const float *wr = w + k * N;
      for (size_t n = 0; n < N; n++) yr[n] += xv * wr[n];
    }
  }
}
