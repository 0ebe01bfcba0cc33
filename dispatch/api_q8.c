/* The int8 layer (dynamic quantization of activations) and the u8 quantizer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "init.h"
#include "lp_layer.h"
#include "parallel.h"

#define OC_BUF(p, rows, cols, ld, out, opt, es) { (p), (rows), (cols), (ld), (out), (opt), (es) }

struct orthoconv_qlayer {
  orthoconv_priv_lp_layer *lp;
};

static int positive_finite(float v) { return orthoconv_priv_finite(v) && v > 0.0f; }

orthoconv_status orthoconv_qlayer_create(size_t K, size_t N, const int8_t *wq, const float *w_scale,
    const float *bias, orthoconv_activation act, orthoconv_qlayer **out) {
  if (!out || (unsigned)act > (unsigned)ORTHOCONV_ACT_SOFTMAX || K == 0 || N == 0) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = { OC_BUF(wq, K, N, N, 0, 0, 1), ORTHOCONV_BUF_IN(w_scale, 1, N, N),
                                   ORTHOCONV_BUF_OPT_IN(bias, 1, N, N) };
  orthoconv_status s = orthoconv_priv_check(b, 3);
  if (s != ORTHOCONV_OK) return s;
  for (size_t n = 0; n < N; n++)
    if (!positive_finite(w_scale[n])) return ORTHOCONV_EINVAL;
  if (K > ORTHOCONV_QLAYER_MAX_K) return ORTHOCONV_EUNSUPPORTED; /* the int32 sum could overflow */
  orthoconv_qlayer *q = malloc(sizeof *q);
  if (!q) return ORTHOCONV_ENOMEM;
  s = orthoconv_priv_lp_create(ORTHOCONV_OP_QLAYER_FORWARD, K, N, act, &q->lp);
  if (s != ORTHOCONV_OK) {
    free(q);
    return s;
  }
  memcpy(q->lp->kn, wq, K * N);
  memcpy(q->lp->w_scale, w_scale, N * sizeof(float));
  orthoconv_priv_lp_fill(q->lp, bias);
  *out = q;
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_qlayer_forward_mt(const orthoconv_threadpool *pool, const orthoconv_qlayer *layer, size_t M,
    const uint8_t *q, size_t ldq, float x_scale, uint8_t x_zero_point, float *y, size_t ldy) {
  if (!layer || !orthoconv_priv_pool_valid(pool)) return ORTHOCONV_EINVAL;
  const orthoconv_priv_lp_layer *l = layer->lp;
  /* Every s[n] finite: x_scale times the largest w_scale is. */
  if (!positive_finite(x_scale) || !orthoconv_priv_finite(x_scale * l->w_scale_max)) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = { OC_BUF(q, M, l->K, ldq, 0, 0, 1), ORTHOCONV_BUF_OUT(y, M, l->N, ldy) };
  const orthoconv_status s = orthoconv_priv_check(b, 2);
  if (s != ORTHOCONV_OK || M == 0) return s;
  orthoconv_priv_lp_run(pool, l, M, q, ldq, x_scale, x_zero_point, y, ldy);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_qlayer_forward(const orthoconv_qlayer *layer, size_t M, const uint8_t *q, size_t ldq,
    float x_scale, uint8_t x_zero_point, float *y, size_t ldy) {
  return orthoconv_qlayer_forward_mt(NULL, layer, M, q, ldq, x_scale, x_zero_point, y, ldy);
}

const char *orthoconv_qlayer_kernel(const orthoconv_qlayer *layer, size_t M) {
  return layer ? orthoconv_priv_lp_choice(layer->lp, M).k->name : NULL;
}

void orthoconv_qlayer_destroy(orthoconv_qlayer *layer) {
  if (!layer) return;
  orthoconv_priv_lp_destroy(layer->lp);
  free(layer);
}

orthoconv_status orthoconv_quantize_u8(size_t n, const float *x, float scale, uint8_t zero_point, uint8_t *q) {
  if (!positive_finite(scale)) return ORTHOCONV_EINVAL;
  if (n == 0) return ORTHOCONV_OK;
  const orthoconv_priv_buf b[] = { OC_BUF(x, 1, n, n, 0, 0, 4), OC_BUF(q, 1, n, n, 1, 0, 1) };
  const orthoconv_status s = orthoconv_priv_check(b, 2);
  if (s != ORTHOCONV_OK) return s;
  for (size_t i = 0; i < n; i++)
    if (x[i] != x[i]) return ORTHOCONV_EINVAL; /* NaN: no u8 stands for it */
  const float zp = (float)zero_point;
  for (size_t i = 0; i < n; i++) {
    /* rintf rounds half to even in the default rounding mode; for |r| >= 2^24
     * the sum below is inexact but far outside [0, 255] either way. */
    const float r = rintf(x[i] / scale) + zp;
    q[i] = (uint8_t)(r <= 0.0f ? 0.0f : r >= 255.0f ? 255.0f : r);
  }
  return ORTHOCONV_OK;
}
