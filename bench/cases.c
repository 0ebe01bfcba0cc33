#include "cases.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "data.h"
#include "impl.h"
#include "lowprec.h"
#include "ocb.h"
#include "orthoconv.h"
#include "registry.h"

static const char *const op_names[OCB_NOPS] = { "fwd", "bwd_data", "bwd_weights", "gram", "reg",
                                                "reg_grad", "sgd", "adamw", "fwd_bf16", "qfwd" };
static const char *const act_names[] = { "none", "relu", "sigmoid", "tanh", "gelu", "softmax" };
static const char *const reg_names[] = { "SO", "DSO", "MC", "SRIP", "KERAS_COLUMNS", "MIRROR_PAIRS" };

/* Work per call: useful flops (frozen filters excluded) and bytes that must move. */
static void work(const ocb_case *c, double *flops, double *bytes) {
  const double M = (double)c->M, K = (double)c->K, N = (double)c->N, f = 4;
  const double Nt = N - c->nfrozen;
  switch (c->op) {
  case OCB_FWD: *flops = 2 * M * K * N; *bytes = f * (M * K + K * N + M * N); break;
  case OCB_BWD_DATA: *flops = 2 * M * K * N; *bytes = f * (M * N + K * N + M * K); break;
  case OCB_BWD_WEIGHTS: *flops = 2 * M * K * Nt; *bytes = f * (M * K + M * N + K * N); break;
  case OCB_GRAM: *flops = K * N * (N + 1); *bytes = f * K * N; break;
  /* G (symmetric) then W A: the gradient product dominates every kind. */
  case OCB_REG: *flops = K * N * (N + 1) + 2 * K * N * Nt; *bytes = f * 3 * K * N; break;
  case OCB_REG_GRAD: *flops = 2 * K * N * Nt; *bytes = f * (K * N + 2 * K * Nt); break;
  /* Memory-bound: no flop count, the roofline is the bandwidth. */
  case OCB_SGD: *flops = 0; *bytes = f * (K * N + 4 * K * Nt); break;
  case OCB_ADAMW: *flops = 0; *bytes = f * (K * N + 6 * K * Nt); break;
  case OCB_FWD_BF16: case OCB_QFWD: ocb_lp_work(c, flops, bytes); break;
  default: *flops = *bytes = 0;
  }
}

static void reset_state(const ocb_case *c, ocb_data *d) {
  memset(d->grad, 0, c->K * c->N * sizeof(float));
  memcpy(d->wmut, d->w, c->K * c->N * sizeof(float));
  memset(d->m, 0, c->K * c->N * sizeof(float));
  memset(d->v, 0, c->K * c->N * sizeof(float));
  memset(d->vel, 0, c->K * c->N * sizeof(float));
  /* The optimizer steps read grad: give them a small, nonzero one. */
  if (c->op == OCB_SGD || c->op == OCB_ADAMW) {
    ocb_fill(d->grad, c->K * c->N, 9);
    for (size_t i = 0; i < c->K * c->N; i++) d->grad[i] *= 0.01f;
  }
}

static unsigned char *mask_of(const ocb_case *c) {
  if (c->nfrozen == 0) return NULL;
  unsigned char *t = malloc(c->N);
  if (!t) abort();
  for (size_t j = 0; j < c->N; j++) t[j] = (int)j >= c->nfrozen;
  return t;
}

/* First call of a case: set up, run once, check. Kept for the later calls. */
static int ready(ocb_case *c, ocb_data *d, ocb_io *io) {
  if (c->state) return c->state > 0;
  c->state = -1;
  c->ctx = c->im->prepare(c->im, c, io, c->err, sizeof c->err);
  if (!c->ctx) return 0;
  reset_state(c, d);
  c->im->run(c->ctx, c, io);
  if (c->im->finish) c->im->finish(c->ctx, c, io);
  if (!ocb_check(c, d, io, c->err, sizeof c->err)) return 0;
  c->state = 1;
  return 1;
}

static void body(ocb_state *st, void *arg) {
  ocb_case *c = arg;
  ocb_data *d = ocb_data_get(c->M, c->K, c->N);
  ocb_io io = ocb_io_warm(c, d);
  if (c->nfrozen && !c->mask) c->mask = mask_of(c);
  io.trainable = c->mask;
  if (!ready(c, d, &io)) {
    ocb_skip(st, c->err[0] ? c->err : "cannot run");
    return;
  }
  if (c->im->api_op) {
    const char *k = orthoconv_selected_kernel((orthoconv_op)(c->im->api_op - 1), c->M, c->K, c->N);
    ocb_label(st, k ? k : "?");
  }
  double flops, bytes;
  work(c, &flops, &bytes);
  if (c->cold) {
    const ocb_cold cold = ocb_cold_for(c);
    size_t i = 0;
    while (ocb_keep_running(st)) {
      ocb_cold_io(&cold, c, i++, &io);
      c->im->run(c->ctx, c, &io);
    }
  } else {
    while (ocb_keep_running(st)) c->im->run(c->ctx, c, &io);
  }
  if (flops > 0) ocb_rate(st, "FLOPS", flops);
  ocb_rate(st, "BYTES", bytes);
  /* For the report: the working set picks the bandwidth of the roofline
   * (0 = cold: DRAM), isa picks the FMA peak (-1 = the best of this CPU). */
  ocb_value(st, "ws_bytes", c->cold ? 0 : bytes);
  ocb_value(st, "isa", c->im->isa);
  ocb_value(st, "anchor", c->im->anchor);
}

/* The ISA that will run: the variant's, or for the API the one dispatch picks now. */
static int isa_of(const ocb_impl *im, const ocb_case *c) {
  if (!im->api_op) return im->isa;
  const char *name = orthoconv_selected_kernel((orthoconv_op)(im->api_op - 1), c->M, c->K, c->N);
  const orthoconv_ukernel *k = name ? orthoconv_priv_ukernel_find(name) : NULL;
  return k ? (int)k->isa : -1;
}

static int scalar_too_slow(const ocb_impl *im, const ocb_case *c, int full) {
  double flops, bytes;
  work(c, &flops, &bytes);
  /* The scalar references run at 0.3-2 GFLOP/s: beyond this, one call takes
   * seconds and a repetition many of them. */
  return isa_of(im, c) == ORTHOCONV_ISA_SCALAR && flops > (full ? 2e9 : 2.5e8);
}

static void add(ocb_case c, int full) {
  for (size_t i = 0; i < ocb_impl_count(); i++) {
    const ocb_impl *im = ocb_impl_get(i);
    if (im->op != c.op) continue;
    /* The other libraries cannot skip frozen filters: their bar is the full job. */
    if (im->anchor && c.nfrozen) continue;
    /* ssyrk + sgemm is the other libraries' form of the SO penalty only. */
    if (im->anchor && c.op == OCB_REG && c.reg != ORTHOCONV_REG_SO) continue;
    if (scalar_too_slow(im, &c, full)) continue;
    c.im = im;
    char name[256], extra[64] = "";
    if (c.op == OCB_FWD && (c.act || c.bias)) snprintf(extra, sizeof extra, "/act:%s%s", act_names[c.act], c.bias ? "+bias" : "");
    if (c.op == OCB_BWD_WEIGHTS || c.op == OCB_REG_GRAD || c.op == OCB_SGD || c.op == OCB_ADAMW)
      snprintf(extra, sizeof extra, "/frozen:%d", c.nfrozen);
    if (c.op == OCB_REG) snprintf(extra, sizeof extra, "/reg:%s/frozen:%d", reg_names[c.reg], c.nfrozen);
    if (c.op == OCB_SGD && c.nesterov) strncat(extra, "/nesterov", sizeof extra - strlen(extra) - 1);
    if (ocb_threads > 1) {
      /* Only what runs on the pool: the API and the anchors, not the raw kernels. */
      if (!im->anchor && !im->api_op) continue;
      const size_t l = strlen(extra);
      snprintf(extra + l, sizeof extra - l, "/threads:%d", ocb_threads);
    }
    snprintf(name, sizeof name, "%s/%s/M:%zu/K:%zu/N:%zu%s/%s", op_names[c.op], im->name, c.M, c.K, c.N,
             extra, c.cold ? "cold" : "warm");
    ocb_register(name, body, &c, sizeof c);
    if (ocb_threads > 1 && im->api_op) {
      /* Ours without the pool, interleaved with the rest: the scaling from one run,
       * with the other libraries' idle threads around it as for the T-thread case. */
      ocb_case s = c;
      s.serial = 1;
      char *t = strstr(name, "/threads:");
      if (t) snprintf(t, sizeof name - (size_t)(t - name), "/threads:1/%s", c.cold ? "cold" : "warm");
      ocb_register(name, body, &s, sizeof s);
    }
  }
}

static ocb_case make(ocb_op op, size_t M, size_t K, size_t N) {
  ocb_case c;
  memset(&c, 0, sizeof c);
  c.op = op, c.M = M, c.K = K, c.N = N;
  return c;
}

void ocb_register_cases(int full) {
  static const size_t headline_m[] = { 1, 49, 3136, 50176 };
  /* K x N: the headline first, then a mid layer, a classifier head, an odd size. */
  static const size_t shapes[][2] = { { 1024, 10 }, { 512, 64 }, { 2048, 1000 }, { 100, 7 } };
  const size_t nshapes = full ? 4 : 1;

  for (size_t s = 0; s < nshapes; s++) {
    const size_t K = shapes[s][0], N = shapes[s][1];
    for (size_t i = 0; i < 4; i++) {
      const size_t M = headline_m[i];
      if (s > 0 && (M == 1 || M == 50176)) continue;
      /* fp32, bf16 and int8 side by side: the same shapes, the same run. */
      static const ocb_op fwd_ops[] = { OCB_FWD, OCB_FWD_BF16, OCB_QFWD };
      for (size_t o = 0; o < 3; o++) {
        ocb_case c = make(fwd_ops[o], M, K, N);
        add(c, full);
        c.cold = 1;
        if (M >= 3136 && (s == 0 || full)) add(c, full);
      }
    }
  }
  if (full) /* the fused epilogues, where they cost most relative to the GEMM */
    for (int act = 0; act <= ORTHOCONV_ACT_SOFTMAX; act++) {
      ocb_case c = make(OCB_FWD, 49, 1024, 10);
      c.act = act, c.bias = 1;
      add(c, full);
    }

  for (size_t s = 0; s < nshapes; s++) {
    const size_t K = shapes[s][0], N = shapes[s][1];
    static const size_t bwd_m[] = { 49, 3136, 50176 };
    for (size_t i = 0; i < (full ? 3u : 2u); i++) {
      const size_t M = bwd_m[i];
      if (s > 0 && M == 50176) continue;
      for (int cold = 0; cold <= (full && M >= 3136); cold++) {
        ocb_case c = make(OCB_BWD_DATA, M, K, N);
        c.cold = cold;
        add(c, full);
        static const int frozen[] = { 0, 5, 9 };
        for (int f = 0; f < 3; f++) {
          c = make(OCB_BWD_WEIGHTS, M, K, N);
          c.cold = cold;
          c.nfrozen = (int)((size_t)frozen[f] * N / 10);
          if (f && c.nfrozen == 0) continue;
          add(c, full);
        }
      }
    }
  }

  for (size_t s = 0; s < nshapes; s++) {
    const size_t K = shapes[s][0], N = shapes[s][1];
    /* The penalties are meant for a few filters; N = 1000 would time the
     * scalar N^2 parts for minutes and tell nothing about the layer. */
    if (N >= 1000) continue;
    add(make(OCB_GRAM, 0, K, N), full);
    for (int reg = 0; reg <= ORTHOCONV_REG_MIRROR_PAIRS; reg++)
      for (int fz = 0; fz <= 5; fz += 5) {
        ocb_case c = make(OCB_REG, 0, K, N);
        c.reg = reg, c.nfrozen = (int)((size_t)fz * N / 10);
        if (fz && !full) continue;
        add(c, full);
      }
    for (int fz = 0; fz <= 5; fz += 5) {
      ocb_case c = make(OCB_REG_GRAD, 0, K, N);
      c.nfrozen = (int)((size_t)fz * N / 10);
      add(c, full);
      c.op = OCB_SGD;
      add(c, full);
      c.nesterov = 1;
      if (full) add(c, full);
      c.nesterov = 0;
      c.op = OCB_ADAMW;
      add(c, full);
    }
  }
}

void ocb_register_shape_grid(void) {
  static const size_t kn[][2] = { { 1024, 10 }, { 100, 7 }, { 64, 16 }, { 1024, 32 },
                                  { 256, 64 }, { 512, 64 }, { 512, 128 }, { 2048, 1000 } };
  static const size_t ms[] = { 1, 49, 3136 };
  for (size_t s = 0; s < sizeof kn / sizeof kn[0]; s++)
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) add(make(OCB_FWD, ms[i], kn[s][0], kn[s][1]), 0);
  static const size_t bk[][2] = { { 512, 64 }, { 512, 128 } };
  for (size_t s = 0; s < 2; s++) {
    add(make(OCB_BWD_DATA, 3136, bk[s][0], bk[s][1]), 0);
    add(make(OCB_BWD_WEIGHTS, 3136, bk[s][0], bk[s][1]), 0);
  }
}

void ocb_register_thread_cases(void) {
  static const size_t ms[] = { 49, 3136, 50176 };
  static const ocb_op fwd_ops[] = { OCB_FWD, OCB_FWD_BF16, OCB_QFWD };
  for (size_t o = 0; o < 3; o++)
    for (size_t i = 0; i < 3; i++) {
      ocb_case c = make(fwd_ops[o], ms[i], 1024, 10);
      add(c, 0);
      c.cold = 1;
      if (ms[i] >= 3136) add(c, 0);
    }
  add(make(OCB_BWD_DATA, 3136, 1024, 10), 0);
  add(make(OCB_BWD_WEIGHTS, 3136, 1024, 10), 0);
}
