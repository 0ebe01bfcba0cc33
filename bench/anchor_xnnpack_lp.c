/* XNNPACK's int8 fully connected operators, qu8 (u8 x u8 with zero points) and
 * qs8 (s8 x s8): the quantized inference path engines use (TFLite). Their output
 * is requantized to 8 bits, as those engines keep it: the scale covers the
 * outputs of the data (all of them, computed before timing), the check allows one quantum,
 * and the floats are made after the timed calls. Our s8 weights enter qu8 as
 * w + 128 with zero point 128, and our u8 x enters qs8 as q - 128. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "impl.h"

#ifdef OCB_HAVE_XNNPACK
#include <xnnpack.h>

typedef struct ctx {
  xnn_operator_t op;
  int qs8;
  const void *x;   /* what the operator reads */
  const uint8_t *seen; /* io->xq when it was set up */
  int8_t *xs;      /* qs8: the warm x as s8 */
  uint8_t *out;    /* M x N, 8-bit */
  float out_scale;
} ctx;

/* The largest |y| of the data, exactly (once per case, outside the timing), with
 * a margin: the output scale, so that no output is clamped. */
static float out_scale(const ocb_case *c, const ocb_io *io) {
  long long mx = 1;
  for (size_t m = 0; m < c->M; m++)
    for (size_t j = 0; j < c->N; j++) {
      long long acc = 0;
      for (size_t k = 0; k < c->K; k++) acc += ((long long)io->xq[m * c->K + k] - io->zp) * io->wq[k * c->N + j];
      mx = acc > mx ? acc : -acc > mx ? -acc : mx;
    }
  return (float)(1.05 * (double)mx * io->x_scale * io->w_scale / 127.0);
}

static void *prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  ctx *x = calloc(1, sizeof *x);
  if (!x) abort();
  x->qs8 = im->data != NULL;
  x->out = malloc(c->M * c->N + 1);
  x->out_scale = out_scale(c, io);
  if (!x->out) abort();
  enum xnn_status s;
  if (io->bias) {
    snprintf(err, n, "skipped: cases with bias are not compared on the int8 anchors");
    return NULL;
  }
  if (x->qs8) {
    x->xs = malloc(c->M * c->K + 1);
    if (!x->xs) abort();
    for (size_t i = 0; i < c->M * c->K; i++) x->xs[i] = (int8_t)(io->xq[i] - 128);
    s = xnn_create_fully_connected_nc_qs8(c->K, c->N, c->K, c->N, (int8_t)(io->zp - 128), io->x_scale, io->w_scale, io->wq,
        NULL, 0, x->out_scale, -128, 127, XNN_FLAG_TRANSPOSE_WEIGHTS, &x->op);
    x->x = x->xs;
  } else {
    uint8_t *wu = malloc(c->K * c->N);
    if (!wu) abort();
    for (size_t i = 0; i < c->K * c->N; i++) wu[i] = (uint8_t)(io->wq[i] + 128);
    s = xnn_create_fully_connected_nc_qu8(c->K, c->N, c->K, c->N, (uint8_t)io->zp, io->x_scale, 128, io->w_scale, wu, NULL,
        128, x->out_scale, 0, 255, XNN_FLAG_TRANSPOSE_WEIGHTS, &x->op);
    free(wu);
    x->x = io->xq;
  }
  if (s == xnn_status_success)
    s = x->qs8 ? xnn_setup_fully_connected_nc_qs8(x->op, c->M, x->x, (int8_t *)x->out, NULL)
               : xnn_setup_fully_connected_nc_qu8(x->op, c->M, x->x, x->out, NULL);
  if (s != xnn_status_success) {
    snprintf(err, n, "XNNPACK: fully connected %s create/setup failed (status %d)", x->qs8 ? "qs8" : "qu8", (int)s);
    return NULL;
  }
  x->seen = io->xq;
  return x;
}

static void run(void *p, const ocb_case *c, ocb_io *io) {
  ctx *x = p;
  /* Cold runs move x: set up again on the new bytes (qs8 reads them as s8). */
  if (io->xq != x->seen) {
    x->seen = io->xq;
    if (x->qs8) xnn_setup_fully_connected_nc_qs8(x->op, c->M, (const int8_t *)(const void *)io->xq, (int8_t *)x->out, NULL);
    else xnn_setup_fully_connected_nc_qu8(x->op, c->M, io->xq, x->out, NULL);
  }
  xnn_run_operator(x->op, (pthreadpool_t)ocb_tpool);
}

/* Not timed: the 8-bit outputs as floats for the check. */
static void finish(void *p, const ocb_case *c, ocb_io *io) {
  const ctx *x = p;
  for (size_t i = 0; i < c->M * c->N; i++)
    io->y[i] = x->out_scale * (x->qs8 ? (float)(int8_t)x->out[i] : (float)x->out[i] - 128.0f);
  io->y_quantum = x->out_scale;
}

void ocb_add_xnnpack_lp(void) {
  if (xnn_initialize(NULL) != xnn_status_success) return;
  if (ocb_tpool) printf("anchor xnnpack: fully connected qu8 and qs8 (outputs requantized to 8 bits), pthreadpool of %d threads\n", ocb_threads);
  else printf("anchor xnnpack: fully connected qu8 and qs8 (outputs requantized to 8 bits), no thread pool (1 thread)\n");
  static const int qs8 = 1;
  const ocb_impl u = { .name = "xnnpack.qu8", .op = OCB_QFWD, .anchor = 1, .isa = -1, .prepare = prepare, .run = run,
                       .finish = finish };
  const ocb_impl s = { .name = "xnnpack.qs8", .op = OCB_QFWD, .anchor = 1, .isa = -1, .data = &qs8, .prepare = prepare,
                       .run = run, .finish = finish };
  ocb_impl_add(&u);
  ocb_impl_add(&s);
}
#else
void ocb_add_xnnpack_lp(void) {}
#endif
