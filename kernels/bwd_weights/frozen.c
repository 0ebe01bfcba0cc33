#include "frozen.h"

void orthoconv_priv_bwd_weights_zero_frozen(size_t K, size_t N, const unsigned char *trainable,
    float *dw, float *dbias) {
  if (!trainable) return;
  for (size_t n = 0; n < N; n++) {
    if (trainable[n]) continue;
    for (size_t k = 0; k < K; k++) dw[k * N + n] = 0.0f;
    if (dbias) dbias[n] = 0.0f;
  }
}

void orthoconv_priv_bwd_weights_zero_all(size_t K, size_t N, float *dw, float *dbias) {
  for (size_t i = 0; i < K * N; i++) dw[i] = 0.0f;
  for (size_t n = 0; dbias && n < N; n++) dbias[n] = 0.0f;
}

void orthoconv_priv_bwd_weights_bias(size_t M, size_t mb, const float *dy, size_t lddy, const size_t *cols,
    size_t nt, float *dbias) {
  float tot[16] = { 0 }, s[16];
  for (size_t m0 = 0; m0 < M; m0 += mb) {
    const size_t mhi = M - m0 < mb ? M : m0 + mb;
    for (size_t j = 0; j < nt; j++) s[j] = 0.0f;
    /* the filters side by side: nt independent chains of additions; adjacent
     * columns (every filter of the chunk trains) as one run of each row, which
     * the compiler adds in vectors, chain by chain in the same order: through
     * the column indices this pass was 5% of a call at M = 3136, K x N = 512 x
     * 64 (perf, Zen 4). */
    if (cols[nt - 1] - cols[0] == nt - 1) {
      const float *d = dy + cols[0];
      for (size_t m = m0; m < mhi; m++)
        for (size_t j = 0; j < nt; j++) s[j] += d[m * lddy + j];
    } else {
      for (size_t m = m0; m < mhi; m++)
        for (size_t j = 0; j < nt; j++) s[j] += dy[m * lddy + cols[j]];
    }
    for (size_t j = 0; j < nt; j++) tot[j] += s[j];
  }
  for (size_t j = 0; j < nt; j++) dbias[cols[j]] = tot[j];
}
