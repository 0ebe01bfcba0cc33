/* OpenBLAS and BLIS, both through cblas_*. Both export the same symbols, so each
 * is dlopen'd with RTLD_LOCAL and called through its own pointers: one process
 * can time both, and neither can answer for the other. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "impl.h"
#include "orthoconv.h"

/* The CBLAS enum values are fixed by the standard interface. */
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112, UPPER = 121 };
typedef void sgemm_fn(int, int, int, int, int, int, float, const float *, int, const float *, int,
                      float, float *, int);
typedef void ssyrk_fn(int, int, int, int, int, float, const float *, int, float, float *, int);

typedef struct blas {
  const char *label;
  sgemm_fn *sgemm;
  ssyrk_fn *ssyrk;
} blas;

static void *prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  (void)io, (void)err, (void)n;
  if (c->op != OCB_REG) return (void *)im->data;
  /* G and A = 4 (G - I): N x N scratch, kept with the case. */
  float *g = calloc(c->N * c->N, sizeof(float));
  if (!g) abort();
  void **ctx = malloc(2 * sizeof(void *));
  if (!ctx) abort();
  ctx[0] = (void *)im->data, ctx[1] = g;
  return ctx;
}

static void run(void *ctx, const ocb_case *c, ocb_io *io) {
  const int M = (int)c->M, K = (int)c->K, N = (int)c->N;
  if (c->op == OCB_REG) {
    const blas *b = ((void **)ctx)[0];
    float *g = ((void **)ctx)[1];
    b->ssyrk(ROW_MAJOR, UPPER, TRANS, N, K, 1.0f, io->w, N, 0.0f, g, N);
    float value = 0;
    for (int i = 0; i < N; i++)
      for (int j = i; j < N; j++) {
        const float e = g[i * N + j] - (i == j);
        value += (i == j ? 1 : 2) * e * e;
        g[i * N + j] = g[j * N + i] = 4 * e;
      }
    io->penalty = value;
    b->sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, K, N, N, 1.0f, io->w, N, g, N, 1.0f, io->grad, N);
    return;
  }
  const blas *b = ctx;
  switch (c->op) {
  case OCB_FWD: b->sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, M, N, K, 1.0f, io->x, K, io->w, N, 0.0f, io->y, N); break;
  case OCB_BWD_DATA: b->sgemm(ROW_MAJOR, NO_TRANS, TRANS, M, K, N, 1.0f, io->dy, N, io->w, N, 0.0f, io->dx, K); break;
  case OCB_BWD_WEIGHTS:
    b->sgemm(ROW_MAJOR, TRANS, NO_TRANS, K, N, M, 1.0f, io->x, K, io->dy, N, 0.0f, io->dw, N);
    /* The bias gradient is part of the op: a column sum the BLAS has no call for. */
    for (int j = 0; j < N; j++) io->dbias[j] = 0;
    for (int m = 0; m < M; m++)
      for (int j = 0; j < N; j++) io->dbias[j] += io->dy[(size_t)m * N + j];
    break;
  default: break;
  }
}

static void load(const char *name, const char *path, const char *threads_fn) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    ocb_anchor_missing(name, "cannot load %s (%s)", path, dlerror());
    return;
  }
  blas *b = calloc(1, sizeof *b);
  if (!b) abort();
  b->label = name;
  b->sgemm = (sgemm_fn *)dlsym(h, "cblas_sgemm");
  b->ssyrk = (ssyrk_fn *)dlsym(h, "cblas_ssyrk");
  void (*set_threads)(int) = (void (*)(int))dlsym(h, threads_fn);
  if (!b->sgemm || !b->ssyrk) {
    ocb_anchor_missing(name, "%s has no cblas_sgemm/cblas_ssyrk", path);
    return;
  }
  if (set_threads) set_threads(ocb_threads);
  else if (ocb_threads > 1) {
    ocb_anchor_missing(name, "%s has no %s: cannot be run on %d threads", path, threads_fn, ocb_threads);
    return;
  }
  ocb_anchor_ok(name, "%s, %d thread%s (%s)", path, ocb_threads, ocb_threads > 1 ? "s" : "",
                set_threads ? threads_fn : "no thread call: *_NUM_THREADS=1");
  static const ocb_op ops[] = { OCB_FWD, OCB_BWD_DATA, OCB_BWD_WEIGHTS, OCB_REG };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    const ocb_impl im = { .name = name, .op = ops[i], .anchor = 1, .isa = -1, .data = b,
                          .prepare = prepare, .run = run };
    ocb_impl_add(&im);
  }
}

void ocb_add_cblas(void) {
#ifdef OCB_OPENBLAS_LIB
  load("openblas", OCB_OPENBLAS_LIB, "openblas_set_num_threads");
#else
  ocb_anchor_missing("openblas", OCB_NOT_CONFIGURED("openblas by pkg-config or -lopenblas; Debian: libopenblas-dev"));
#endif
#ifdef OCB_BLIS_LIB
  load("blis", OCB_BLIS_LIB, "bli_thread_set_num_threads");
#else
  ocb_anchor_missing("blis", OCB_NOT_CONFIGURED("-lblis; Debian: libblis-dev"));
#endif
}
