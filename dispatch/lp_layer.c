#include <stdlib.h>
#include <string.h>
#include "init.h"
#include "parallel.h"
#include "lp_layer.h"
#include "fwd_lp/pack.h"

static int same_form(const orthoconv_priv_lp_form *f, const orthoconv_ukernel *k) {
  return f->wlayout == k->wlayout && f->nr == k->nr && f->kunroll == k->kunroll;
}

/* Every packed form a variant of op that this CPU runs for K x N reads (KN is
 * the layer's own copy of W). */
static unsigned plan_forms(orthoconv_op op, size_t K, size_t N, orthoconv_priv_lp_form *f) {
  unsigned n = 0;
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (k->op != op || k->wlayout == ORTHOCONV_W_KN || !orthoconv_priv_isa_runnable(k->isa) ||
        !orthoconv_priv_ukernel_applies(k, K, N))
      continue;
    unsigned j = 0;
    while (j < n && !same_form(&f[j], k)) j++;
    if (j < n || n == ORTHOCONV_LP_MAX_FORMS) continue;
    f[n].wlayout = k->wlayout, f[n].nr = k->nr, f[n].kunroll = k->kunroll, f[n].p = NULL;
    n++;
  }
  return n;
}

/* The first variant of a form, for its packing function. */
static const orthoconv_ukernel *variant_of(orthoconv_op op, const orthoconv_priv_lp_form *f) {
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++)
    if (orthoconv_priv_ukernels[i].op == op && same_form(f, &orthoconv_priv_ukernels[i])) return &orthoconv_priv_ukernels[i];
  return NULL;
}

static size_t align64(size_t b) { return (b + 63) / 64 * 64; }

orthoconv_status orthoconv_priv_lp_create(orthoconv_op op, size_t K, size_t N, orthoconv_activation act,
    orthoconv_priv_lp_layer **out) {
  orthoconv_priv_init();
  orthoconv_priv_lp_layer proto;
  memset(&proto, 0, sizeof proto);
  proto.op = op, proto.K = K, proto.N = N, proto.act = act;
  const orthoconv_priv_profile *table = orthoconv_priv_table_current();
  for (unsigned mc = 0; mc < ORTHOCONV_MCLASSES; mc++) {
    const unsigned cls = orthoconv_priv_class_of(op, 0, K, N) + mc * ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES;
    const size_t M = orthoconv_priv_class_example(op, cls).M;
    proto.bound[mc] = orthoconv_priv_select_in(table, orthoconv_priv_cap_load(), op, M, K, N);
  }
  proto.nforms = plan_forms(op, K, N, proto.forms);
  /* One block, each part 64-byte aligned: W, bias, column sums, scales, forms. */
  const int q8 = op == ORTHOCONV_OP_QLAYER_FORWARD;
  size_t kn, bytes[3 + ORTHOCONV_LP_MAX_FORMS], total = 0;
  if (__builtin_mul_overflow(K, N, &kn) || __builtin_mul_overflow(kn, orthoconv_priv_lp_xbytes(op), &kn) ||
      kn > SIZE_MAX / 2)
    return ORTHOCONV_EINVAL;
  bytes[0] = align64(kn);
  bytes[1] = align64(N * sizeof(float));
  bytes[2] = q8 ? 2 * align64(N * sizeof(float)) : 0; /* colsum, w_scale */
  for (unsigned i = 0; i < proto.nforms; i++) {
    const orthoconv_ukernel *k = variant_of(op, &proto.forms[i]);
    const size_t count = orthoconv_priv_lp_pack_count(k, K, N, &proto.forms[i].npad);
    if (count == 0 || count > SIZE_MAX / 16) return ORTHOCONV_EINVAL;
    bytes[3 + i] = align64(count * orthoconv_priv_lp_wbytes(k));
  }
  for (unsigned i = 0; i < 3 + proto.nforms; i++)
    if (__builtin_add_overflow(total, bytes[i], &total)) return ORTHOCONV_EINVAL;
  orthoconv_priv_lp_layer *l = malloc(sizeof *l);
  unsigned char *mem = l ? aligned_alloc(64, total) : NULL;
  if (!mem) {
    free(l);
    return ORTHOCONV_ENOMEM;
  }
  *l = proto;
  l->mem = mem;
  l->kn = mem;
  mem += bytes[0];
  l->bias = (float *)mem;
  mem += bytes[1];
  if (q8) {
    l->colsum = (int32_t *)mem;
    l->w_scale = (float *)(mem + bytes[2] / 2);
    mem += bytes[2];
  }
  for (unsigned i = 0; i < l->nforms; i++) {
    l->forms[i].p = mem;
    mem += bytes[3 + i];
  }
  *out = l;
  return ORTHOCONV_OK;
}

void orthoconv_priv_lp_fill(orthoconv_priv_lp_layer *l, const float *bias) {
  l->has_bias = bias != NULL;
  if (bias) memcpy(l->bias, bias, l->N * sizeof(float));
  else memset(l->bias, 0, l->N * sizeof(float));
  if (l->op == ORTHOCONV_OP_QLAYER_FORWARD) {
    const int8_t *w = l->kn;
    l->w_scale_max = 0.0f;
    for (size_t n = 0; n < l->N; n++) {
      int32_t s = 0; /* |s| <= 128 K: fits for every K the layer accepts */
      for (size_t k = 0; k < l->K; k++) s += w[k * l->N + n];
      l->colsum[n] = s;
      if (l->w_scale[n] > l->w_scale_max) l->w_scale_max = l->w_scale[n];
    }
  }
  for (unsigned i = 0; i < l->nforms; i++)
    orthoconv_priv_lp_pack(variant_of(l->op, &l->forms[i]), l->K, l->N, l->kn, l->forms[i].p);
}

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
    if (same_form(&l->forms[i], k)) {
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

void orthoconv_priv_lp_destroy(orthoconv_priv_lp_layer *l) {
  if (!l) return;
  free(l->mem);
  free(l);
}
