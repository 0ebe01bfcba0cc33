#include <math.h>
#include "check.h"
#include "init.h"

static orthoconv_status check_params(size_t K, size_t N, const float *w, const float *grad,
    const float *s1, const float *s2, const unsigned char *trainable) {
  if (K == 0 || N == 0) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = {
    ORTHOCONV_BUF_OUT(w, K, N, N), ORTHOCONV_BUF_IN(grad, K, N, N),
    ORTHOCONV_BUF_OUT(s1, s1 ? K : 0, N, N), ORTHOCONV_BUF_OUT(s2, s2 ? K : 0, N, N),
    ORTHOCONV_BUF_MASK(trainable, N),
  };
  return orthoconv_priv_check(b, 5);
}

orthoconv_status orthoconv_sgd_step(const orthoconv_sgd *opt, size_t K, size_t N, float *w,
    const float *grad, float *velocity, const unsigned char *trainable) {
  if (!opt) return ORTHOCONV_EINVAL;
  /* torch's rules: non-negative rates, nesterov only with momentum. */
  if (!orthoconv_priv_finite(opt->lr) || !orthoconv_priv_finite(opt->momentum) ||
      !orthoconv_priv_finite(opt->weight_decay) || opt->lr < 0.0f || opt->momentum < 0.0f ||
      opt->weight_decay < 0.0f || (opt->nesterov && opt->momentum == 0.0f))
    return ORTHOCONV_EINVAL;
  if (opt->momentum != 0.0f && !velocity) return ORTHOCONV_EINVAL;
  const orthoconv_status s =
      check_params(K, N, w, grad, opt->momentum != 0.0f ? velocity : NULL, NULL, trainable);
  if (s != ORTHOCONV_OK) return s;
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_SGD, 0, K, N);
  c.k->fn.sgd(opt, K, N, w, grad, velocity, trainable, c.t);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_adamw_step(const orthoconv_adamw *opt, size_t t, size_t K, size_t N,
    float *w, const float *grad, float *m, float *v, const unsigned char *trainable) {
  if (!opt || t == 0 || !m || !v) return ORTHOCONV_EINVAL;
  if (!orthoconv_priv_finite(opt->lr) || !orthoconv_priv_finite(opt->eps) ||
      !orthoconv_priv_finite(opt->weight_decay) || !orthoconv_priv_finite(opt->beta1) ||
      !orthoconv_priv_finite(opt->beta2) || opt->lr < 0.0f || opt->eps < 0.0f ||
      opt->weight_decay < 0.0f || opt->beta1 < 0.0f || opt->beta1 >= 1.0f ||
      opt->beta2 < 0.0f || opt->beta2 >= 1.0f)
    return ORTHOCONV_EINVAL;
  const orthoconv_status s = check_params(K, N, w, grad, m, v, trainable);
  if (s != ORTHOCONV_OK) return s;
  /* Bias corrections in double, as torch computes them in Python floats. */
  const double bc1 = 1.0 - pow((double)opt->beta1, (double)t);
  const double bc2 = 1.0 - pow((double)opt->beta2, (double)t);
  const float step_size = (float)((double)opt->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_ADAMW, 0, K, N);
  c.k->fn.adamw(opt, step_size, bc2_sqrt, K, N, w, grad, m, v, trainable, c.t);
  return ORTHOCONV_OK;
}
