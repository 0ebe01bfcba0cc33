/* bf16 conversion and the bf16 layer: an orthoconv_layer whose W is kept in bf16
 * (dispatch/lp_setup.c makes it), run by the low-precision driver. */
#include "check.h"
#include "init.h"
#include "lp_layer.h"
#include "parallel.h"
#include "fwd_lp/convert.h"

/* A matrix of esize-byte elements, as orthoconv_priv_check takes it. */
#define OC_BUF(p, rows, cols, ld, out, opt, es) { (p), (rows), (cols), (ld), (out), (opt), (es) }

orthoconv_status orthoconv_f32_to_bf16(size_t n, const float *src, uint16_t *dst) {
  if (n == 0) return ORTHOCONV_OK;
  const orthoconv_priv_buf b[] = { OC_BUF(src, 1, n, n, 0, 0, 4), OC_BUF(dst, 1, n, n, 1, 0, 2) };
  const orthoconv_status s = orthoconv_priv_check(b, 2);
  if (s != ORTHOCONV_OK) return s;
  for (size_t i = 0; i < n; i++) dst[i] = orthoconv_priv_bf16_of(src[i]);
  return ORTHOCONV_OK;
}

static orthoconv_status check_weights(size_t K, size_t N, const float *w, const float *bias) {
  if (K == 0 || N == 0) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = { ORTHOCONV_BUF_IN(w, K, N, N), ORTHOCONV_BUF_OPT_IN(bias, 1, N, N) };
  return orthoconv_priv_check(b, 2);
}

static void fill(orthoconv_priv_lp_layer *l, const float *w, const float *bias) {
  uint16_t *kn = l->kn;
  for (size_t i = 0; i < l->K * l->N; i++) kn[i] = orthoconv_priv_bf16_of(w[i]);
  orthoconv_priv_lp_fill(l, bias);
}

orthoconv_status orthoconv_priv_bf16_set_weights(orthoconv_priv_lp_layer *l, const float *w, const float *bias) {
  const orthoconv_status s = check_weights(l->K, l->N, w, bias);
  if (s == ORTHOCONV_OK) fill(l, w, bias);
  return s;
}

orthoconv_status orthoconv_layer_create_bf16(size_t K, size_t N, const float *w, const float *bias,
    orthoconv_activation act, orthoconv_layer **out) {
  if (!out || (unsigned)act > (unsigned)ORTHOCONV_ACT_SOFTMAX) return ORTHOCONV_EINVAL;
  orthoconv_status s = check_weights(K, N, w, bias);
  if (s != ORTHOCONV_OK) return s;
  orthoconv_priv_lp_layer *l = NULL;
  s = orthoconv_priv_lp_create(ORTHOCONV_OP_LAYER_FORWARD_BF16, K, N, act, &l);
  if (s != ORTHOCONV_OK) return s;
  fill(l, w, bias);
  orthoconv_layer *layer = orthoconv_priv_layer_of_lp(l);
  if (!layer) {
    orthoconv_priv_lp_destroy(l);
    return ORTHOCONV_ENOMEM;
  }
  *out = layer;
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_layer_forward_bf16_mt(const orthoconv_threadpool *pool, const orthoconv_layer *layer,
    size_t M, const uint16_t *x, size_t ldx, float *y, size_t ldy) {
  const orthoconv_priv_lp_layer *l = layer ? orthoconv_priv_layer_lp(layer) : NULL;
  if (!l || !orthoconv_priv_pool_valid(pool)) return ORTHOCONV_EINVAL; /* NULL, an fp32 layer, a bad pool */
  const orthoconv_priv_buf b[] = { OC_BUF(x, M, l->K, ldx, 0, 0, 2), ORTHOCONV_BUF_OUT(y, M, l->N, ldy) };
  const orthoconv_status s = orthoconv_priv_check(b, 2);
  if (s != ORTHOCONV_OK || M == 0) return s;
  orthoconv_priv_lp_run(pool, l, M, x, ldx, 0.0f, 0, y, ldy);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_layer_forward_bf16(const orthoconv_layer *layer, size_t M, const uint16_t *x,
    size_t ldx, float *y, size_t ldy) {
  return orthoconv_layer_forward_bf16_mt(NULL, layer, M, x, ldx, y, ldy);
}
