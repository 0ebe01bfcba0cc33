/* A process's compute calls open no file and allocate nothing: the library is
 * linked with its calls to the C library's open/fopen and allocation functions
 * wrapped (-Wl,--wrap), counting while the window is open. A valid profile waits
 * in $XDG_CACHE_HOME where the old start-up search looked: it must not be read.
 * The window covers the very first call into the library (its one-time set-up)
 * and every compute op; creating a layer allocates, as documented, outside it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/testutil.h"
#include "orthoconv.h"

static int window, opens, allocs;

FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode) {
  opens += window;
  return __real_fopen(path, mode);
}
/* open and its large-file alias (which glibc's headers substitute on 64-bit
 * builds with _FILE_OFFSET_BITS=64, Meson's default). */
#define OC_WRAP_OPEN(fn)                                          \
  int __real_##fn(const char *path, int flags, ...);              \
  int __wrap_##fn(const char *path, int flags, ...) {             \
    opens += window;                                              \
    va_list ap;                                                   \
    va_start(ap, flags);                                          \
    const int mode = (flags & O_CREAT) ? va_arg(ap, int) : 0;     \
    va_end(ap);                                                   \
    return __real_##fn(path, flags, mode);                        \
  }
OC_WRAP_OPEN(open)
OC_WRAP_OPEN(open64)
FILE *__real_fopen64(const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode) {
  opens += window;
  return __real_fopen64(path, mode);
}
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n) {
  allocs += window;
  return __real_malloc(n);
}
void *__real_calloc(size_t a, size_t b);
void *__wrap_calloc(size_t a, size_t b) {
  allocs += window;
  return __real_calloc(a, b);
}
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n) {
  allocs += window;
  return __real_aligned_alloc(a, n);
}

enum { M = 49, K = 256, N = 10 };
static float x[M * K], w[K * N], b[N], y[M * N], dy[M * N], dx[M * K], dw[K * N], db[N], g[N * N], m1[K * N], m2[K * N];
static unsigned char tr[N] = { 1, 0, 1, 1, 0, 1, 1, 1, 0, 1 };

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
    return 2;
  }
  /* A profile where a user cache would hold one (written with plain stdio here,
   * before the library has run at all: its content does not matter, only that it
   * is never opened). */
  char dir[4096], path[4200];
  snprintf(dir, sizeof dir, "%s/noio-cache", argv[1]);
  mkdir(dir, 0755);
  snprintf(path, sizeof path, "%s/orthoconv", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/orthoconv/profile.txt", dir);
  FILE *f = fopen(path, "w");
  if (f) fputs("orthoconv-profile 2\n", f), fclose(f);
  setenv("XDG_CACHE_HOME", dir, 1);
  unsetenv("ORTHOCONV_PROFILE");
  for (size_t i = 0; i < M * K; i++) x[i] = test_randf();
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf(), m1[i] = m2[i] = 0;
  for (size_t i = 0; i < M * N; i++) dy[i] = test_randf();

  window = 1;
  orthoconv_status s = orthoconv_forward(M, K, N, x, K, w, b, ORTHOCONV_ACT_RELU, y, N);
  for (int act = 0; act <= (int)ORTHOCONV_ACT_SOFTMAX && s == ORTHOCONV_OK; act++)
    for (size_t m = 1; m <= M && s == ORTHOCONV_OK; m += 24)
      s = orthoconv_forward(m, K, N, x, K, w, b, (orthoconv_activation)act, y, N);
  if (s == ORTHOCONV_OK) s = orthoconv_backward_data(M, K, N, dy, N, w, dx, K);
  if (s == ORTHOCONV_OK) s = orthoconv_backward_weights(M, K, N, x, K, dy, N, tr, dw, db);
  if (s == ORTHOCONV_OK) s = orthoconv_gram(K, N, w, g);
  float pen;
  for (int kind = 0; kind <= (int)ORTHOCONV_REG_MIRROR_PAIRS && s == ORTHOCONV_OK; kind++)
    s = orthoconv_regularize((orthoconv_regularizer)kind, 1e-3f, K, N, w, tr, &pen, dw);
  const orthoconv_sgd sgd = { 0.01f, 0.9f, 1e-4f, 0 };
  const orthoconv_adamw adam = { 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f };
  if (s == ORTHOCONV_OK) s = orthoconv_sgd_step(&sgd, K, N, w, dw, m1, tr);
  if (s == ORTHOCONV_OK) s = orthoconv_adamw_step(&adam, 1, K, N, w, dw, m1, m2, tr);
  const char *name = orthoconv_selected_kernel(ORTHOCONV_OP_FORWARD, M, K, N);
  window = 0;
  CHECK(s == ORTHOCONV_OK, "a compute call failed: %s", orthoconv_strerror(s));
  CHECK(opens == 0, "compute calls opened %d files", opens);
  CHECK(allocs == 0, "compute calls allocated %d times", allocs);

  orthoconv_layer *l = NULL;
  CHECK(orthoconv_layer_create(K, N, w, b, ORTHOCONV_ACT_NONE, &l) == ORTHOCONV_OK, "layer_create");
  window = 1;
  for (size_t m = 1; m <= M; m += 8) CHECK(orthoconv_layer_forward(l, m, x, K, y, N) == ORTHOCONV_OK, "layer_forward");
  window = 0;
  orthoconv_layer_destroy(l);
  CHECK(opens == 0 && allocs == 0, "layer_forward opened %d files, allocated %d times", opens, allocs);

  /* The bf16 and int8 layers: conversions and forward calls allocate nothing. */
  static uint16_t xb[M * K];
  static uint8_t xq[M * K];
  static int8_t wq[K * N];
  static float ws[N];
  for (size_t i = 0; i < K * N; i++) wq[i] = (int8_t)(i % 255 - 127);
  for (size_t i = 0; i < N; i++) ws[i] = 0.01f;
  orthoconv_layer *lb = NULL;
  orthoconv_qlayer *lq = NULL;
  CHECK(orthoconv_layer_create_bf16(K, N, w, b, ORTHOCONV_ACT_SOFTMAX, &lb) == ORTHOCONV_OK, "layer_create_bf16");
  CHECK(orthoconv_qlayer_create(K, N, wq, ws, NULL, ORTHOCONV_ACT_RELU, &lq) == ORTHOCONV_OK, "qlayer_create");
  window = 1;
  s = orthoconv_f32_to_bf16(M * K, x, xb);
  if (s == ORTHOCONV_OK) s = orthoconv_quantize_u8(M * K, x, 0.01f, 128, xq);
  for (size_t m = 1; m <= M && s == ORTHOCONV_OK; m += 8) {
    s = orthoconv_layer_forward_bf16(lb, m, xb, K, y, N);
    if (s == ORTHOCONV_OK) s = orthoconv_qlayer_forward(lq, m, xq, K, 0.01f, 128, y, N);
  }
  window = 0;
  orthoconv_layer_destroy(lb);
  orthoconv_qlayer_destroy(lq);
  CHECK(s == ORTHOCONV_OK, "a bf16/int8 call failed: %s", orthoconv_strerror(s));
  CHECK(opens == 0 && allocs == 0, "bf16/int8 calls opened %d files, allocated %d times", opens, allocs);

  char st[512];
  orthoconv_profile_status(st, sizeof st);
  CHECK(strstr(st, "built-in defaults") != NULL, "a profile got loaded without being asked for: %s", st);
  /* The wrappers do see the library's calls: an explicit load opens the file. */
  window = 1;
  (void)orthoconv_profile_load(NULL);
  window = 0;
  CHECK(opens > 0, "the counting wrappers saw no open in an explicit profile load (test broken?)");
  printf("compute calls: 0 opens, 0 allocations (forward ran %s); explicit load: %d opens\n", name, opens);
  return test_finish("noio");
}
