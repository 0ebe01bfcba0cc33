#include "init.h"
#include "parallel.h"
#include "lp_layer.h"
#include "fwd_lp/pack.h"

orthoconv_priv_choice orthoconv_priv_lp_choice(const orthoconv_priv_lp_layer *l, size_t M) {
  const unsigned mc = orthoconv_priv_class_of(l->op, M, l->K, l->N) / (ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES);
  const orthoconv_priv_choice c = l->bound[mc];
  if (orthoconv_priv_isa_allowed(c.k->isa, orthoconv_priv_cap_load())) return c;
  return orthoconv_priv_choose(l->op, M, l->K, l->N);
}

const orthoconv_priv_lp_w *orthoconv_priv_lp_form_for(const orthoconv_priv_lp_layer *l, const orthoconv_ukernel *k,
    orthoconv_priv_lp_w *out) {
  if (k->wlayout == ORTHOCONV_W_KN) {
    out->p = l->kn;
    out->npad = l->N;
    return out;
  }
  for (unsigned i = 0; i < l->nforms; i++)
    if (orthoconv_priv_lp_same_form(&l->forms[i], k)) {
      out->p = l->forms[i].p;
      out->npad = l->forms[i].npad;
      return out;
    }
  return NULL;
}

typedef struct lp_job {
  const orthoconv_priv_choice *c;
  const orthoconv_priv_lp_layer *l;
  const orthoconv_priv_lp_w *w;
  const orthoconv_priv_lp_epi *e;
  size_t M, rows, ldx, ldy;
  const unsigned char *x;
  float *y;
} lp_job;

static void lp_task(void *arg, size_t i) {
  const lp_job *j = arg;
  const size_t m0 = i * j->rows, mm = j->M - m0 < j->rows ? j->M - m0 : j->rows;
  const size_t xb = orthoconv_priv_lp_xbytes(j->l->op);
  orthoconv_priv_lp_drive(j->c->k, j->c->t, mm, j->l->K, j->l->N, j->x + m0 * j->ldx * xb, j->ldx, j->w, j->e,
      j->y + m0 * j->ldy, j->ldy);
}

void orthoconv_priv_lp_run(const orthoconv_threadpool *pool, const orthoconv_priv_lp_layer *l, size_t M, const void *x,
    size_t ldx, float x_scale, int32_t zp, float *y, size_t ldy) {
  orthoconv_priv_choice c = orthoconv_priv_lp_choice(l, M);
  orthoconv_priv_lp_w w;
  if (!orthoconv_priv_lp_form_for(l, c.k, &w)) {
    /* Not reachable for a variant that applies here (all were packed); the
     * reference reads W as the layer keeps it. */
    c = orthoconv_priv_default_choice(l->op, M, l->K, l->N, ORTHOCONV_ISA_SCALAR);
    orthoconv_priv_lp_form_for(l, c.k, &w);
  }
  const int q8 = l->op == ORTHOCONV_OP_QLAYER_FORWARD;
  const orthoconv_priv_lp_epi e = { q8 || l->has_bias ? l->bias : NULL, l->act, l->colsum, l->w_scale, x_scale, zp };
  /* Tasks of whole tiles (rows are independent: the cut changes no bit). The
   * cost model counts fp32 flops: an int8 product costs about a quarter of one,
   * a bf16 product half. */
  const size_t mr = c.k->mr;
  const double flops = 2.0 * (double)M * (double)l->K * (double)l->N / (q8 ? 4.0 : 2.0);
  const size_t tasks = orthoconv_priv_task_count(flops, (M + mr - 1) / mr);
  /* On the calling thread one part: the driver's blocks and prefetch stream then
   * run through without a restart at every task. */
  const size_t rows = !pool || pool->threads == 1 ? M : ((M + tasks - 1) / tasks + mr - 1) / mr * mr;
  const lp_job j = { &c, l, &w, &e, M, rows, ldx, ldy, x, y };
  orthoconv_priv_parallel(pool, (M + rows - 1) / rows, lp_task, (void *)&j);
}

