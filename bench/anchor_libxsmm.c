/* libxsmm: one JIT small-GEMM kernel, dispatched once per shape and called over
 * tiles of rows of X. libxsmm is column-major: row-major Y = X W is, in its
 * terms, Y^T (N x tile) = W^T (N x K) X^T (K x tile), with the buffers as they are. */
#include <stdio.h>
#include <stdlib.h>
#include "impl.h"

#ifdef OCB_HAVE_LIBXSMM
#include <libxsmm.h>

/* Rows of X per kernel call: small enough for libxsmm's JIT, large enough to
 * amortise the call. */
#define TILE 64

typedef struct ctx { libxsmm_smmfunction full, tail; } ctx;

static libxsmm_smmfunction get(size_t n_rows, const ocb_case *c) {
  const libxsmm_blasint m = (libxsmm_blasint)c->N, n = (libxsmm_blasint)n_rows, k = (libxsmm_blasint)c->K;
  const libxsmm_blasint lda = m, ldb = k, ldc = m;
  const float alpha = 1, beta = 0;
  return libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, NULL, NULL);
}

static void *prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  (void)im, (void)io;
  ctx *x = calloc(1, sizeof *x);
  if (!x) abort();
  const size_t tile = c->M < TILE ? c->M : TILE;
  x->full = get(tile, c);
  if (c->M % tile) x->tail = get(c->M % tile, c);
  if (!x->full || (c->M % tile && !x->tail)) {
    snprintf(err, n, "skipped: libxsmm has no kernel for %zu x %zu x %zu", c->N, tile, c->K);
    return NULL;
  }
  return x;
}

static void run(void *p, const ocb_case *c, ocb_io *io) {
  const ctx *x = p;
  const size_t tile = c->M < TILE ? c->M : TILE;
  size_t m = 0;
  for (; m + tile <= c->M; m += tile) x->full(io->w, io->x + m * c->K, io->y + m * c->N);
  if (m < c->M) x->tail(io->w, io->x + m * c->K, io->y + m * c->N);
}

void ocb_add_libxsmm(void) {
  if (ocb_threads > 1) {
    ocb_anchor_missing("libxsmm", "this anchor runs one thread (its small-GEMM JIT kernels, tiled here): not in the %d-thread table", ocb_threads);
    return;
  }
  libxsmm_init();
  ocb_anchor_ok("libxsmm", "%s, JIT small GEMM over tiles of %d rows, 1 thread", LIBXSMM_VERSION, TILE);
  const ocb_impl im = { .name = "libxsmm", .op = OCB_FWD, .anchor = 1, .isa = -1, .prepare = prepare, .run = run };
  ocb_impl_add(&im);
}
#else
void ocb_add_libxsmm(void) {
  ocb_anchor_missing("libxsmm", OCB_NOT_CONFIGURED("libxsmm and libxsmmnoblas by pkg-config; Debian: libxsmm-dev"));
}
#endif
