#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fwd/driver.h"
#include "fwd/pack.h"
#include "tune_case.h"
#include "tune_case_lp.h"
#include "tune_time.h"

/* Validation runs on at most this many rows: enough for every tile and tail
 * path, and the scalar reference stays fast at M = 50176. */
#define VALIDATE_M 3136

/* Mutable arrays of one call. x and dy are inputs that rotate with the outputs. */
typedef struct bufs {
  float *x, *dy, *y, *dx, *dw, *db, *g, *grad, *ws, *vel, *m, *v;
} bufs;

struct tc_case {
  orthoconv_op op;
  size_t M, K, N, slots, slot;
  float *w, *w16, *bias, *a, *gin;  /* constant inputs */
  size_t npad;                        /* filters of w16 */
  float *wp[4];                       /* W in panels of wp_nr[i] filters, as a layer packs it */
  size_t wp_nr[4];
  float *ws0, *vel0, *m0, *v0;      /* optimizer state at the start, for validation */
  bufs b;                           /* slot 0 of each rotating array */
  bufs ref;                         /* the reference's outputs (NULL until computed) */
  int have_ref;
  tc_lp *lp;                        /* bf16 and int8 layers: X and W (tune_case_lp.c) */
  unsigned char *half;              /* ops with a mask: the first N / 2 filters frozen */
  size_t lp_slot;                   /* the slot of X the next call reads */
};

static uint64_t rng = 0x2545f4914f6cdd1dull;
static float randf(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (float)((double)(rng >> 40) / 16777216.0 * 2.0 - 1.0);
}

static void *alloc_bytes(size_t n) {
  void *p = aligned_alloc(64, (n + 63) / 64 * 64);
  if (!p) {
    fprintf(stderr, "orthoconv-tune: out of memory (%zu bytes)\n", n);
    exit(1);
  }
  return p;
}

static float *alloc_f(size_t n) { return alloc_bytes(n * sizeof(float)); }

static float *random_f(size_t n, float lo_abs) {
  float *p = alloc_f(n);
  for (size_t i = 0; i < n; i++) p[i] = lo_abs > 0 ? lo_abs + fabsf(randf()) : randf();
  return p;
}

/* n floats per slot, slots copies (the copies share the data, not the cache lines). */
static float *rotating(size_t n, size_t slots, int fill) {
  float *p = alloc_f(n * slots);
  if (fill) {
    for (size_t i = 0; i < n; i++) p[i] = randf();
    for (size_t s = 1; s < slots; s++) memcpy(p + s * n, p, n * sizeof *p);
  } else {
    memset(p, 0, n * slots * sizeof *p);
  }
  return p;
}

static float *dup_f(const float *src, size_t n) {
  float *p = alloc_f(n);
  memcpy(p, src, n * sizeof *p);
  return p;
}

static int uses_m(orthoconv_op op) { return orthoconv_priv_class_count(op) > 1; }

/* Ops that take a trainable mask are timed with and without frozen filters: a
 * variant must not win on all-trainable calls alone. On Zen 4 the AVX2 AdamW step
 * ran 1.05x faster than the AVX-512 one with every filter trainable and 3.3x
 * slower with 5 of 10 frozen (AVX2 masked stores); a quick tune picked it. */
static int takes_mask(orthoconv_op op) {
  return op == ORTHOCONV_OP_BACKWARD_WEIGHTS || op == ORTHOCONV_OP_REG_GRAD || op == ORTHOCONV_OP_SGD ||
      op == ORTHOCONV_OP_ADAMW;
}

tc_case *tc_create(orthoconv_op op, size_t M, size_t K, size_t N, size_t cold_bytes) {
  tc_case *c = calloc(1, sizeof *c);
  c->op = op;
  c->M = uses_m(op) ? M : 0;
  c->K = K;
  c->N = N;
  const size_t KN = K * N;
  c->w = random_f(KN, 0);
  /* Packed as a layer would, padded to a multiple of every K16 tile width. */
  size_t unit = 1;
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++)
    if (orthoconv_priv_ukernels[i].wlayout == ORTHOCONV_W_K16) {
      size_t a = unit, b = orthoconv_priv_ukernels[i].nr;
      while (b) {
        const size_t r = a % b;
        a = b;
        b = r;
      }
      unit = unit / a * orthoconv_priv_ukernels[i].nr;
    }
  c->npad = (N + unit - 1) / unit * unit;
  for (size_t i = 0, n = 0; i < orthoconv_priv_ukernel_count && n < 4; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (k->wlayout != ORTHOCONV_W_PANEL || !orthoconv_priv_isa_runnable(k->isa)) continue;
    int seen = 0;
    for (size_t j = 0; j < n; j++) seen |= c->wp_nr[j] == k->nr;
    if (seen) continue;
    c->wp_nr[n] = k->nr;
    c->wp[n] = alloc_f(orthoconv_priv_pack_panel_floats(K, N, k->nr));
    orthoconv_priv_pack_panel(K, N, k->nr, c->w, c->wp[n++]);
  }
  c->w16 = alloc_f(orthoconv_priv_pack_k16_floats(K, c->npad));
  orthoconv_priv_pack_k16(K, N, c->npad, c->w, c->w16);
  c->bias = random_f(N, 0);
  c->a = random_f(N * N, 0);
  c->gin = random_f(KN, 0);
  if (takes_mask(op)) {
    c->half = alloc_bytes(N);
    for (size_t j = 0; j < N; j++) c->half[j] = j >= N / 2;
  }
  /* Bytes streamed per call by the M-sized arrays decide how many copies make it cold. */
  const size_t per_call = c->M * (K + N) * sizeof(float);
  c->slots = 1;
  if (cold_bytes && per_call && per_call < cold_bytes) c->slots = (cold_bytes + per_call - 1) / per_call;
  bufs *b = &c->b;
  switch (op) {
  case ORTHOCONV_OP_FORWARD:
  case ORTHOCONV_OP_LAYER_FORWARD:
    b->x = rotating(c->M * K, c->slots, 1);
    b->y = rotating(c->M * N, c->slots, 0);
    break;
  case ORTHOCONV_OP_BACKWARD_DATA:
    b->dy = rotating(c->M * N, c->slots, 1);
    b->dx = rotating(c->M * K, c->slots, 0);
    break;
  case ORTHOCONV_OP_BACKWARD_WEIGHTS:
    b->x = rotating(c->M * K, c->slots, 1);
    b->dy = rotating(c->M * N, c->slots, 1);
    b->dw = alloc_f(KN);
    b->db = alloc_f(N);
    break;
  case ORTHOCONV_OP_LAYER_FORWARD_BF16:
  case ORTHOCONV_OP_QLAYER_FORWARD:
    c->lp = tc_lp_create(op, c->M, K, N, c->slots);
    b->y = rotating(c->M * N, c->slots, 0);
    break;
  case ORTHOCONV_OP_GRAM: b->g = alloc_f(N * N); break;
  case ORTHOCONV_OP_REG_GRAD: b->grad = rotating(KN, 1, 0); break;
  case ORTHOCONV_OP_SGD:
    c->ws0 = random_f(KN, 0), c->vel0 = random_f(KN, 0);
    b->ws = dup_f(c->ws0, KN), b->vel = dup_f(c->vel0, KN);
    break;
  case ORTHOCONV_OP_ADAMW:
    c->ws0 = random_f(KN, 0), c->m0 = random_f(KN, 0), c->v0 = random_f(KN, 0.01f);
    b->ws = dup_f(c->ws0, KN), b->m = dup_f(c->m0, KN), b->v = dup_f(c->v0, KN);
    break;
  }
  return c;
}

static const orthoconv_sgd sgd_opt = { 1e-3f, 0.9f, 1e-4f, 1 };
static const orthoconv_adamw adamw_opt = { 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f };
enum { ADAMW_T = 3 };

static void call(const tc_case *c, const orthoconv_priv_choice *ch, size_t M, const bufs *b,
    const unsigned char *trainable) {
  const orthoconv_ukernel *k = ch->k;
  const size_t K = c->K, N = c->N;
  switch (c->op) {
  case ORTHOCONV_OP_FORWARD:
  case ORTHOCONV_OP_LAYER_FORWARD:
  {
    /* orthoconv_forward gives W as is (the driver packs per block); a layer packed. */
    const int layer = c->op == ORTHOCONV_OP_LAYER_FORWARD;
    orthoconv_priv_fwd_w wv = { .kn = c->w };
    if (layer && k->wlayout == ORTHOCONV_W_K16 && c->npad % k->nr == 0) wv.k16 = c->w16, wv.npad = c->npad;
    for (size_t i = 0; layer && k->wlayout == ORTHOCONV_W_PANEL && i < 4; i++)
      if (c->wp[i] && c->wp_nr[i] == k->nr) wv.panel = c->wp[i], wv.panel_nr = k->nr;
    orthoconv_priv_fwd_drive(k, ch->t, M, K, N, b->x, K, &wv, c->bias, ORTHOCONV_ACT_NONE, b->y, N);
  }
    break;
  case ORTHOCONV_OP_LAYER_FORWARD_BF16:
  case ORTHOCONV_OP_QLAYER_FORWARD: tc_lp_call(c->lp, ch, M, c->lp_slot, b->y); break;
  case ORTHOCONV_OP_BACKWARD_DATA: k->fn.bwd_data(M, K, N, b->dy, N, c->w, b->dx, K, ch->t); break;
  case ORTHOCONV_OP_BACKWARD_WEIGHTS: k->fn.bwd_weights(M, K, N, b->x, K, b->dy, N, trainable, b->dw, b->db, ch->t); break;
  case ORTHOCONV_OP_GRAM: k->fn.gram(K, N, c->w, b->g, ch->t); break;
  case ORTHOCONV_OP_REG_GRAD: k->fn.reg_grad(K, N, c->w, c->a, trainable, b->grad, ch->t); break;
  case ORTHOCONV_OP_SGD: k->fn.sgd(&sgd_opt, K, N, b->ws, c->gin, b->vel, trainable, ch->t); break;
  case ORTHOCONV_OP_ADAMW: {
    const float step = (float)(adamw_opt.lr / (1.0 - pow(adamw_opt.beta1, ADAMW_T)));
    const float bc2 = (float)sqrt(1.0 - pow(adamw_opt.beta2, ADAMW_T));
    k->fn.adamw(&adamw_opt, step, bc2, K, N, b->ws, c->gin, b->m, b->v, trainable, ch->t);
    break;
  }
  }
}

/* One call on the next slot of the rotating arrays. */
static void call_next(tc_case *c, const orthoconv_priv_choice *ch, const unsigned char *trainable) {
  const size_t s = c->slot;
  c->slot = s + 1 == c->slots ? 0 : s + 1;
  bufs b = c->b;
  const size_t MK = c->M * c->K, MN = c->M * c->N;
  if (b.x) b.x += s * MK;
  if (b.dy) b.dy += s * MN;
  if (b.y) b.y += s * MN;
  if (b.dx) b.dx += s * MK;
  c->lp_slot = s;
  call(c, ch, c->M, &b, trainable);
}

/* The frozen call on a slot of its own: cold cases stay cold. */
void tc_run(tc_case *c, const orthoconv_priv_choice *ch) {
  call_next(c, ch, NULL);
  if (c->half) call_next(c, ch, c->half);
}

static double work_of_call(const tc_case *c) {
  const double KN = (double)c->K * (double)c->N;
  switch (c->op) {
  case ORTHOCONV_OP_GRAM:
  case ORTHOCONV_OP_REG_GRAD: return 2.0 * KN * (double)c->N;
  case ORTHOCONV_OP_SGD: return 5.0 * KN * sizeof(float);   /* read w, g, v; write w, v */
  case ORTHOCONV_OP_ADAMW: return 7.0 * KN * sizeof(float); /* read w, g, m, v; write w, m, v */
  default: return 2.0 * (double)c->M * KN;
  }
}

/* With a mask, both calls count as whole ones. */
double tc_work(const tc_case *c) { return (c->half ? 2.0 : 1.0) * work_of_call(c); }

const char *tc_unit(orthoconv_op op) {
  return op == ORTHOCONV_OP_SGD || op == ORTHOCONV_OP_ADAMW ? "GB/s" : "GFLOP/s";
}

size_t tc_m(const tc_case *c) { return c->M; }

/* Fresh outputs and state for one validation call. */
static bufs val_bufs(const tc_case *c, size_t Mv) {
  const size_t KN = c->K * c->N;
  bufs v = { 0 };
  v.x = c->b.x, v.dy = c->b.dy;
  if (c->b.y) v.y = rotating(Mv * c->N, 1, 0);
  if (c->b.dx) v.dx = rotating(Mv * c->K, 1, 0);
  if (c->b.dw) v.dw = rotating(KN, 1, 0), v.db = rotating(c->N, 1, 0);
  if (c->b.g) v.g = rotating(c->N * c->N, 1, 0);
  if (c->b.grad) v.grad = rotating(KN, 1, 0);
  if (c->ws0) v.ws = dup_f(c->ws0, KN);
  if (c->vel0) v.vel = dup_f(c->vel0, KN);
  if (c->m0) v.m = dup_f(c->m0, KN), v.v = dup_f(c->v0, KN);
  return v;
}

static void free_bufs(bufs *v) {
  free(v->y), free(v->dx), free(v->dw), free(v->db), free(v->g), free(v->grad);
  free(v->ws), free(v->vel), free(v->m), free(v->v);
}

/* Largest |got - want| over tol; tol from the contract: 1e-5 x the sum of |products|
 * (bounded by inner x 1 x 1 for data in [-1, 1)), doubled as both sides may err. */
static int compare(const char *what, const float *got, const float *want, size_t n, double inner,
    double rel, char *msg, size_t ms) {
  if (!got) return 1;
  for (size_t i = 0; i < n; i++) {
    const double tol = 2e-5 * inner + rel * fabs((double)want[i]);
    const double err = fabs((double)got[i] - (double)want[i]);
    if (!(err <= tol)) {
      snprintf(msg, ms, "%s[%zu] = %.7g, reference %.7g (|error| %.3g > %.3g)", what, i, got[i], want[i], err, tol);
      return 0;
    }
  }
  return 1;
}

int tc_validate(tc_case *c, const orthoconv_priv_choice *ch, char *msg, size_t ms, double *est) {
  const size_t Mv = c->M < VALIDATE_M ? c->M : VALIDATE_M, KN = c->K * c->N, N = c->N;
  unsigned char mask[4096];
  for (size_t i = 0; i < sizeof mask; i++) mask[i] = i != 1; /* filter 1 frozen */
  const unsigned char *trainable = N <= sizeof mask ? mask : NULL;
  if (!c->have_ref) {
    const orthoconv_priv_choice ref = orthoconv_priv_default_choice(c->op, c->M, c->K, c->N, ORTHOCONV_ISA_SCALAR);
    c->ref = val_bufs(c, Mv);
    c->lp_slot = 0;
    call(c, &ref, Mv, &c->ref, trainable);
    c->have_ref = 1;
  }
  bufs v = val_bufs(c, Mv);
  c->lp_slot = 0;
  const double t0 = tt_now();
  call(c, ch, Mv, &v, trainable);
  *est = (tt_now() - t0) * (Mv ? (double)c->M / (double)Mv : 1.0) * (c->half ? 2.0 : 1.0);
  const double K = (double)c->K, opt_rel = 1e-5;
  const int ok = compare("y", v.y, c->ref.y, Mv * N, K + 1, 0, msg, ms) &&
      compare("dx", v.dx, c->ref.dx, Mv * c->K, (double)N, 0, msg, ms) &&
      compare("dw", v.dw, c->ref.dw, KN, (double)Mv, 0, msg, ms) &&
      compare("dbias", v.db, c->ref.db, N, (double)Mv, 0, msg, ms) &&
      compare("gram", v.g, c->ref.g, N * N, K, 0, msg, ms) &&
      compare("grad", v.grad, c->ref.grad, KN, (double)N, 0, msg, ms) &&
      compare("w", v.ws, c->ref.ws, KN, 0.1, opt_rel, msg, ms) &&
      compare("velocity", v.vel, c->ref.vel, KN, 0.1, opt_rel, msg, ms) &&
      compare("m", v.m, c->ref.m, KN, 0.1, opt_rel, msg, ms) &&
      compare("v", v.v, c->ref.v, KN, 0.01, opt_rel, msg, ms);
  free_bufs(&v);
  return ok;
}

void tc_free(tc_case *c) {
  if (!c) return;
  free(c->w), free(c->w16), free(c->bias), free(c->a), free(c->gin);
  for (int i = 0; i < 4; i++) free(c->wp[i]);
  tc_lp_free(c->lp);
  free(c->ws0), free(c->vel0), free(c->m0), free(c->v0), free(c->half);
  free(c->b.x), free(c->b.dy);
  bufs *b = &c->b;
  b->x = b->dy = NULL;
  free_bufs(b);
  if (c->have_ref) free_bufs(&c->ref);
  free(c);
}

orthoconv_priv_shape tc_shape(const tc_case *c) {
  const orthoconv_priv_shape s = { c->M, c->K, c->N };
  return s;
}
