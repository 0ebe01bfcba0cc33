/* Our contenders: the public API (whatever dispatch selects) and every variant
 * of the kernel lists, called directly with its default tunables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data.h"
#include "fwd/pack.h"
#include "impl.h"
#include "orthoconv.h"
#include "registry.h"
#include "select.h"
#include "fwd/driver.h"

static const orthoconv_sgd sgd_opt = { 0.01f, 0.9f, 1e-4f, 0 };
static const orthoconv_adamw adamw_opt = { 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f };

/* ---- the public API ---- */

typedef struct api_ctx { orthoconv_layer *layer; size_t t; } api_ctx;

static void *api_prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  api_ctx *x = calloc(1, sizeof *x);
  if (!x) abort();
  if (im->api_op - 1 == ORTHOCONV_OP_LAYER_FORWARD) {
    const orthoconv_status s = orthoconv_layer_create(c->K, c->N, io->w, io->bias, (orthoconv_activation)c->act, &x->layer);
    if (s != ORTHOCONV_OK) {
      snprintf(err, n, "orthoconv_layer_create: %s", orthoconv_strerror(s));
      free(x);
      return NULL;
    }
  }
  return x;
}

static void api_run(void *ctx, const ocb_case *c, ocb_io *io) {
  api_ctx *x = ctx;
  const size_t M = c->M, K = c->K, N = c->N;
  orthoconv_threadpool tp;
  const orthoconv_threadpool *pool = ocb_pool(c, &tp);
  switch ((orthoconv_op)(c->im->api_op - 1)) {
  case ORTHOCONV_OP_LAYER_FORWARD: orthoconv_layer_forward_mt(pool, x->layer, M, io->x, K, io->y, N); break;
  case ORTHOCONV_OP_FORWARD:
    orthoconv_forward_mt(pool, M, K, N, io->x, K, io->w, io->bias, (orthoconv_activation)c->act, io->y, N);
    break;
  case ORTHOCONV_OP_BACKWARD_DATA: orthoconv_backward_data_mt(pool, M, K, N, io->dy, N, io->w, io->dx, K); break;
  case ORTHOCONV_OP_BACKWARD_WEIGHTS:
    orthoconv_backward_weights_mt(pool, M, K, N, io->x, K, io->dy, N, io->trainable, io->dw, io->dbias, NULL, 0);
    break;
  case ORTHOCONV_OP_GRAM: orthoconv_gram(K, N, io->w, io->g); break;
  case ORTHOCONV_OP_REG_GRAD:
    orthoconv_regularize((orthoconv_regularizer)c->reg, 1.0f, K, N, io->w, io->trainable, &io->penalty, io->grad);
    break;
  case ORTHOCONV_OP_SGD: {
    orthoconv_sgd o = sgd_opt;
    o.nesterov = c->nesterov;
    orthoconv_sgd_step(&o, K, N, io->wmut, io->grad, io->vel, io->trainable);
    break;
  }
  case ORTHOCONV_OP_ADAMW: orthoconv_adamw_step(&adamw_opt, ++x->t, K, N, io->wmut, io->grad, io->m, io->v, io->trainable); break;
  default: break; /* the bf16 and int8 layers: impl_orthoconv_lp.c */
  }
}

static void add_api(const char *name, ocb_op op, orthoconv_op api) {
  const ocb_impl im = { .name = name, .op = op, .isa = -1, .api_op = (int)api + 1,
                        .prepare = api_prepare, .run = api_run };
  ocb_impl_add(&im);
}

/* ---- the kernel lists ---- */

typedef struct k_ctx { const orthoconv_ukernel *k; int t[ORTHOCONV_MAX_TUNABLES]; orthoconv_priv_fwd_w w; size_t step; } k_ctx;

static void *k_prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  const orthoconv_ukernel *k = im->data;
  if (!orthoconv_priv_isa_runnable(k->isa)) {
    snprintf(err, n, "skipped: this CPU cannot run %s", orthoconv_isa_name(k->isa));
    return NULL;
  }
  if (!orthoconv_priv_ukernel_applies(k, c->K, c->N)) {
    snprintf(err, n, "skipped: K=%zu N=%zu is outside %s's rule", c->K, c->N, k->name);
    return NULL;
  }
  k_ctx *x = calloc(1, sizeof *x);
  if (!x) abort();
  x->k = k;
  for (unsigned i = 0; i < k->ntunables; i++) x->t[i] = k->tunables[i].def;
  x->w.kn = io->w;
  /* A K16 or panel variant reads W packed once, as a layer holds it. */
  if (k->op == ORTHOCONV_OP_FORWARD && k->wlayout == ORTHOCONV_W_K16) {
    x->w.npad = (c->N + k->nr - 1) / k->nr * k->nr;
    float *p = ocb_alloc(orthoconv_priv_pack_k16_floats(c->K, x->w.npad));
    orthoconv_priv_pack_k16(c->K, c->N, x->w.npad, io->w, p);
    x->w.k16 = p;
  } else if (k->op == ORTHOCONV_OP_FORWARD && k->wlayout == ORTHOCONV_W_PANEL) {
    float *p = ocb_alloc(orthoconv_priv_pack_panel_floats(c->K, c->N, k->nr));
    orthoconv_priv_pack_panel(c->K, c->N, k->nr, io->w, p);
    x->w.panel = p;
    x->w.panel_nr = k->nr;
  }
  return x;
}

static void k_run(void *ctx, const ocb_case *c, ocb_io *io) {
  k_ctx *x = ctx;
  const orthoconv_ukernel *k = x->k;
  const size_t M = c->M, K = c->K, N = c->N;
  switch (k->op) {
  case ORTHOCONV_OP_FORWARD:
    orthoconv_priv_fwd_drive(k, x->t, M, K, N, io->x, K, &x->w, io->bias, (orthoconv_activation)c->act, io->y, N);
    break;
  case ORTHOCONV_OP_BACKWARD_DATA: k->fn.bwd_data(M, K, N, io->dy, N, io->w, io->dx, K, x->t); break;
  case ORTHOCONV_OP_BACKWARD_WEIGHTS:
    k->fn.bwd_weights(M, K, N, io->x, K, io->dy, N, io->trainable, io->dw, io->dbias, x->t);
    break;
  case ORTHOCONV_OP_GRAM: k->fn.gram(K, N, io->w, io->g, x->t); break;
  case ORTHOCONV_OP_REG_GRAD: k->fn.reg_grad(K, N, io->w, io->a, io->trainable, io->grad, x->t); break;
  case ORTHOCONV_OP_SGD: {
    orthoconv_sgd o = sgd_opt;
    o.nesterov = c->nesterov;
    k->fn.sgd(&o, K, N, io->wmut, io->grad, io->vel, io->trainable, x->t);
    break;
  }
  case ORTHOCONV_OP_ADAMW: {
    const double t = (double)++x->step;
    const float step_size = (float)(adamw_opt.lr / (1 - pow(adamw_opt.beta1, t)));
    const float bc2 = (float)sqrt(1 - pow(adamw_opt.beta2, t));
    k->fn.adamw(&adamw_opt, step_size, bc2, K, N, io->wmut, io->grad, io->m, io->v, io->trainable, x->t);
    break;
  }
  default: break;
  }
}

static int ocb_op_of(orthoconv_op op) {
  switch (op) {
  case ORTHOCONV_OP_FORWARD: return OCB_FWD;
  case ORTHOCONV_OP_BACKWARD_DATA: return OCB_BWD_DATA;
  case ORTHOCONV_OP_BACKWARD_WEIGHTS: return OCB_BWD_WEIGHTS;
  case ORTHOCONV_OP_GRAM: return OCB_GRAM;
  case ORTHOCONV_OP_REG_GRAD: return OCB_REG_GRAD;
  case ORTHOCONV_OP_SGD: return OCB_SGD;
  case ORTHOCONV_OP_ADAMW: return OCB_ADAMW;
  default: return -1;
  }
}

const char *ocb_short_name(const char *name) {
  const char *u = strstr(name, "_ukernel_");
  const char *tail = u ? u + strlen("_ukernel_") : name;
  char *s = malloc(strlen(tail) + 3);
  if (!s) abort();
  strcpy(s, "k:");
  strcat(s, tail);
  return s;
}

void ocb_add_orthoconv(void) {
  add_api("orthoconv", OCB_FWD, ORTHOCONV_OP_LAYER_FORWARD);
  add_api("orthoconv.unpacked", OCB_FWD, ORTHOCONV_OP_FORWARD);
  add_api("orthoconv", OCB_BWD_DATA, ORTHOCONV_OP_BACKWARD_DATA);
  add_api("orthoconv", OCB_BWD_WEIGHTS, ORTHOCONV_OP_BACKWARD_WEIGHTS);
  add_api("orthoconv", OCB_GRAM, ORTHOCONV_OP_GRAM);
  add_api("orthoconv", OCB_REG, ORTHOCONV_OP_REG_GRAD);
  add_api("orthoconv", OCB_SGD, ORTHOCONV_OP_SGD);
  add_api("orthoconv", OCB_ADAMW, ORTHOCONV_OP_ADAMW);
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    const int op = ocb_op_of(k->op);
    if (op < 0) continue;
    const ocb_impl im = { .name = ocb_short_name(k->name), .op = (ocb_op)op, .isa = (int)k->isa,
                          .data = k, .prepare = k_prepare, .run = k_run };
    ocb_impl_add(&im);
  }
}
