#include "check.h"
#include "init.h"

orthoconv_status orthoconv_backward_data(size_t M, size_t K, size_t N, const float *dy,
    size_t lddy, const float *w, float *dx, size_t lddx) {
  if (K == 0 || N == 0) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = {
    ORTHOCONV_BUF_IN(dy, M, N, lddy), ORTHOCONV_BUF_IN(w, K, N, N), ORTHOCONV_BUF_OUT(dx, M, K, lddx),
  };
  const orthoconv_status s = orthoconv_priv_check(b, 3);
  if (s != ORTHOCONV_OK || M == 0) return s;
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_BACKWARD_DATA, M, K, N);
  c.k->fn.bwd_data(M, K, N, dy, lddy, w, dx, lddx, c.t);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_backward_weights(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *dy, size_t lddy, const unsigned char *trainable, float *dw,
    float *dbias) {
  if (K == 0 || N == 0) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = {
    ORTHOCONV_BUF_IN(x, M, K, ldx), ORTHOCONV_BUF_IN(dy, M, N, lddy),
    ORTHOCONV_BUF_MASK(trainable, N),
    ORTHOCONV_BUF_OUT(dw, K, N, N), ORTHOCONV_BUF_OPT_OUT(dbias, 1, N, N),
  };
  const orthoconv_status s = orthoconv_priv_check(b, 5);
  if (s != ORTHOCONV_OK) return s;
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_BACKWARD_WEIGHTS, M, K, N);
  c.k->fn.bwd_weights(M, K, N, x, ldx, dy, lddy, trainable, dw, dbias, c.t);
  return ORTHOCONV_OK;
}
