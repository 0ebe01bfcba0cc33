#include "ukernel_decls.h"

void orthoconv_gram_ukernel_1x1__scalar_ref(size_t K, size_t N, const float *w, float *g,
    const int *t) {
  (void)t;
  for (size_t i = 0; i < N; i++) {
    for (size_t j = i; j < N; j++) {
      double acc = 0.0;
      for (size_t k = 0; k < K; k++) acc += (double)w[k * N + i] * (double)w[k * N + j];
      g[i * N + j] = g[j * N + i] = (float)acc;
    }
  }
}

void orthoconv_reg_grad_ukernel_1x1__scalar_ref(size_t K, size_t N, const float *w,
    const float *a, const unsigned char *trainable, float *grad, const int *t) {
  (void)t;
  for (size_t k = 0; k < K; k++) {
    const float *wr = w + k * N;
    for (size_t n = 0; n < N; n++) {
      if (trainable && !trainable[n]) continue;
      double acc = 0.0;
      for (size_t j = 0; j < N; j++) acc += (double)wr[j] * (double)a[j * N + n];
      grad[k * N + n] += (float)acc;
    }
  }
}
