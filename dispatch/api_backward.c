#include "check.h"
#include "select.h"

orthoconv_status orthoconv_backward_data(size_t M, size_t K, size_t N, const float *dy,
    size_t lddy, const float *w, float *dx, size_t lddx) {
  if (K == 0 || N == 0) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = {
    { dy, M, N, lddy, 0, 0 }, { w, K, N, N, 0, 0 }, { dx, M, K, lddx, 1, 0 },
  };
  const orthoconv_status s = orthoconv_priv_check(b, 3);
  if (s != ORTHOCONV_OK || M == 0) return s;
  const orthoconv_priv_choice c = orthoconv_priv_select(ORTHOCONV_OP_BACKWARD_DATA, M);
  c.k->fn.bwd_data(M, K, N, dy, lddy, w, dx, lddx, c.t);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_backward_weights(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *dy, size_t lddy, const unsigned char *trainable, float *dw,
    float *dbias) {
  if (K == 0 || N == 0) return ORTHOCONV_EINVAL;
  /* trainable is N bytes: described as a quarter-width float row for the overlap check. */
  const orthoconv_priv_buf b[] = {
    { x, M, K, ldx, 0, 0 }, { dy, M, N, lddy, 0, 0 },
    { trainable, 1, (N + 3) / 4, (N + 3) / 4, 0, 1 },
    { dw, K, N, N, 1, 0 }, { dbias, 1, N, N, 1, 1 },
  };
  const orthoconv_status s = orthoconv_priv_check(b, 5);
  if (s != ORTHOCONV_OK) return s;
  const orthoconv_priv_choice c = orthoconv_priv_select(ORTHOCONV_OP_BACKWARD_WEIGHTS, M);
  c.k->fn.bwd_weights(M, K, N, x, ldx, dy, lddy, trainable, dw, dbias, c.t);
  return ORTHOCONV_OK;
}
