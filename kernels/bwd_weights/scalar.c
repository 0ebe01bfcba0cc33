#include "ukernel_decls.h"

/* k outer, m inner: the column slice x[., k] stays in cache across the n loop. */
void orthoconv_bwd_weights_ukernel_1x1__scalar_ref(size_t M, size_t K, size_t N,
    const float *x, size_t ldx, const float *dy, size_t lddy,
    const unsigned char *trainable, float *dw, float *dbias, const int *t) {
  (void)t;
  for (size_t k = 0; k < K; k++) {
    for (size_t n = 0; n < N; n++) {
      double acc = 0.0;
      if (!trainable || trainable[n])
        for (size_t m = 0; m < M; m++) acc += (double)x[m * ldx + k] * (double)dy[m * lddy + n];
      dw[k * N + n] = (float)acc;
    }
  }
  if (dbias) {
    for (size_t n = 0; n < N; n++) {
      double acc = 0.0;
      if (!trainable || trainable[n])
        for (size_t m = 0; m < M; m++) acc += (double)dy[m * lddy + n];
      dbias[n] = (float)acc;
    }
  }
}
