/* Our bf16 and int8 contenders: the layers of the public API (orthoconv_layer_create_bf16,
 * orthoconv_qlayer_create) and every bf16 / int8 variant of the kernel lists,
 * driven directly with its default tunables on W packed as a layer packs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fwd_lp/driver.h"
#include "fwd_lp/pack.h"
#include "impl.h"
#include "orthoconv.h"
#include "registry.h"
#include "select.h"

typedef struct api_ctx { orthoconv_layer *lb; orthoconv_qlayer *lq; } api_ctx;

static void *api_prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  api_ctx *x = calloc(1, sizeof *x);
  if (!x) abort();
  orthoconv_status s;
  if (im->op == OCB_QFWD) {
    float *ws = malloc(c->N * sizeof *ws);
    if (!ws) abort();
    for (size_t j = 0; j < c->N; j++) ws[j] = io->w_scale;
    s = orthoconv_qlayer_create(c->K, c->N, io->wq, ws, io->bias, (orthoconv_activation)c->act, &x->lq);
    free(ws);
  } else {
    s = orthoconv_layer_create_bf16(c->K, c->N, io->w, io->bias, (orthoconv_activation)c->act, &x->lb);
  }
  if (s != ORTHOCONV_OK) {
    snprintf(err, n, "creating the layer: %s", orthoconv_strerror(s));
    free(x);
    return NULL;
  }
  return x;
}

static void api_run(void *ctx, const ocb_case *c, ocb_io *io) {
  const api_ctx *x = ctx;
  orthoconv_threadpool tp;
  const orthoconv_threadpool *pool = ocb_pool(c, &tp);
  if (x->lq) orthoconv_qlayer_forward_mt(pool, x->lq, c->M, io->xq, c->K, io->x_scale, (uint8_t)io->zp, io->y, c->N);
  else orthoconv_layer_forward_bf16_mt(pool, x->lb, c->M, io->xb, c->K, io->y, c->N);
}

typedef struct k_ctx {
  const orthoconv_ukernel *k;
  int t[ORTHOCONV_MAX_TUNABLES];
  orthoconv_priv_lp_w w;
  int32_t *colsum;
  float *w_scale, *bias;
} k_ctx;

static void *k_prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  const orthoconv_ukernel *k = im->data;
  if (!orthoconv_priv_isa_runnable(k->isa) || !orthoconv_priv_ukernel_applies(k, c->K, c->N)) {
    snprintf(err, n, "skipped: this CPU cannot run %s here", k->name);
    return NULL;
  }
  k_ctx *x = calloc(1, sizeof *x);
  if (!x) abort();
  x->k = k;
  for (unsigned i = 0; i < k->ntunables; i++) x->t[i] = k->tunables[i].def;
  const size_t count = orthoconv_priv_lp_pack_count(k, c->K, c->N, &x->w.npad);
  void *p = aligned_alloc(64, (count * orthoconv_priv_lp_wbytes(k) + 63) / 64 * 64);
  x->colsum = calloc(c->N, sizeof *x->colsum), x->w_scale = malloc(c->N * sizeof(float)), x->bias = calloc(c->N, sizeof(float));
  if (!p || !x->colsum || !x->w_scale || !x->bias) abort();
  orthoconv_priv_lp_pack(k, c->K, c->N, k->op == ORTHOCONV_OP_QLAYER_FORWARD ? (const void *)io->wq : (const void *)io->wb, p);
  x->w.p = p;
  for (size_t j = 0; j < c->N; j++) {
    for (size_t kk = 0; kk < c->K; kk++) x->colsum[j] += io->wq[kk * c->N + j];
    x->w_scale[j] = io->w_scale;
    if (io->bias) x->bias[j] = io->bias[j];
  }
  return x;
}

static void k_run(void *ctx, const ocb_case *c, ocb_io *io) {
  const k_ctx *x = ctx;
  const int q8 = x->k->op == ORTHOCONV_OP_QLAYER_FORWARD;
  const orthoconv_priv_lp_epi e = { q8 || io->bias ? x->bias : NULL, (orthoconv_activation)c->act, x->colsum, x->w_scale,
                                    io->x_scale, io->zp };
  orthoconv_priv_lp_drive(x->k, x->t, c->M, c->K, c->N, q8 ? (const void *)io->xq : (const void *)io->xb, c->K, &x->w,
      &e, io->y, c->N);
}

void ocb_add_orthoconv_lp(void) {
  const ocb_impl b = { .name = "orthoconv", .op = OCB_FWD_BF16, .isa = -1, .api_op = ORTHOCONV_OP_LAYER_FORWARD_BF16 + 1,
                       .prepare = api_prepare, .run = api_run };
  const ocb_impl q = { .name = "orthoconv", .op = OCB_QFWD, .isa = -1, .api_op = ORTHOCONV_OP_QLAYER_FORWARD + 1,
                       .prepare = api_prepare, .run = api_run };
  ocb_impl_add(&b);
  ocb_impl_add(&q);
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (k->op != ORTHOCONV_OP_LAYER_FORWARD_BF16 && k->op != ORTHOCONV_OP_QLAYER_FORWARD) continue;
    const ocb_impl im = { .name = ocb_short_name(k->name), .op = k->op == ORTHOCONV_OP_QLAYER_FORWARD ? OCB_QFWD : OCB_FWD_BF16,
                          .isa = (int)k->isa, .data = k, .prepare = k_prepare, .run = k_run };
    ocb_impl_add(&im);
  }
}
