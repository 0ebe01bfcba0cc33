/* The _mt calls: the same bits as the single-threaded calls for any pool, thread
 * count and task order, on every ISA this CPU runs; bad pools and workspaces get
 * their status with nothing written.
 * Pools: an in-order pool that runs the tasks forward, in reverse or shuffled on
 * one thread (declaring 1, 2, 3, 4 or 8 threads), a pool of real threads (2, 3, 4
 * and 8 of them taking tasks from a shared counter), and, when built with them,
 * the pthreadpool and OpenMP adapters of include/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/testutil.h"
#include "common/thread_pool.h"
#include "orthoconv.h"
#if ORTHOCONV_TEST_PTHREADPOOL
#include "orthoconv_pthreadpool.h"
#endif
#if ORTHOCONV_TEST_OPENMP
#include "orthoconv_openmp.h"
#endif

/* ---- pools ---- */

typedef struct order_pool { int order; unsigned long long seed; } order_pool;

static void order_parallel_for(void *ctx, size_t count, orthoconv_task_fn *task, void *arg) {
  order_pool *p = ctx;
  size_t *idx = malloc(count * sizeof *idx);
  for (size_t i = 0; i < count; i++) idx[i] = p->order == 1 ? count - 1 - i : i;
  if (p->order == 2)
    for (size_t i = count; i > 1; i--) {
      p->seed = p->seed * 6364136223846793005ull + 1442695040888963407ull;
      const size_t j = (size_t)(p->seed >> 33) % i, t = idx[i - 1];
      idx[i - 1] = idx[j], idx[j] = t;
    }
  for (size_t i = 0; i < count; i++) task(arg, idx[i]);
  free(idx);
}

/* ---- the ops, single-threaded and through a pool ---- */

typedef struct shape { size_t M, K, N; } shape;
typedef struct bufs {
  float *x, *w, *b, *dy, *y, *dx, *dw, *db;
  unsigned char *tr;
  orthoconv_layer *layer;
  /* the bf16 and int8 layers (their outputs go to y + 2 M N and y + 3 M N) */
  orthoconv_layer *lb;
  orthoconv_qlayer *lq;
  uint16_t *xb;
  uint8_t *xq;
} bufs;

static float *randv(size_t n) {
  float *p = malloc((n ? n : 1) * sizeof *p);
  for (size_t i = 0; i < n; i++) p[i] = test_randf();
  return p;
}

/* Runs every op with pool (NULL: the single-threaded calls) into y, dx, dw, db. */
/* lp_too: the bf16 and int8 layers as well (on a few of the pools: their tasks
 * are cut as the fp32 layer's, and under an emulator they cost as much again). */
static int lp_too;

static void run_ops(const orthoconv_threadpool *pool, const shape *s, bufs *b, int layer_too) {
  const size_t M = s->M, K = s->K, N = s->N;
  orthoconv_status st = pool ? orthoconv_forward_mt(pool, M, K, N, b->x, K, b->w, b->b, ORTHOCONV_ACT_GELU, b->y, N)
                             : orthoconv_forward(M, K, N, b->x, K, b->w, b->b, ORTHOCONV_ACT_GELU, b->y, N);
  CHECK(st == ORTHOCONV_OK, "forward %zux%zux%zu", M, K, N);
  if (layer_too) {
    st = pool ? orthoconv_layer_forward_mt(pool, b->layer, M, b->x, K, b->y + M * N, N)
              : orthoconv_layer_forward(b->layer, M, b->x, K, b->y + M * N, N);
    CHECK(st == ORTHOCONV_OK, "layer_forward %zux%zux%zu", M, K, N);
  }
  if (layer_too && lp_too) {
    st = pool ? orthoconv_layer_forward_bf16_mt(pool, b->lb, M, b->xb, K, b->y + 2 * M * N, N)
              : orthoconv_layer_forward_bf16(b->lb, M, b->xb, K, b->y + 2 * M * N, N);
    CHECK(st == ORTHOCONV_OK, "layer_forward_bf16 %zux%zux%zu", M, K, N);
    st = pool ? orthoconv_qlayer_forward_mt(pool, b->lq, M, b->xq, K, 0.01f, 131, b->y + 3 * M * N, N)
              : orthoconv_qlayer_forward(b->lq, M, b->xq, K, 0.01f, 131, b->y + 3 * M * N, N);
    CHECK(st == ORTHOCONV_OK, "qlayer_forward %zux%zux%zu", M, K, N);
  }
  st = pool ? orthoconv_backward_data_mt(pool, M, K, N, b->dy, N, b->w, b->dx, K)
            : orthoconv_backward_data(M, K, N, b->dy, N, b->w, b->dx, K);
  CHECK(st == ORTHOCONV_OK, "backward_data %zux%zux%zu", M, K, N);
  const size_t ws = orthoconv_backward_weights_workspace_size(M, K, N);
  void *work = ws ? malloc(ws) : NULL;
  st = pool ? orthoconv_backward_weights_mt(pool, M, K, N, b->x, K, b->dy, N, b->tr, b->dw, b->db, work, ws)
            : orthoconv_backward_weights(M, K, N, b->x, K, b->dy, N, b->tr, b->dw, b->db);
  CHECK(st == ORTHOCONV_OK, "backward_weights %zux%zux%zu", M, K, N);
  free(work);
}

static int same(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static unsigned pools_checked;

static void compare(const char *what, const orthoconv_threadpool *pool, const shape *s, bufs *ref, bufs *got) {
  const size_t M = s->M, K = s->K, N = s->N;
  run_ops(pool, s, got, 1);
  CHECK(same(ref->y, got->y, 2 * M * N), "%s: forward %zux%zux%zu differs from the single-threaded call", what, M, K, N);
  CHECK(!lp_too || same(ref->y + 2 * M * N, got->y + 2 * M * N, 2 * M * N), "%s: bf16/int8 layer %zux%zux%zu differs", what,
        M, K, N);
  CHECK(same(ref->dx, got->dx, M * K), "%s: backward data %zux%zux%zu differs", what, M, K, N);
  CHECK(same(ref->dw, got->dw, K * N) && same(ref->db, got->db, N), "%s: backward weights %zux%zux%zu differ", what, M,
        K, N);
  pools_checked++;
}

static void one_shape(const shape *s) {
  const size_t M = s->M, K = s->K, N = s->N;
  bufs ref = { randv(M * K), randv(K * N), randv(N), randv(M * N), randv(4 * M * N), randv(M * K), randv(K * N),
               randv(N), malloc(N), NULL, NULL, NULL, malloc(M * K * 2 + 1), malloc(M * K + 1) };
  for (size_t n = 0; n < N; n++) ref.tr[n] = n % 3 != 1;
  CHECK(orthoconv_layer_create(K, N, ref.w, ref.b, ORTHOCONV_ACT_GELU, &ref.layer) == ORTHOCONV_OK, "layer");
  int8_t *wq = malloc(K * N);
  float *ws = malloc(N * sizeof *ws);
  for (size_t i = 0; i < K * N; i++) wq[i] = (int8_t)(int)(127 * ref.w[i]);
  for (size_t n = 0; n < N; n++) ws[n] = 0.001f * (float)(n + 1);
  CHECK(orthoconv_layer_create_bf16(K, N, ref.w, ref.b, ORTHOCONV_ACT_SOFTMAX, &ref.lb) == ORTHOCONV_OK, "bf16 layer");
  CHECK(orthoconv_qlayer_create(K, N, wq, ws, ref.b, ORTHOCONV_ACT_RELU, &ref.lq) == ORTHOCONV_OK, "int8 layer");
  CHECK(orthoconv_f32_to_bf16(M * K, ref.x, ref.xb) == ORTHOCONV_OK, "to bf16");
  CHECK(orthoconv_quantize_u8(M * K, ref.x, 0.01f, 131, ref.xq) == ORTHOCONV_OK, "quantize");
  free(wq), free(ws);
  bufs got = ref;
  got.y = randv(4 * M * N), got.dx = randv(M * K), got.dw = randv(K * N), got.db = randv(N);
  lp_too = 1;
  run_ops(NULL, s, &ref, 1);
  static const size_t counts[] = { 1, 2, 3, 4, 8 };
  for (int order = 0; order < 3; order++)
    for (size_t c = 0; c < 5; c++) {
      order_pool op = { order, 1234 + c };
      const orthoconv_threadpool p = { &op, counts[c], order_parallel_for };
      char what[64];
      snprintf(what, sizeof what, "%s order, %zu threads", order == 0 ? "forward" : order == 1 ? "reverse" : "shuffled", counts[c]);
      lp_too = c == 2 + (size_t)order; /* 3 threads forward, 4 reversed, 8 shuffled */
      compare(what, &p, s, &ref, &got);
    }
  for (size_t c = 1; c < 5; c++) {
    lp_too = c == 1;
    test_pool_threads tp = { counts[c] };
    const orthoconv_threadpool p = { &tp, counts[c], test_thread_parallel_for };
    char what[64];
    snprintf(what, sizeof what, "%zu real threads", counts[c]);
    compare(what, &p, s, &ref, &got);
  }
#if ORTHOCONV_TEST_PTHREADPOOL
  for (size_t t = 2; t <= 4; t += 2) {
    pthreadpool_t tp = pthreadpool_create(t);
    const orthoconv_threadpool p = orthoconv_threadpool_from_pthreadpool(tp);
    compare("pthreadpool", &p, s, &ref, &got);
    pthreadpool_destroy(tp);
  }
#endif
#if ORTHOCONV_TEST_OPENMP
  const orthoconv_threadpool omp = orthoconv_threadpool_openmp();
  compare("openmp", &omp, s, &ref, &got);
#endif
  orthoconv_layer_destroy(ref.layer);
  orthoconv_layer_destroy(ref.lb);
  orthoconv_qlayer_destroy(ref.lq);
  free(ref.xb), free(ref.xq);
  free(ref.x), free(ref.w), free(ref.b), free(ref.dy), free(ref.y), free(ref.dx), free(ref.dw), free(ref.db), free(ref.tr);
  free(got.y), free(got.dx), free(got.dw), free(got.db);
}

/* Bad pools and workspaces: the status, and not one byte written. */
static void bad_input(void) {
  enum { M = 64, K = 96, N = 10 };
  static float x[M * K], w[K * N], dy[M * N], y[M * N], dx[M * K], dw[K * N], y0[M * N], dx0[M * K], dw0[K * N];
  for (size_t i = 0; i < M * K; i++) x[i] = test_randf(), dx[i] = dx0[i] = 7.0f;
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf(), dw[i] = dw0[i] = 7.0f;
  for (size_t i = 0; i < M * N; i++) dy[i] = test_randf(), y[i] = y0[i] = 7.0f;
  test_pool_threads tp = { 2 };
  const orthoconv_threadpool no_threads = { &tp, 0, test_thread_parallel_for }, no_fn = { &tp, 2, NULL };
  const orthoconv_threadpool *bad[] = { &no_threads, &no_fn };
  orthoconv_layer *l = NULL, *lb = NULL;
  orthoconv_qlayer *lq = NULL;
  static uint16_t xb[M * K];
  static uint8_t xq[M * K];
  static int8_t wq[K * N];
  static const float ws[N] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  CHECK(orthoconv_layer_create(K, N, w, NULL, ORTHOCONV_ACT_NONE, &l) == ORTHOCONV_OK, "layer");
  CHECK(orthoconv_layer_create_bf16(K, N, w, NULL, ORTHOCONV_ACT_NONE, &lb) == ORTHOCONV_OK, "bf16 layer");
  CHECK(orthoconv_qlayer_create(K, N, wq, ws, NULL, ORTHOCONV_ACT_NONE, &lq) == ORTHOCONV_OK, "int8 layer");
  for (int i = 0; i < 2; i++) {
    CHECK(orthoconv_forward_mt(bad[i], M, K, N, x, K, w, NULL, ORTHOCONV_ACT_NONE, y, N) == ORTHOCONV_EINVAL, "bad pool %d: forward", i);
    CHECK(orthoconv_layer_forward_mt(bad[i], l, M, x, K, y, N) == ORTHOCONV_EINVAL, "bad pool %d: layer", i);
    CHECK(orthoconv_layer_forward_bf16_mt(bad[i], lb, M, xb, K, y, N) == ORTHOCONV_EINVAL, "bad pool %d: bf16 layer", i);
    CHECK(orthoconv_qlayer_forward_mt(bad[i], lq, M, xq, K, 0.1f, 0, y, N) == ORTHOCONV_EINVAL, "bad pool %d: qlayer", i);
    CHECK(orthoconv_backward_data_mt(bad[i], M, K, N, dy, N, w, dx, K) == ORTHOCONV_EINVAL, "bad pool %d: data", i);
    CHECK(orthoconv_backward_weights_mt(bad[i], M, K, N, x, K, dy, N, NULL, dw, NULL, NULL, 0) == ORTHOCONV_EINVAL,
          "bad pool %d: weights", i);
  }
  const orthoconv_threadpool good = { &tp, 2, test_thread_parallel_for };
  /* A workspace inside x, inside dw, or past the end of the address space. */
  CHECK(orthoconv_backward_weights_mt(&good, M, K, N, x, K, dy, N, NULL, dw, NULL, x + 10, 64) == ORTHOCONV_EINVAL,
        "workspace overlapping x accepted");
  CHECK(orthoconv_backward_weights_mt(&good, M, K, N, x, K, dy, N, NULL, dw, NULL, dw + 3, 64) == ORTHOCONV_EINVAL,
        "workspace overlapping dw accepted");
  CHECK(orthoconv_backward_weights_mt(&good, M, K, N, x, K, dy, N, NULL, dw, NULL, (void *)(uintptr_t)-64, 4096) ==
            ORTHOCONV_EINVAL, "workspace wrapping the address space accepted");
  CHECK(same(y, y0, M * N) && same(dx, dx0, M * K) && same(dw, dw0, K * N), "a refused call wrote its output");
  /* A separate workspace is fine. */
  static float spare[1024];
  CHECK(orthoconv_backward_weights_mt(&good, M, K, N, x, K, dy, N, NULL, dw, NULL, spare, sizeof spare) == ORTHOCONV_OK,
        "a disjoint workspace refused");
  orthoconv_layer_destroy(l);
  orthoconv_layer_destroy(lb);
  orthoconv_qlayer_destroy(lq);
}

int main(void) {
  test_seed(21);
  static const shape shapes[] = {
    { 1, 1024, 10 }, { 49, 1024, 10 }, { 3137, 1024, 10 }, { 3136, 1024, 10 }, { 1000, 1025, 7 },
    { 784, 512, 64 }, { 3137, 65, 33 }, { 200, 2048, 128 }, { 513, 100, 1 }, { 64, 4096, 16 },
    /* panels narrower than the tile, packed on the stack from 32 tiles of rows: a
     * task must pack (and block k) as the whole call does */
    { 1030, 1024, 15 }, { 513, 256, 24 },
  };
  bad_input();
  const int emulated = test_emulated();
  const orthoconv_isa best = orthoconv_cpu_isa();
  unsigned isas = 0;
  for (int i = 0; i < 4; i++) {
    if (orthoconv_set_isa((orthoconv_isa)i) != ORTHOCONV_OK) continue;
    isas++;
    /* The scalar reference runs at about 1 GFLOP/s, and every ISA far slower under
     * an emulator: there, the shapes that still make several tasks. */
    const int small_only = i == ORTHOCONV_ISA_SCALAR || emulated;
    size_t n = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      if (small_only && shapes[s].M * shapes[s].K * shapes[s].N > TEST_SMALL_MACS) continue;
      one_shape(&shapes[s]);
      n++;
    }
    printf("ISA %s: %zu shapes, same bits through every pool\n", orthoconv_isa_name((orthoconv_isa)i), n);
  }
  orthoconv_set_isa(best);
  printf("%u pool runs compared (ISAs: %u)\n", pools_checked, isas);
  CHECK(pools_checked > 0, "nothing compared");
  return test_finish("threads");
}
