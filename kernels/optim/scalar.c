/* Element-wise optimizer steps in torch's order of operations. A frozen column is
 * skipped entirely: its w, velocity, m and v are never written. */
#include <math.h>
#include "ukernel_decls.h"

void orthoconv_sgd_ukernel_1x1__scalar_ref(const orthoconv_sgd *opt, size_t K, size_t N,
    float *w, const float *grad, float *velocity, const unsigned char *trainable,
    const int *t) {
  (void)t;
  const float lr = opt->lr, mu = opt->momentum, wd = opt->weight_decay;
  for (size_t k = 0; k < K; k++) {
    for (size_t n = 0; n < N; n++) {
      if (trainable && !trainable[n]) continue;
      const size_t i = k * N + n;
      float g = grad[i] + wd * w[i];
      if (mu != 0.0f) {
        const float v = mu * velocity[i] + g;
        velocity[i] = v;
        g = opt->nesterov ? g + mu * v : v;
      }
      w[i] -= lr * g;
    }
  }
}

void orthoconv_adamw_ukernel_1x1__scalar_ref(const orthoconv_adamw *opt, float step_size,
    float bc2_sqrt, size_t K, size_t N, float *w, const float *grad, float *m, float *v,
    const unsigned char *trainable, const int *t) {
  (void)t;
  const float b1 = opt->beta1, b2 = opt->beta2, decay = 1.0f - opt->lr * opt->weight_decay;
  for (size_t k = 0; k < K; k++) {
    for (size_t n = 0; n < N; n++) {
      if (trainable && !trainable[n]) continue;
      const size_t i = k * N + n;
      const float g = grad[i];
      const float mi = b1 * m[i] + (1.0f - b1) * g;
      const float vi = b2 * v[i] + (1.0f - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i] * decay - step_size * mi / (sqrtf(vi) / bc2_sqrt + opt->eps);
    }
  }
}
