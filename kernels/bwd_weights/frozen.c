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
