#include "frozen.h"

/* -O2: GCC's -O3 made this file 2.6 KB (3.7 with the runs below) of unrolled and
 * vectorised copies, for no time measured (the runs' bias pass 45 us against 42
 * at -O3, M = 3136, N = 64); the library is near its code budget. */
#if defined(__GNUC__) && !defined(__clang__)
#define FZ_O2 __attribute__((optimize("O2")))
#else
#define FZ_O2
#endif

FZ_O2 void orthoconv_priv_bwd_weights_zero_frozen(size_t K, size_t N, const unsigned char *trainable,
    float *dw, float *dbias) {
  if (!trainable) return;
  for (size_t n = 0; n < N; n++) {
    if (trainable[n]) continue;
    for (size_t k = 0; k < K; k++) dw[k * N + n] = 0.0f;
    if (dbias) dbias[n] = 0.0f;
  }
}

FZ_O2 void orthoconv_priv_bwd_weights_zero_all(size_t K, size_t N, float *dw, float *dbias) {
  for (size_t i = 0; i < K * N; i++) dw[i] = 0.0f;
  for (size_t n = 0; dbias && n < N; n++) dbias[n] = 0.0f;
}

FZ_O2 void orthoconv_priv_bwd_weights_bias(size_t M, size_t mb, const float *dy, size_t lddy, const size_t *cols,
    size_t nt, float *dbias) {
  float tot[16] = { 0 }, s[16];
  for (size_t m0 = 0; m0 < M; m0 += mb) {
    const size_t mhi = M - m0 < mb ? M : m0 + mb;
    for (size_t j = 0; j < nt; j++) s[j] = 0.0f;
    /* the filters side by side: nt independent chains of additions. Adjacent
     * columns (every filter of the chunk trains) are read directly, 4 chains a
     * sweep in registers, each chain in the same order: through the column
     * indices, sums in memory, this pass was 5% of a call at M = 3136, K x N =
     * 512 x 64 (perf, Zen 4; 77 -> 45 us alone). */
    size_t j0 = 0;
    if (cols[nt - 1] - cols[0] == nt - 1)
      for (; j0 + 4 <= nt; j0 += 4) { /* 4 chains a sweep, in registers */
        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
        for (size_t m = m0; m < mhi; m++) {
          const float *p = dy + m * lddy + cols[j0];
          a0 += p[0], a1 += p[1], a2 += p[2], a3 += p[3];
        }
        s[j0] = a0, s[j0 + 1] = a1, s[j0 + 2] = a2, s[j0 + 3] = a3;
      }
    for (size_t m = m0; m < mhi; m++) /* the rest by index */
      for (size_t j = j0; j < nt; j++) s[j] += dy[m * lddy + cols[j]];
    for (size_t j = 0; j < nt; j++) tot[j] += s[j];
  }
  for (size_t j = 0; j < nt; j++) dbias[cols[j]] = tot[j];
}
