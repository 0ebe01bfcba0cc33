/* Every op at once from several threads, sharing one layer and every input (two
 * of the threads through the _mt calls, each on a pool of its own), while another
 * thread loads profiles (two valid ones, one corrupt), resets,
 * changes the ISA cap and asks what runs. Every output is checked: against the
 * double oracle's bound (any variant may run), bit for bit where the header
 * promises the same bits on every ISA (optimizer steps, MIRROR_PAIRS'
 * gradient). Built with ThreadSanitizer by ./run.sh test (build-tsan), and run
 * plainly in the other suites. The profiles are the library's own: texts from
 * tests/profile/putil.c, loaded, then saved by orthoconv_profile_save. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/oracle.h"
#include "common/testutil.h"
#include "common/thread_pool.h"
#include "profile/putil.h"

enum { WORKERS = 3, ROUNDS = 200, K = 67, N = 10, MMAX = 300 };
static const size_t ms[] = { 1, 49, MMAX }; /* three size classes */
static const unsigned char trainable[N] = { 1, 0, 1, 1, 0, 1, 1, 1, 0, 1 };
static const orthoconv_sgd sgd = { 0.05f, 0.9f, 0.01f, 1 };
static const orthoconv_adamw adamw = { 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f };

static float x[MMAX * K], w[K * N], bias[N], dy[MMAX * N];
static double pre[MMAX * N], pre_bnd[MMAX * N], dx_want[MMAX * K], dx_bnd[MMAX * K];
static double dw_want[3][K * N], dw_bnd[3][K * N], db_want[3][N], db_bnd[3][N], g_want[N * N], g_bnd[N * N];
static double so_want;
static float opt_start[4][K * N], sgd_want[2][K * N], adamw_want[3][K * N], mirror_want[K * N];
static orthoconv_layer *layer;
static char path_a[4096], path_b[4096], path_bad[4096];
static _Atomic int control_done, failures, work_rounds;

static void fail(const char *what, size_t i) {
  if (failures++ < 20) printf("FAIL: %s [%zu]\n", what, i);
}

enum { POOL_THREADS = 2 };

static void forward_and_layer(const orthoconv_threadpool *pool) {
  float y[MMAX * N];
  for (size_t c = 0; c < sizeof ms / sizeof ms[0]; c++) {
    const size_t M = ms[c];
    for (int pass = 0; pass < 2; pass++) {
      memset(y, 0, M * N * sizeof *y);
      const orthoconv_status s =
          pool ? (pass ? orthoconv_layer_forward_mt(pool, layer, M, x, K, y, N)
                       : orthoconv_forward_mt(pool, M, K, N, x, K, w, bias, ORTHOCONV_ACT_RELU, y, N))
               : (pass ? orthoconv_layer_forward(layer, M, x, K, y, N)
                       : orthoconv_forward(M, K, N, x, K, w, bias, ORTHOCONV_ACT_RELU, y, N));
      if (s != ORTHOCONV_OK) fail("forward status", M);
      for (size_t i = 0; i < M * N; i++) {
        const double want = pre[i] < 0 ? 0 : pre[i];
        if (!(fabs(y[i] - want) <= 1e-5 * pre_bnd[i])) fail(pass ? "layer_forward" : "forward", i);
      }
    }
  }
}

static void backward(const orthoconv_threadpool *pool) {
  float dx[MMAX * K], dw[K * N], db[N];
  const size_t M = 49;
  if ((pool ? orthoconv_backward_data_mt(pool, M, K, N, dy, N, w, dx, K) : orthoconv_backward_data(M, K, N, dy, N, w, dx, K)) !=
      ORTHOCONV_OK)
    fail("backward_data status", M);
  for (size_t i = 0; i < M * K; i++)
    if (!within_bound(dx[i], dx_want[i], dx_bnd[i])) fail("backward_data", i);
  for (size_t c = 0; c < sizeof ms / sizeof ms[0]; c++) {
    const size_t wsz = orthoconv_backward_weights_workspace_size(ms[c], K, N);
    void *ws = wsz ? malloc(wsz) : NULL;
    if (wsz && !ws) exit(1);
    if ((pool ? orthoconv_backward_weights_mt(pool, ms[c], K, N, x, K, dy, N, trainable, dw, db, ws, wsz)
              : orthoconv_backward_weights(ms[c], K, N, x, K, dy, N, trainable, dw, db)) != ORTHOCONV_OK)
      fail("bw status", c);
    free(ws);
    for (size_t i = 0; i < K * N; i++)
      if (trainable[i % N] ? !within_bound(dw[i], dw_want[c][i], dw_bnd[c][i]) : dw[i] != 0.0f) fail("backward_weights", i);
    for (size_t n = 0; n < N; n++)
      if (trainable[n] ? !within_bound(db[n], db_want[c][n], db_bnd[c][n]) : db[n] != 0.0f) fail("dbias", n);
  }
}

static void regularizers(void) {
  float g[N * N], grad[K * N], pen;
  if (orthoconv_gram(K, N, w, g) != ORTHOCONV_OK) fail("gram status", 0);
  for (size_t i = 0; i < N * N; i++)
    if (!within_bound(g[i], g_want[i], g_bnd[i])) fail("gram", i);
  if (orthoconv_regularize(ORTHOCONV_REG_SO, 1.0f, K, N, w, NULL, &pen, NULL) != ORTHOCONV_OK) fail("SO status", 0);
  if (!(fabs(pen - so_want) <= 2e-4 * (1 + fabs(so_want)))) fail("SO penalty", 0);
  memset(grad, 0, sizeof grad);
  if (orthoconv_regularize(ORTHOCONV_REG_MIRROR_PAIRS, 1.0f, K, N, w, trainable, NULL, grad) != ORTHOCONV_OK)
    fail("MIRROR status", 0);
  if (memcmp(grad, mirror_want, sizeof grad) != 0) fail("MIRROR_PAIRS gradient bits", 0);
}

/* One step from the same start: the same bits as before the threads started. */
static void optimizers(void) {
  float s[3][K * N];
  memcpy(s[0], opt_start[0], sizeof s[0]);
  memcpy(s[1], opt_start[2], sizeof s[1]);
  if (orthoconv_sgd_step(&sgd, K, N, s[0], opt_start[1], s[1], trainable) != ORTHOCONV_OK) fail("sgd status", 0);
  if (memcmp(s[0], sgd_want[0], sizeof s[0]) || memcmp(s[1], sgd_want[1], sizeof s[1])) fail("sgd bits", 0);
  memcpy(s[0], opt_start[0], sizeof s[0]);
  memcpy(s[1], opt_start[2], sizeof s[1]);
  memcpy(s[2], opt_start[3], sizeof s[2]);
  if (orthoconv_adamw_step(&adamw, 3, K, N, s[0], opt_start[1], s[1], s[2], trainable) != ORTHOCONV_OK) fail("adamw status", 0);
  for (int j = 0; j < 3; j++)
    if (memcmp(s[j], adamw_want[j], sizeof s[j])) fail("adamw bits", (size_t)j);
}

/* Workers 0 and 1 call the _mt forms on a pool of their own, the others the
 * single-threaded calls. */
static void *worker(void *arg) {
  const size_t id = (size_t)(uintptr_t)arg;
  test_pool_threads threads = { POOL_THREADS };
  const orthoconv_threadpool own = { &threads, POOL_THREADS, test_thread_parallel_for };
  const orthoconv_threadpool *pool = id < 2 ? &own : NULL;
  int rounds = 0;
  while (!control_done || rounds < 2) {
    forward_and_layer(pool);
    backward(pool);
    regularizers();
    optimizers();
    rounds++;
    work_rounds++;
  }
  return NULL;
}

static void *control(void *arg) {
  (void)arg;
  static const orthoconv_isa caps[] = { ORTHOCONV_ISA_SCALAR, ORTHOCONV_ISA_AVX2, ORTHOCONV_ISA_AVX512, ORTHOCONV_ISA_NEON };
  char status[2048];
  for (int r = 0; r < ROUNDS; r++) {
    /* each change lands while the workers compute: wait for a round of theirs */
    for (const int seen = work_rounds; work_rounds == seen;) sched_yield();
    switch (r % 5) {
    case 0: if (orthoconv_profile_load(path_a) != ORTHOCONV_OK) fail("load A", (size_t)r); break;
    case 1: if (orthoconv_profile_load(path_b) != ORTHOCONV_OK) fail("load B", (size_t)r); break;
    case 2: if (orthoconv_profile_load(path_bad) != ORTHOCONV_EPROFILE) fail("corrupt accepted", (size_t)r); break;
    case 3: orthoconv_profile_reset(); break;
    default: break;
    }
    /* caps this CPU cannot run are refused, the others set */
    const orthoconv_isa cap = caps[r % 4];
    const orthoconv_status s = orthoconv_set_isa(cap);
    if (s != ORTHOCONV_OK && s != ORTHOCONV_EUNSUPPORTED) fail("set_isa status", (size_t)r);
    if (orthoconv_profile_status(status, sizeof status) == 0) fail("status", (size_t)r);
    for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
      if (!orthoconv_selected_kernel((orthoconv_op)op, ms[r % 3], K, N)) fail("selected_kernel", (size_t)op);
  }
  orthoconv_set_isa(orthoconv_cpu_isa());
  control_done = 1;
  return NULL;
}

/* A putil text loaded, then written out again by the library. */
static void library_profile(const char *body, const char *name, char *path, size_t size) {
  char tmp[4096];
  pt_write_signed(pt_path("text.txt", tmp, sizeof tmp), body);
  if (orthoconv_profile_load(tmp) != ORTHOCONV_OK) {
    printf("FAIL: the %s profile text was refused: %s\n", name, pt_status());
    exit(1);
  }
  if (orthoconv_profile_save(pt_path(name, path, size)) != ORTHOCONV_OK) exit(1);
  orthoconv_profile_reset();
}

static void make_profiles(void) {
  static char a[32768], b[32768];
  pt_header(a, sizeof a);
  pt_header(b, sizeof b);
  int records = 0;
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned c = 0; c < orthoconv_priv_class_count((orthoconv_op)op); c++) {
      orthoconv_priv_choice ch;
      if (!pt_alt_choice_for((orthoconv_op)op, c, &ch)) continue;
      pt_add_choice((op + (int)c) % 2 ? a : b, sizeof a, (orthoconv_op)op, c, &ch);
      records++;
    }
  library_profile(a, "a.txt", path_a, sizeof path_a);
  library_profile(b, "b.txt", path_b, sizeof path_b);
  /* corrupt: one byte of a record changed, so the checksum no longer matches */
  FILE *f = fopen(path_a, "rb");
  static char text[65536];
  const size_t n = f ? fread(text, 1, sizeof text, f) : 0;
  if (f) fclose(f);
  char *rec = strstr(text, "\nchoice ");
  text[rec ? (size_t)(rec - text) + 9 : n / 2] ^= 1;
  pt_write(pt_path("bad.txt", path_bad, sizeof path_bad), text, n);
  printf("profiles: %d records other than the defaults, split between two files\n", records);
}

static void expectations(void) {
  test_seed(21);
  for (size_t i = 0; i < MMAX * K; i++) x[i] = test_randf();
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf() * 0.2f;
  for (size_t i = 0; i < N; i++) bias[i] = test_randf();
  for (size_t i = 0; i < MMAX * N; i++) dy[i] = test_randf();
  oracle_forward_pre(MMAX, K, N, x, K, w, bias, pre, pre_bnd); /* rows are independent: M = 1 and 49 are prefixes */
  oracle_backward_data(49, K, N, dy, N, w, dx_want, dx_bnd);
  for (size_t c = 0; c < sizeof ms / sizeof ms[0]; c++)
    oracle_backward_weights(ms[c], K, N, x, K, dy, N, dw_want[c], dw_bnd[c], db_want[c], db_bnd[c]);
  double wd[K * N];
  for (size_t i = 0; i < K * N; i++) wd[i] = w[i];
  oracle_gram(K, N, wd, g_want, g_bnd);
  so_want = oracle_reg_value(ORTHOCONV_REG_SO, K, N, wd);
  for (size_t i = 0; i < K * N; i++) {
    const size_t n = i % N;
    mirror_want[i] = trainable[n] ? 2.0f * w[i - n + (N - 1 - n)] : 0.0f;
  }
  for (int j = 0; j < 4; j++)
    for (size_t i = 0; i < K * N; i++) opt_start[j][i] = j == 3 ? test_randf() * test_randf() : test_randf();
  /* the optimizer bits, once, single-threaded, under the default selection */
  memcpy(sgd_want[0], opt_start[0], sizeof sgd_want[0]);
  memcpy(sgd_want[1], opt_start[2], sizeof sgd_want[1]);
  orthoconv_sgd_step(&sgd, K, N, sgd_want[0], opt_start[1], sgd_want[1], trainable);
  memcpy(adamw_want[0], opt_start[0], sizeof adamw_want[0]);
  memcpy(adamw_want[1], opt_start[2], sizeof adamw_want[1]);
  memcpy(adamw_want[2], opt_start[3], sizeof adamw_want[2]);
  orthoconv_adamw_step(&adamw, 3, K, N, adamw_want[0], opt_start[1], adamw_want[1], adamw_want[2], trainable);
}

int main(void) {
  orthoconv_profile_reset();
  make_profiles();
  expectations();
  if (orthoconv_layer_create(K, N, w, bias, ORTHOCONV_ACT_RELU, &layer) != ORTHOCONV_OK) return 1;
  pthread_t t[WORKERS + 1];
  for (int i = 0; i < WORKERS; i++) pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
  pthread_create(&t[WORKERS], NULL, control, NULL);
  for (int i = 0; i <= WORKERS; i++) pthread_join(t[i], NULL);
  orthoconv_layer_destroy(layer);
  CHECK(failures == 0, "%d wrong statuses or results under concurrent loads, resets and caps", (int)failures);
  return test_finish("concurrency");
}
