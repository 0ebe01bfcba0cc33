#include "ukernel_decls.h"

void orthoconv_bwd_data_ukernel_1x1__scalar_ref(size_t M, size_t K, size_t N,
    const float *dy, size_t lddy, const float *w, float *dx, size_t lddx, const int *t) {
  (void)t;
  for (size_t m = 0; m < M; m++) {
    const float *g = dy + m * lddy;
    for (size_t k = 0; k < K; k++) {
      const float *wr = w + k * N;
      double acc = 0.0;
      for (size_t n = 0; n < N; n++) acc += (double)g[n] * (double)wr[n];
      dx[m * lddx + k] = (float)acc;
    }
  }
}
