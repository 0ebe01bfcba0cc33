/* XNNPACK fully connected: the operator is created once per shape (weights
 * packed then) and set up again only when the buffers move (cold runs). */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include "impl.h"

#ifdef OCB_HAVE_XNNPACK
#include <xnnpack.h>

typedef struct ctx { xnn_operator_t op; const float *x; float *y; } ctx;

static void *prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  (void)im;
  ctx *x = calloc(1, sizeof *x);
  if (!x) abort();
  /* TRANSPOSE_WEIGHTS: the kernel is K x N, our layout, not N x K. */
  enum xnn_status s = xnn_create_fully_connected_nc_f32(c->K, c->N, c->K, c->N, io->w, NULL, -INFINITY,
                                                        INFINITY, XNN_FLAG_TRANSPOSE_WEIGHTS, &x->op);
  if (s == xnn_status_success) s = xnn_setup_fully_connected_nc_f32(x->op, c->M, io->x, io->y, NULL);
  if (s != xnn_status_success) {
    snprintf(err, n, "XNNPACK: fully connected create/setup failed (status %d)", (int)s);
    return NULL;
  }
  x->x = io->x, x->y = io->y;
  return x;
}

static void run(void *p, const ocb_case *c, ocb_io *io) {
  ctx *x = p;
  if (io->x != x->x || io->y != x->y) {
    xnn_setup_fully_connected_nc_f32(x->op, c->M, io->x, io->y, NULL);
    x->x = io->x, x->y = io->y;
  }
  xnn_run_operator(x->op, (pthreadpool_t)ocb_tpool);
}

void ocb_add_xnnpack(void) {
  if (xnn_initialize(NULL) != xnn_status_success) {
    ocb_anchor_missing("xnnpack", "xnn_initialize failed (CPU not supported?)");
    return;
  }
  if (ocb_threads > 1 && !ocb_tpool) {
    ocb_anchor_missing("xnnpack", "no pthreadpool in this build: cannot be run on %d threads", ocb_threads);
    return;
  }
  if (ocb_tpool) ocb_anchor_ok("xnnpack", "fully connected f32, pthreadpool of %d threads", ocb_threads);
  else ocb_anchor_ok("xnnpack", "fully connected f32, no thread pool (1 thread)");
  const ocb_impl im = { .name = "xnnpack", .op = OCB_FWD, .anchor = 1, .isa = -1, .prepare = prepare, .run = run };
  ocb_impl_add(&im);
}
#else
void ocb_add_xnnpack(void) {
  ocb_anchor_missing("xnnpack", OCB_NOT_CONFIGURED("-lXNNPACK with xnnpack.h; Debian: libxnnpack-dev"));
}
#endif
