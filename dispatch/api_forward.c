/* orthoconv_forward and the layer object. A layer binds its kernels when it is
 * created (as XNNPACK's operators do): per M class the variant dispatch would pick
 * for its K and N, and W packed once in the layouts those variants read. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "init.h"
#include "fwd/driver.h"
#include "fwd/pack.h"
#include "lp_layer.h"
#include "parallel.h"

struct orthoconv_layer {
  orthoconv_priv_lp_layer *lp; /* a bf16 layer (api_bf16.c): then nothing below is used */
  size_t K, N;
  orthoconv_activation act;
  int has_bias;
  float *w_kn;  /* the caller's layout */
  float *w_k16; /* K16 with npad filters, or NULL when no bound variant reads it */
  size_t npad;
  float *w_panel; /* panels of panel_nr filters, or NULL (none bound, or one panel) */
  size_t panel_nr;
  float *bias;  /* N floats */
  orthoconv_priv_choice bound[ORTHOCONV_MCLASSES];
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

/* A layer's call: only x and y are the caller's (W and the bias are the layer's
 * own copies, which no caller pointer can legally reach). */
static orthoconv_status check_layer_io(size_t M, size_t K, size_t N, const float *x, size_t ldx, const float *y,
    size_t ldy) {
  const orthoconv_priv_buf b[] = {
    ORTHOCONV_BUF_IN(x, M, K, ldx),
    ORTHOCONV_BUF_OUT(y, M, N, ldy),
  };
  return orthoconv_priv_check(b, sizeof b / sizeof b[0]);
}

/* One call cut into tasks of whole rows (a multiple of the tile's mr, so that the
 * bits do not depend on the cut): how many from the cost model and the shape only. */
typedef struct fwd_job {
  const orthoconv_priv_choice *c;
  size_t M, K, N, rows;
  const float *x;
  size_t ldx;
  const orthoconv_priv_fwd_w *w;
  const float *bias;
  orthoconv_activation act;
  float *y;
  size_t ldy;
} fwd_job;

static void fwd_task(void *arg, size_t i) {
  const fwd_job *j = arg;
  const size_t m0 = i * j->rows, mm = j->M - m0 < j->rows ? j->M - m0 : j->rows;
  orthoconv_priv_fwd_drive_part(j->c->k, j->c->t, mm, j->M - m0, j->M, j->K, j->N, j->x + m0 * j->ldx, j->ldx, j->w,
                                j->bias, j->act, j->y + m0 * j->ldy, j->ldy);
}

/* Rows per task when W is packed on a task's stack: a few of the driver's blocks
 * (64 rows at the default), so that a task's restart of its blocks and prefetch
 * stream stays a small part of it. */
#define PACKING_TASK_ROWS 256

static void fwd_run(const orthoconv_threadpool *pool, const orthoconv_priv_choice *c, size_t M, size_t K,
    size_t N, const float *x, size_t ldx, const orthoconv_priv_fwd_w *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy) {
  /* On the calling thread, one part: the same bits (rows do not depend on the cut)
   * without restarting the driver's blocks and prefetch stream at every task,
   * nor (a one-row call's few ns) the task indirection. */
  if (!pool || pool->threads <= 1) {
    orthoconv_priv_fwd_drive_part(c->k, c->t, M, M, M, K, N, x, ldx, w, bias, act, y, ldy);
    return;
  }
  const size_t mr = c->k->mr;
  size_t tasks = orthoconv_priv_task_count(2.0 * (double)M * (double)K * (double)N, (M + mr - 1) / mr);
  if (orthoconv_priv_fwd_packs(c->k, w, M, N) && tasks > M / PACKING_TASK_ROWS)
    tasks = M / PACKING_TASK_ROWS ? M / PACKING_TASK_ROWS : 1;
  const size_t rows = ((M + tasks - 1) / tasks + mr - 1) / mr * mr;
  const fwd_job j = { c, M, K, N, rows, x, ldx, w, bias, act, y, ldy };
  orthoconv_priv_parallel(pool, (M + rows - 1) / rows, fwd_task, (void *)&j);
}

orthoconv_status orthoconv_forward_mt(const orthoconv_threadpool *pool, size_t M, size_t K, size_t N,
    const float *x, size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy) {
  if (!orthoconv_priv_pool_valid(pool)) return ORTHOCONV_EINVAL;
  const orthoconv_status s = check_forward(M, K, N, x, ldx, w, bias, act, y, ldy);
  if (s != ORTHOCONV_OK || M == 0) return s;
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_FORWARD, M, K, N);
  const orthoconv_priv_fwd_w wv = { .kn = w };
  fwd_run(pool, &c, M, K, N, x, ldx, &wv, bias, act, y, ldy);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_forward(size_t M, size_t K, size_t N, const float *x, size_t ldx,
    const float *w, const float *bias, orthoconv_activation act, float *y, size_t ldy) {
  return orthoconv_forward_mt(NULL, M, K, N, x, ldx, w, bias, act, y, ldy);
}

static void layer_fill(orthoconv_layer *l, const float *w, const float *bias) {
  memcpy(l->w_kn, w, l->K * l->N * sizeof(float));
  if (l->w_k16) orthoconv_priv_pack_k16(l->K, l->N, l->npad, w, l->w_k16);
  if (l->w_panel) orthoconv_priv_pack_panel(l->K, l->N, l->panel_nr, w, l->w_panel);
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
  orthoconv_priv_init();
  /* The kernels of every M class, all from one table. */
  orthoconv_priv_choice bound[ORTHOCONV_MCLASSES];
  const orthoconv_priv_profile *table = orthoconv_priv_table_current();
  size_t unit = 0; /* the K16 tiles' nr, combined: W is padded to a multiple of each */
  size_t panel_nr = 0; /* the panel kernel's width of the largest M (others pack on the fly) */
  for (unsigned mc = ORTHOCONV_MCLASSES; mc-- > 0;) {
    const unsigned cls = orthoconv_priv_class_of(ORTHOCONV_OP_LAYER_FORWARD, 0, K, N) + mc * ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES;
    const size_t M = orthoconv_priv_class_example(ORTHOCONV_OP_LAYER_FORWARD, cls).M;
    bound[mc] = orthoconv_priv_select_in(table, orthoconv_priv_cap_load(), ORTHOCONV_OP_LAYER_FORWARD, M, K, N);
    orthoconv_priv_fwd_resolve(bound[mc].k, bound[mc].t, M, K);
    if (bound[mc].k->wlayout == ORTHOCONV_W_K16) {
      const size_t nr = bound[mc].k->nr;
      unit = unit ? orthoconv_priv_lcm(unit, nr) : nr;
    }
    /* Narrower W too: rows nr floats apart and aligned, not N (a 64-byte load of
     * a 7-float row spans two lines): 1.05-1.10x at K x N = 100 x 7 (Xeon). */
    if (bound[mc].k->wlayout == ORTHOCONV_W_PANEL && !panel_nr && N != bound[mc].k->nr) panel_nr = bound[mc].k->nr;
  }
  size_t npad = 0, packed = 0;
  if (unit) {
    npad = (N + unit - 1) / unit * unit;
    packed = npad >= N ? orthoconv_priv_pack_k16_floats(K, npad) : 0;
    if (packed == 0) return ORTHOCONV_EINVAL;
  }
  const size_t panels = panel_nr ? orthoconv_priv_pack_panel_floats(K, N, panel_nr) : 0;
  if (panel_nr && panels == 0) return ORTHOCONV_EINVAL;
  /* One block, each part 64-byte aligned: W, packed W (K16, panels), bias. */
  const size_t round = 16;
  const size_t n_kn = (K * N + round - 1) / round * round, n_bias = (N + round - 1) / round * round;
  const size_t n_k16 = (packed + round - 1) / round * round;
  size_t total;
  if (__builtin_add_overflow(n_kn, n_k16, &total) || __builtin_add_overflow(total, panels, &total) ||
      __builtin_add_overflow(total, n_bias, &total) || total > (SIZE_MAX - 64) / sizeof(float))
    return ORTHOCONV_EINVAL;
  orthoconv_layer *l = malloc(sizeof *l);
  float *mem = l ? aligned_alloc(64, (total * sizeof(float) + 63) / 64 * 64) : NULL;
  if (!mem) {
    free(l);
    return ORTHOCONV_ENOMEM;
  }
  l->lp = NULL;
  l->K = K;
  l->N = N;
  l->act = act;
  l->w_kn = mem;
  l->w_k16 = packed ? mem + n_kn : NULL;
  l->npad = npad;
  l->w_panel = panels ? mem + n_kn + n_k16 : NULL;
  l->panel_nr = panel_nr;
  l->bias = mem + n_kn + n_k16 + panels;
  memcpy(l->bound, bound, sizeof bound);
  layer_fill(l, w, bias);
  *out = l;
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_layer_set_weights(orthoconv_layer *l, const float *w, const float *bias) {
  if (!l) return ORTHOCONV_EINVAL;
  if (l->lp) return orthoconv_priv_bf16_set_weights(l->lp, w, bias);
  orthoconv_status s = check_weights(l->K, l->N, w, bias);
  if (s != ORTHOCONV_OK) return s;
  layer_fill(l, w, bias);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_layer_forward_mt(const orthoconv_threadpool *pool, const orthoconv_layer *l,
    size_t M, const float *x, size_t ldx, float *y, size_t ldy) {
  if (!l || l->lp || !orthoconv_priv_pool_valid(pool)) return ORTHOCONV_EINVAL; /* NULL, or a bf16 layer */
  const orthoconv_status s = check_layer_io(M, l->K, l->N, x, ldx, y, ldy);
  if (s != ORTHOCONV_OK || M == 0) return s;
  const unsigned mc = orthoconv_priv_class_of(ORTHOCONV_OP_LAYER_FORWARD, M, l->K, l->N) / (ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES);
  orthoconv_priv_choice c = l->bound[mc];
  orthoconv_priv_fwd_w wv = { l->w_kn, l->w_k16, l->npad, l->w_panel, l->panel_nr };
  /* An ISA cap lowered since the layer was made: what dispatch picks now, on W as given. */
  if (!orthoconv_priv_isa_allowed(c.k->isa, orthoconv_priv_cap_load())) {
    c = orthoconv_priv_choose(ORTHOCONV_OP_FORWARD, M, l->K, l->N);
    wv.k16 = wv.panel = NULL;
  }
  fwd_run(pool, &c, M, l->K, l->N, x, ldx, &wv, l->has_bias ? l->bias : NULL, l->act, y, ldy);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_layer_forward(const orthoconv_layer *l, size_t M, const float *x,
    size_t ldx, float *y, size_t ldy) {
  return orthoconv_layer_forward_mt(NULL, l, M, x, ldx, y, ldy);
}

const char *orthoconv_layer_kernel(const orthoconv_layer *l, size_t M) {
  if (!l) return NULL;
  if (l->lp) return orthoconv_priv_lp_choice(l->lp, M).k->name;
  const unsigned mc = orthoconv_priv_class_of(ORTHOCONV_OP_LAYER_FORWARD, M, l->K, l->N) / (ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES);
  const orthoconv_priv_choice c = l->bound[mc];
  if (!orthoconv_priv_isa_allowed(c.k->isa, orthoconv_priv_cap_load()))
    return orthoconv_priv_choose(ORTHOCONV_OP_FORWARD, M, l->K, l->N).k->name;
  return c.k->name;
}

void orthoconv_layer_destroy(orthoconv_layer *l) {
  if (!l) return;
  orthoconv_priv_lp_destroy(l->lp);
  free(l->w_kn);
  free(l);
}

orthoconv_layer *orthoconv_priv_layer_of_lp(orthoconv_priv_lp_layer *lp) {
  orthoconv_layer *l = calloc(1, sizeof *l);
  if (l) l->lp = lp, l->K = lp->K, l->N = lp->N, l->act = lp->act;
  return l;
}

const orthoconv_priv_lp_layer *orthoconv_priv_layer_lp(const orthoconv_layer *l) { return l->lp; }
