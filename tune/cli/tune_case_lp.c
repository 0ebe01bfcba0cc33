#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lp_layer.h"
#include "fwd_lp/convert.h"
#include "tune_case_lp.h"

struct tc_lp {
  orthoconv_priv_lp_layer *layer;
  unsigned char *x; /* slots of M x K elements */
  size_t slot_bytes, xb;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 32);
}
static float randf(void) { return (float)((double)(next() >> 8) / 16777216.0 * 2.0 - 1.0); }

tc_lp *tc_lp_create(orthoconv_op op, size_t M, size_t K, size_t N, size_t slots) {
  tc_lp *l = calloc(1, sizeof *l);
  if (!l || orthoconv_priv_lp_create(op, K, N, ORTHOCONV_ACT_NONE, &l->layer) != ORTHOCONV_OK) {
    fprintf(stderr, "orthoconv-tune: cannot make a %s layer %zux%zu\n", orthoconv_priv_op_name(op), K, N);
    exit(1);
  }
  const int q8 = op == ORTHOCONV_OP_QLAYER_FORWARD;
  l->xb = q8 ? 1 : 2;
  l->slot_bytes = M * K * l->xb;
  l->x = aligned_alloc(64, (l->slot_bytes * slots + 63) / 64 * 64 + 64);
  float *bias = malloc(N * sizeof *bias);
  if (!l->x || !bias) {
    fprintf(stderr, "orthoconv-tune: out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < M * K; i++) {
    if (q8) l->x[i] = (uint8_t)next();
    else {
      const uint16_t b = orthoconv_priv_bf16_of(randf());
      memcpy(l->x + 2 * i, &b, 2);
    }
  }
  for (size_t s = 1; s < slots; s++) memcpy(l->x + s * l->slot_bytes, l->x, l->slot_bytes);
  for (size_t i = 0; i < K * N; i++) {
    if (q8) ((int8_t *)l->layer->kn)[i] = (int8_t)next();
    else ((uint16_t *)l->layer->kn)[i] = orthoconv_priv_bf16_of(randf());
  }
  for (size_t n = 0; n < N; n++) {
    bias[n] = randf();
    if (q8) l->layer->w_scale[n] = 1.0f / (128.0f * (float)K);
  }
  orthoconv_priv_lp_fill(l->layer, bias);
  free(bias);
  return l;
}

void tc_lp_call(const tc_lp *l, const orthoconv_priv_choice *ch, size_t M, size_t s, float *y) {
  orthoconv_priv_lp_w w;
  if (!orthoconv_priv_lp_form_for(l->layer, ch->k, &w)) {
    fprintf(stderr, "orthoconv-tune: %s has no packed W here\n", ch->k->name);
    exit(1);
  }
  const orthoconv_priv_lp_layer *L = l->layer;
  const orthoconv_priv_lp_epi e = { L->bias, ORTHOCONV_ACT_NONE, L->colsum, L->w_scale, 1.0f / 255.0f, 128 };
  orthoconv_priv_lp_drive(ch->k, ch->t, M, L->K, L->N, l->x + s * l->slot_bytes, L->K, &w, &e, y, L->N);
}

void tc_lp_free(tc_lp *l) {
  if (!l) return;
  orthoconv_priv_lp_destroy(l->layer);
  free(l->x);
  free(l);
}
