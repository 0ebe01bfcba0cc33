/* The backward passes. Both split into tasks fixed by the shape: backward data
 * over rows of dy (rows are independent), backward weights over columns of X, i.e.
 * rows of dw (each element's sum over M is computed by one task, in the same
 * order as in one call, so no partial sums and no workspace are needed). */
#include "check.h"
#include "init.h"
#include "parallel.h"
#include "bwd_weights/tiles.h"

#define BWD_DATA_TASK_ROWS 256

typedef struct bwd_job {
  const orthoconv_priv_choice *c;
  size_t M, K, N, step; /* rows (data) or columns (weights) per task */
  const float *a, *dy, *w;
  size_t lda, lddy;
  const unsigned char *trainable;
  float *out, *dbias;
  size_t ldo;
  size_t units, tasks; /* weights: slices of step columns, and the tasks they go to */
} bwd_job;

static void data_task(void *arg, size_t i) {
  const bwd_job *j = arg;
  const size_t m0 = i * j->step, mm = j->M - m0 < j->step ? j->M - m0 : j->step;
  j->c->k->fn.bwd_data(mm, j->K, j->N, j->dy + m0 * j->lddy, j->lddy, j->w, j->out + m0 * j->ldo, j->ldo, j->c->t);
}

orthoconv_status orthoconv_backward_data_mt(const orthoconv_threadpool *pool, size_t M, size_t K,
    size_t N, const float *dy, size_t lddy, const float *w, float *dx, size_t lddx) {
  if (K == 0 || N == 0 || !orthoconv_priv_pool_valid(pool)) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = {
    ORTHOCONV_BUF_IN(dy, M, N, lddy), ORTHOCONV_BUF_IN(w, K, N, N), ORTHOCONV_BUF_OUT(dx, M, K, lddx),
  };
  const orthoconv_status s = orthoconv_priv_check(b, 3);
  if (s != ORTHOCONV_OK || M == 0) return s;
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_BACKWARD_DATA, M, K, N);
  /* A row's bits do not depend on where a task starts, and every call of the
   * kernel transposes all of W again (K N moves): on the calling thread one call;
   * through a pool, tasks of at least BWD_DATA_TASK_ROWS rows, a multiple of the
   * threads (one each at least). One task per 4 MFLOP on one thread made M = 3136
   * at K x N = 512 x 128 102 calls of 32 rows, a tenth of the time in transposes
   * (perf); one call: 1.07-1.15x there, 1.07-1.14x at M = 49, K x N = 1024 x 10
   * (two calls before, by the 1 MFLOP floor), 1.02-1.06x at M = 3136 (Zen 4). */
  const size_t mr = c.k->mr;
  size_t tasks = 1;
  if (pool && pool->threads > 1) {
    const size_t th = (size_t)pool->threads, per = M / BWD_DATA_TASK_ROWS / th, most = th * (per ? per : 1);
    tasks = orthoconv_priv_task_count(2.0 * (double)M * (double)K * (double)N, (M + mr - 1) / mr);
    if (tasks > most) tasks = most;
  }
  const size_t rows = ((M + tasks - 1) / tasks + mr - 1) / mr * mr;
  const bwd_job j = { &c, M, K, N, rows, NULL, dy, w, 0, lddy, NULL, dx, NULL, lddx, 0, 0 };
  orthoconv_priv_parallel(pool, (M + rows - 1) / rows, data_task, (void *)&j);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_backward_data(size_t M, size_t K, size_t N, const float *dy,
    size_t lddy, const float *w, float *dx, size_t lddx) {
  return orthoconv_backward_data_mt(NULL, M, K, N, dy, lddy, w, dx, lddx);
}

/* Task i's first column of X: the slices go to the tasks in order, the first
 * units % tasks tasks one more (no product here can overflow); the last slice
 * ends at K. */
static size_t weights_cut(const bwd_job *j, size_t i) {
  const size_t per = j->units / j->tasks, extra = j->units % j->tasks;
  const size_t k = (i * per + (i < extra ? i : extra)) * j->step;
  return k < j->K ? k : j->K;
}

/* Columns of X per slice for the variant of isa and live trainable filters: a
 * multiple of every chunk's tile width (the AVX-512 chunks are whole ones of 12
 * filters, then the rest; the other variants' tiles are 16 k or less), and at
 * least 64, so that a slice reads at least 4 lines of each row of X. */
static size_t weights_step(orthoconv_isa isa, size_t live) {
  size_t w = 16;
  if (isa == ORTHOCONV_ISA_AVX512 && live) {
    if (live >= ORTHOCONV_BW512_NT) w = orthoconv_priv_lcm(w, 16 * (size_t)ORTHOCONV_BW512_KV(ORTHOCONV_BW512_NT));
    if (live % ORTHOCONV_BW512_NT) w = orthoconv_priv_lcm(w, 16 * (size_t)ORTHOCONV_BW512_KV(live % ORTHOCONV_BW512_NT));
  }
  return (64 + w - 1) / w * w;
}

static void weights_task(void *arg, size_t i) {
  const bwd_job *j = arg;
  const size_t k0 = weights_cut(j, i), kk = weights_cut(j, i + 1) - k0;
  /* With M == 0, x may be NULL (it spans nothing) and may not be offset. */
  const float *x = j->M ? j->a + k0 : j->a;
  j->c->k->fn.bwd_weights(j->M, kk, j->N, x, j->lda, j->dy, j->lddy, j->trainable, j->out + k0 * j->N,
                          i == 0 ? j->dbias : NULL, j->c->t);
}

size_t orthoconv_backward_weights_workspace_size(size_t M, size_t K, size_t N) {
  (void)M, (void)K, (void)N;
  return 0;
}

orthoconv_status orthoconv_backward_weights_mt(const orthoconv_threadpool *pool, size_t M, size_t K,
    size_t N, const float *x, size_t ldx, const float *dy, size_t lddy, const unsigned char *trainable,
    float *dw, float *dbias, void *workspace, size_t workspace_size) {
  if (K == 0 || N == 0 || !orthoconv_priv_pool_valid(pool)) return ORTHOCONV_EINVAL;
  if (workspace_size < orthoconv_backward_weights_workspace_size(M, K, N)) return ORTHOCONV_EINVAL;
  /* A workspace given must not overlap the call's buffers, even when unused. */
  const orthoconv_priv_buf b[] = {
    ORTHOCONV_BUF_IN(x, M, K, ldx), ORTHOCONV_BUF_IN(dy, M, N, lddy),
    ORTHOCONV_BUF_MASK(trainable, N),
    ORTHOCONV_BUF_OUT(dw, K, N, N), ORTHOCONV_BUF_OPT_OUT(dbias, 1, N, N),
    { workspace, 1, workspace_size, workspace_size, 1, 1, 1 },
  };
  orthoconv_status s = orthoconv_priv_check(b, 5);
  if (s != ORTHOCONV_OK) return s;
  if (workspace && workspace_size && orthoconv_priv_check(b, 6) != ORTHOCONV_OK) return ORTHOCONV_EINVAL;
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_BACKWARD_WEIGHTS, M, K, N);
  size_t live = 0;
  for (size_t n = 0; n < N; n++) live += !trainable || trainable[n];
  const size_t step = weights_step(c.k->isa, live);
  /* Reading X costs about as much as 4 filters' FMAs (M = 3136 on one core: 1
   * trainable filter takes 0.43x the time of 10), so a thin chunk still splits. */
  const double cost = 2.0 * (double)M * (double)K * (double)(live + 4);
  /* On one thread, one call over all of K: each column of dw is one slice's, so
   * the slices change no bit, and they cost time (5 of 10 filters frozen at
   * M = 3136: 8 calls of 128 columns 260 us, one call of 1024 ~210: the kernel's
   * prefetch runs a k block ahead, and its widest tiles need the columns). */
  const int one = !pool || pool->threads == 1;
  const size_t units = (K + step - 1) / step, tasks = one ? 1 : orthoconv_priv_task_count(cost, units);
  const bwd_job j = { &c, M, K, N, step, x, dy, NULL, ldx, lddy, trainable, dw, dbias, 0, units, tasks };
  orthoconv_priv_parallel(pool, tasks, weights_task, (void *)&j);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_backward_weights(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *dy, size_t lddy, const unsigned char *trainable, float *dw,
    float *dbias) {
  return orthoconv_backward_weights_mt(NULL, M, K, N, x, ldx, dy, lddy, trainable, dw, dbias, NULL, 0);
}
