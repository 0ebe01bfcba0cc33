/* orthoconv_forward and the layer object. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "init.h"
#include "fwd/pack.h"

struct orthoconv_layer {
  size_t K, N;
  orthoconv_activation act;
  int has_bias;
  float *w_kn;  /* the caller's layout, for the variants that read it as is */
  float *w_k16; /* orthoconv_wlayout K16 */
  float *bias;  /* N floats */
};

static int act_valid(orthoconv_activation act) {
  return (unsigned)act <= (unsigned)ORTHOCONV_ACT_SOFTMAX;
}

static orthoconv_status check_forward(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, const float *y,
    size_t ldy) {
  if (K == 0 || N == 0 || !act_valid(act)) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = {
    ORTHOCONV_BUF_IN(x, M, K, ldx),
    ORTHOCONV_BUF_IN(w, K, N, N),
    ORTHOCONV_BUF_OPT_IN(bias, 1, N, N),
    ORTHOCONV_BUF_OUT(y, M, N, ldy),
  };
  return orthoconv_priv_check(b, sizeof b / sizeof b[0]);
}

static void run(const orthoconv_priv_choice *c, size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y, size_t ldy) {
  c->k->fn.fwd(M, K, N, x, ldx, w, bias, act, y, ldy, c->t);
}

orthoconv_status orthoconv_forward(size_t M, size_t K, size_t N, const float *x, size_t ldx,
    const float *w, const float *bias, orthoconv_activation act, float *y, size_t ldy) {
  const orthoconv_status s = check_forward(M, K, N, x, ldx, w, bias, act, y, ldy);
  if (s != ORTHOCONV_OK || M == 0) return s;
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_FORWARD, M, K, N);
  run(&c, M, K, N, x, ldx, w, bias, act, y, ldy);
  return ORTHOCONV_OK;
}

static void layer_fill(orthoconv_layer *l, const float *w, const float *bias) {
  memcpy(l->w_kn, w, l->K * l->N * sizeof(float));
  orthoconv_priv_pack_k16(l->K, l->N, w, l->w_k16);
  l->has_bias = bias != NULL;
  if (bias) memcpy(l->bias, bias, l->N * sizeof(float));
  else memset(l->bias, 0, l->N * sizeof(float));
}

static orthoconv_status check_weights(size_t K, size_t N, const float *w, const float *bias) {
  if (K == 0 || N == 0) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = { ORTHOCONV_BUF_IN(w, K, N, N), ORTHOCONV_BUF_OPT_IN(bias, 1, N, N) };
  return orthoconv_priv_check(b, 2);
}

orthoconv_status orthoconv_layer_create(size_t K, size_t N, const float *w, const float *bias,
    orthoconv_activation act, orthoconv_layer **out) {
  if (!out || !act_valid(act)) return ORTHOCONV_EINVAL;
  orthoconv_status s = check_weights(K, N, w, bias);
  if (s != ORTHOCONV_OK) return s;
  const size_t packed = orthoconv_priv_pack_k16_floats(K, N);
  if (packed == 0) return ORTHOCONV_EINVAL;
  /* One block, each part 64-byte aligned: W, packed W, bias. */
  const size_t round = 16;
  const size_t n_kn = (K * N + round - 1) / round * round, n_bias = (N + round - 1) / round * round;
  size_t total;
  if (__builtin_add_overflow(n_kn, packed, &total) || __builtin_add_overflow(total, n_bias, &total) ||
      total > (SIZE_MAX - 64) / sizeof(float))
    return ORTHOCONV_EINVAL;
  orthoconv_layer *l = malloc(sizeof *l);
  float *mem = l ? aligned_alloc(64, (total * sizeof(float) + 63) / 64 * 64) : NULL;
  if (!mem) {
    free(l);
    return ORTHOCONV_ENOMEM;
  }
  l->K = K;
  l->N = N;
  l->act = act;
  l->w_kn = mem;
  l->w_k16 = mem + n_kn;
  l->bias = mem + n_kn + packed;
  layer_fill(l, w, bias);
  *out = l;
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_layer_set_weights(orthoconv_layer *l, const float *w, const float *bias) {
  if (!l) return ORTHOCONV_EINVAL;
  orthoconv_status s = check_weights(l->K, l->N, w, bias);
  if (s != ORTHOCONV_OK) return s;
  layer_fill(l, w, bias);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_layer_forward(const orthoconv_layer *l, size_t M, const float *x,
    size_t ldx, float *y, size_t ldy) {
  if (!l) return ORTHOCONV_EINVAL;
  const orthoconv_status s = check_forward(M, l->K, l->N, x, ldx, l->w_kn, NULL, l->act, y, ldy);
  if (s != ORTHOCONV_OK || M == 0) return s;
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_LAYER_FORWARD, M, l->K, l->N);
  const float *w = c.k->wlayout == ORTHOCONV_W_K16 ? l->w_k16 : l->w_kn;
  run(&c, M, l->K, l->N, x, ldx, w, l->has_bias ? l->bias : NULL, l->act, y, ldy);
  return ORTHOCONV_OK;
}

void orthoconv_layer_destroy(orthoconv_layer *l) {
  if (!l) return;
  free(l->w_kn);
  free(l);
}
