#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "arena_call.h"
#include "oracle.h"
#include "testutil.h"

/* ------------------------------------------------------------ the arena -- */

#define ARENA_FLOATS 6144
#define ARENA_BYTES (ARENA_FLOATS * sizeof(float))
static float *arena, *before; /* malloc'd to the byte: AddressSanitizer sees a step past it */
static unsigned char owner[ARENA_BYTES]; /* bit i: byte of an element of buffer i */

static unsigned u8(arena_bytes *b) { return b->pos < b->n ? b->p[b->pos++] : 0u; }
static unsigned u16(arena_bytes *b) {
  const unsigned lo = u8(b);
  return lo | u8(b) << 8;
}

/* Every float of the arena from a seed (uniform in [-1, 1)), then a few NaN and
 * +-Inf at drawn places: inputs are small, so no product overflows. */
static void arena_fill(arena_bytes *b) {
  if (!arena) {
    arena = malloc(ARENA_BYTES);
    before = malloc(ARENA_BYTES);
    if (!arena || !before) abort();
  }
  test_seed(u16(b) + 1);
  for (size_t i = 0; i < ARENA_FLOATS; i++) arena[i] = test_randf();
  static const float sp[3] = { NAN, INFINITY, -INFINITY };
  for (unsigned n = u8(b) % 4, i = 0; i < n; i++) arena[u16(b) % ARENA_FLOATS] = sp[i % 3];
}

/* ----------------------------------------------- arguments and the model -- */

/* A matrix argument as the model sees it: rows x cols elements of esize bytes,
 * stride ld elements; out = the call writes it. */
typedef struct mbuf {
  const void *p;
  size_t rows, cols, ld, esize;
  int out, optional;
  int backed; /* 1: inside the arena; 0: NULL, wild, or a span the arena cannot hold */
} mbuf;

/* The argument drawn last: the next may take its stride and sit right after its
 * first row (a channel slice of the same concat buffer). */
static struct { const void *p; size_t cols, ld, esize; } prev;

/* Strides: a few above the row, the row exactly, one short, huge ones (with one
 * row any stride is valid; with two they overflow or exceed PTRDIFF_MAX), and
 * the previous argument's. */
static size_t draw_ld(arena_bytes *b, size_t cols) {
  const unsigned s = u8(b) % 32;
  if (s < 10) return cols + s % 8;
  if (s < 14) return cols + 8 + s; /* room for another argument's row between rows */
  if (s < 22) return prev.p && prev.ld >= cols ? prev.ld : cols + 1;
  switch (s) {
  case 22: return 2 * cols + 1;
  case 23: return cols + 8 + u8(b) % 16;
  case 24: return cols + 64;
  case 25: return cols ? cols - 1 : 0;
  case 26: return SIZE_MAX;
  case 27: return SIZE_MAX / 8 + 1;
  case 28: return (size_t)1 << 62;
  default: return cols;
  }
}

/* Where an argument lives: mostly somewhere in the arena, sometimes NULL or a
 * pointer whose first byte already wraps the address space. */
static mbuf draw_buf(arena_bytes *b, size_t rows, size_t cols, size_t ld, size_t esize, int out, int optional) {
  mbuf m = { NULL, rows, cols, ld, esize, out, optional, 0 };
  const unsigned where = u8(b) % 32;
  if (where == 0 || where == 1) {
    if (where) m.p = (const void *)(UINTPTR_MAX - 3);
    prev.p = NULL;
    return m;
  }
  const size_t slots = ARENA_BYTES / esize;
  size_t off = u16(b);
  const int beside = where < 10 && prev.p && prev.esize == esize;
  if (beside) /* right after the previous argument's first row, give or take one element */
    off = (size_t)((const unsigned char *)prev.p - (const unsigned char *)arena) / esize + prev.cols + where % 4 - 1;
  size_t span = 0;
  int fits = 1;
  if (rows && cols) {
    if (rows > 1 && ld > slots) fits = 0;
    else span = (rows - 1) * ld + cols;
    fits = fits && span <= slots;
  }
  if (!beside) off = fits ? off % (slots - span + 1) : off % slots;
  else if (off >= slots) off = 0, fits = 0;
  else fits = fits && off + span <= slots;
  m.p = (const unsigned char *)arena + off * esize;
  m.backed = fits;
  prev.p = m.p, prev.cols = cols, prev.ld = ld, prev.esize = esize;
  return m;
}

static int mbuf_invalid(const mbuf *m) {
  if (m->rows == 0) return 0;
  if (!m->p) return !m->optional;
  if (m->cols == 0 || m->ld < m->cols) return 1;
  const unsigned __int128 span = ((unsigned __int128)(m->rows - 1) * m->ld + m->cols) * m->esize;
  return span > PTRDIFF_MAX || (unsigned __int128)(uintptr_t)m->p + span > UINTPTR_MAX;
}

static size_t arena_byte(const void *p) { return (size_t)((const unsigned char *)p - (const unsigned char *)arena); }

/* Marks the bytes of m's elements with bit i. */
static void mark(const mbuf *m, unsigned i) {
  for (size_t r = 0; r < m->rows; r++)
    for (size_t c = 0; c < m->cols * m->esize; c++) owner[arena_byte(m->p) + r * m->ld * m->esize + c] |= (unsigned char)(1u << i);
}

/* The status the rules give once the call's own checks (sizes, enums,
 * hyper-parameters) passed: EINVAL for a bad argument, EOVERLAP if an output
 * shares a byte with another argument, else OK. *unbacked: an argument the arena
 * cannot hold, so a call the model accepts must not be made. */
static orthoconv_status model_bufs(const mbuf *m, unsigned n, int *unbacked, int *hulls_met) {
  *unbacked = 0;
  for (unsigned i = 0; i < n; i++)
    if (mbuf_invalid(&m[i])) return ORTHOCONV_EINVAL;
  memset(owner, 0, sizeof owner);
  for (unsigned i = 0; i < n; i++) {
    if (m[i].rows == 0 || !m[i].p) continue;
    if (!m[i].backed) {
      *unbacked = 1;
      return ORTHOCONV_OK;
    }
    mark(&m[i], i);
  }
  orthoconv_status s = ORTHOCONV_OK;
  for (unsigned i = 0; i < n && s == ORTHOCONV_OK; i++) {
    if (!m[i].out || !m[i].rows || !m[i].p) continue;
    const size_t base = arena_byte(m[i].p);
    for (size_t r = 0; r < m[i].rows && s == ORTHOCONV_OK; r++)
      for (size_t c = 0; c < m[i].cols * m[i].esize; c++)
        if (owner[base + r * m[i].ld * m[i].esize + c] & ~(1u << i)) s = ORTHOCONV_EOVERLAP;
  }
  /* did some output's span meet another argument's span (elements disjoint or not)? */
  for (unsigned i = 0; i < n; i++)
    for (unsigned j = 0; j < n && m[i].out; j++) {
      if (i == j || !m[i].rows || !m[j].rows || !m[i].p || !m[j].p) continue;
      const size_t a0 = arena_byte(m[i].p), a1 = a0 + ((m[i].rows - 1) * m[i].ld + m[i].cols) * m[i].esize;
      const size_t b0 = arena_byte(m[j].p), b1 = b0 + ((m[j].rows - 1) * m[j].ld + m[j].cols) * m[j].esize;
      *hulls_met |= a0 < b1 && b0 < a1;
    }
  return s;
}

/* Bytes the call may have written: the elements of the outputs. */
static void mark_outputs(const mbuf *m, unsigned n) {
  memset(owner, 0, sizeof owner);
  for (unsigned i = 0; i < n; i++)
    if (m[i].out && m[i].rows && m[i].p) mark(&m[i], 0);
}

/* Nothing but the marked bytes changed since the snapshot (all of them clear: nothing). */
static void check_untouched(const char *call, int any_marked) {
  const unsigned char *now = (const unsigned char *)arena, *was = (const unsigned char *)before;
  size_t bad = 0, first = 0;
  if (!any_marked && memcmp(now, was, ARENA_BYTES) == 0) return;
  for (size_t i = 0; i < ARENA_BYTES; i++)
    if (now[i] != was[i] && !(any_marked && owner[i])) {
      if (!bad++) first = i;
    }
  CHECK(bad == 0, "%s: %zu bytes outside its outputs changed (first at byte %zu)", call, bad, first);
}

/* The contract's bound: 1e-5 * S, plus n FLT_TRUE_MIN for n terms (below FLT_MIN
 * the float grid is absolute: subnormal results cannot be relatively exact). */
static double bound_tol(double sum_abs, size_t n) { return 1e-5 * sum_abs + (double)(n + 1) * FLT_TRUE_MIN; }

static int agrees(double got, double want, double tol) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return got == want;
  return isfinite(got) && fabs(got - want) <= tol;
}
/* Where float may overflow but double did not: +-Inf, NaN or agrees. */
static int agrees_or_overflows(double got, double want, double tol, double magnitude) {
  return agrees(got, want, tol) || (magnitude > FLT_MAX / 2 && !isfinite(got));
}

/* Hyper-parameters: the first ones are valid for every rate and beta, the rest
 * for some or none (NaN, Inf, negative, >= 1, huge); about 2 in 3 draws valid. */
static const float hyper[] = { 0.0f, 1e-3f, 0.01f, 0.1f, 0.5f, 0.9f, 0.999f, -0.0f, 1e-30f, 1e-45f, 0.99999994f,
                               1.0f, 2.0f, -0.1f, NAN, INFINITY, -INFINITY, 1e30f, FLT_MAX };
static float draw_hyper(arena_bytes *b) {
  const unsigned v = u8(b);
  return hyper[v < 170 ? v % 11 : v % (sizeof hyper / sizeof hyper[0])];
}
static int finite(float v) { return isfinite(v); }

static size_t draw_m(arena_bytes *b) {
  const unsigned v = u8(b);
  return v & 0x80 ? v % 70 : v % 9;
}
/* Mostly small; now and then past a vector loop or two; rarely past K chunks
 * of 256 and 512 (expensive for the oracle, so rare). */
static size_t draw_k(arena_bytes *b) {
  const unsigned v = u8(b);
  return v < 200 ? v % 20 : v < 250 ? v % 70 : 1000 + u8(b) % 50;
}
static size_t draw_n(arena_bytes *b) { return u8(b) % 19; }

/* The trainable mask: NULL, or N bytes in the arena (written before the call,
 * so that some filters are frozen), possibly inside another argument. */
static mbuf draw_mask(arena_bytes *b, size_t N) {
  mbuf m = draw_buf(b, 1, N, N, 1, 0, 1);
  const unsigned pattern = u8(b);
  if (m.backed)
    for (size_t n = 0; n < N; n++) ((unsigned char *)m.p)[n] = (unsigned char)(pattern >> (n % 8) & 1u ? 1 + n : 0);
  return m;
}
static int trains(const mbuf *t, size_t n) { return !t->p || ((const unsigned char *)t->p)[n] != 0; }

/* Runs the model, the call (unless unbackable) and the common checks. Returns
 * 1 when the call was accepted and its outputs should now be checked. */
typedef struct call_state {
  const char *name;
  arena_outcome *out;
  orthoconv_status want;
} call_state;

static int begin(call_state *c, const mbuf *m, unsigned n, orthoconv_status pre) {
  int unbacked = 0;
  c->want = pre != ORTHOCONV_OK ? pre : model_bufs(m, n, &unbacked, &c->out->hulls_met);
  if (c->want == ORTHOCONV_OK && unbacked) return -1; /* cannot be made safely */
  memcpy(before, arena, ARENA_BYTES);
  c->out->called = 1;
  return 0;
}

static int finish(call_state *c, orthoconv_status got, const mbuf *m, unsigned n) {
  c->out->status = got;
  CHECK(got == c->want, "%s returned %d (%s), the rules give %d", c->name, (int)got, orthoconv_strerror(got), (int)c->want);
  if (got != ORTHOCONV_OK || c->want != ORTHOCONV_OK) {
    check_untouched(c->name, 0);
    return 0;
  }
  mark_outputs(m, n);
  check_untouched(c->name, 1);
  return 1;
}

/* ----------------------------------------------------------------- calls -- */

static void check_forward_out(const char *name, size_t M, size_t K, size_t N, const float *x, size_t ldx,
    const float *w, const float *bias, orthoconv_activation act, const float *y, size_t ldy) {
  double *pre = malloc((M * N + 1) * sizeof *pre), *bnd = malloc((M * N + 1) * sizeof *bnd);
  oracle_forward_pre(M, K, N, x, ldx, w, bias, pre, bnd);
  for (size_t m = 0; m < M; m++) {
    double rb = 0;
    for (size_t n = 0; n < N; n++)
      if (isfinite(bnd[m * N + n])) rb = fmax(rb, bnd[m * N + n]);
    oracle_activation(pre + m * N, N, act);
    for (size_t n = 0; n < N; n++) {
      const double got = y[m * ldy + n], want = pre[m * N + n];
      CHECK(agrees(got, want, oracle_post_tolerance(act, want, bnd[m * N + n], rb)),
            "%s M=%zu K=%zu N=%zu act %d: y[%zu][%zu] = %.9g, want %.9g", name, M, K, N, (int)act, m, n, got, want);
    }
  }
  free(pre), free(bnd);
}

static orthoconv_activation draw_act(arena_bytes *b) {
  const unsigned a = u8(b) % 32;
  return (orthoconv_activation)(a < 30 ? (int)a % 6 : a == 30 ? -1 : 6 + (int)(u8(b) % 100));
}
static int act_ok(orthoconv_activation a) { return (unsigned)a <= ORTHOCONV_ACT_SOFTMAX; }

/* How a call that has an _mt form is made: plainly, through the _mt form with
 * pool NULL, through a pool that runs the tasks serially in reverse order (the
 * results must not depend on the order), or through an invalid pool (threads 0,
 * or no parallel_for: EINVAL before anything else). */
typedef struct pool_draw {
  int mt;
  const orthoconv_threadpool *pool;
  int bad;
} pool_draw;

static void reverse_for(void *context, size_t count, orthoconv_task_fn *task, void *arg) {
  (void)context;
  for (size_t i = count; i-- > 0;) task(arg, i);
}

static pool_draw draw_pool(arena_bytes *b) {
  static orthoconv_threadpool reverse = { NULL, 1, reverse_for }, bad = { NULL, 0, reverse_for };
  static const orthoconv_threadpool no_fn = { NULL, 4, NULL };
  const unsigned v = u8(b) % 16;
  pool_draw d = { v >= 8, NULL, 0 };
  if (v >= 10 && v < 15) reverse.threads = 1 + v % 4, d.pool = &reverse;
  if (v == 15) d.pool = u8(b) % 2 ? &bad : &no_fn, d.bad = 1;
  return d;
}

static void call_forward(arena_bytes *b, arena_outcome *o) {
  const pool_draw pd = draw_pool(b);
  const size_t M = draw_m(b), K = draw_k(b), N = draw_n(b);
  const orthoconv_activation act = draw_act(b);
  mbuf m[4]; /* y drawn right after x: it may take x's stride and sit beside its first row */
  m[0] = draw_buf(b, M, K, draw_ld(b, K), 4, 0, 0);
  m[3] = draw_buf(b, M, N, draw_ld(b, N), 4, 1, 0);
  m[1] = draw_buf(b, K, N, N, 4, 0, 0);
  m[2] = draw_buf(b, 1, N, N, 4, 0, 1);
  call_state c = { pd.mt ? "orthoconv_forward_mt" : "orthoconv_forward", o, ORTHOCONV_OK };
  if (begin(&c, m, 4, K == 0 || N == 0 || !act_ok(act) || pd.bad ? ORTHOCONV_EINVAL : ORTHOCONV_OK)) return;
  const orthoconv_status s = pd.mt ? orthoconv_forward_mt(pd.pool, M, K, N, m[0].p, m[0].ld, m[1].p, m[2].p, act,
                                                          (float *)m[3].p, m[3].ld)
                                   : orthoconv_forward(M, K, N, m[0].p, m[0].ld, m[1].p, m[2].p, act, (float *)m[3].p, m[3].ld);
  if (finish(&c, s, m, 4) && M)
    check_forward_out(c.name, M, K, N, m[0].p, m[0].ld, m[1].p, m[2].p, act, m[3].p, m[3].ld);
}

/* A layer made from arena weights, run, given new weights, run again. */
static void call_layer(arena_bytes *b, arena_outcome *o) {
  const size_t K = draw_k(b), N = draw_n(b);
  const orthoconv_activation act = draw_act(b);
  mbuf wb[2] = { draw_buf(b, K, N, N, 4, 0, 0), draw_buf(b, 1, N, N, 4, 0, 1) };
  const int no_out = u8(b) % 16 == 0;
  orthoconv_layer *l = NULL;
  call_state c = { "orthoconv_layer_create", o, ORTHOCONV_OK };
  const orthoconv_status pre = no_out || !act_ok(act) || K == 0 || N == 0 ? ORTHOCONV_EINVAL : ORTHOCONV_OK;
  if (begin(&c, wb, 2, pre)) return;
  const orthoconv_status s = orthoconv_layer_create(K, N, wb[0].p, wb[1].p, act, no_out ? NULL : &l);
  if (!finish(&c, s, wb, 2)) {
    CHECK(l == NULL, "layer_create set *out on failure");
    return;
  }
  float *w = malloc(K * N * sizeof *w), *bias = NULL;
  memcpy(w, wb[0].p, K * N * sizeof *w);
  if (wb[1].p) bias = malloc(N * sizeof *bias), memcpy(bias, wb[1].p, N * sizeof *bias);
  for (int round = 0; round < 2; round++) {
    const size_t M = draw_m(b);
    mbuf m[2] = { draw_buf(b, M, K, draw_ld(b, K), 4, 0, 0), draw_buf(b, M, N, draw_ld(b, N), 4, 1, 0) };
    const pool_draw pd = draw_pool(b);
    call_state f = { pd.mt ? "orthoconv_layer_forward_mt" : "orthoconv_layer_forward", o, ORTHOCONV_OK };
    if (begin(&f, m, 2, pd.bad ? ORTHOCONV_EINVAL : ORTHOCONV_OK)) break;
    const orthoconv_status fs = pd.mt ? orthoconv_layer_forward_mt(pd.pool, l, M, m[0].p, m[0].ld, (float *)m[1].p, m[1].ld)
                                      : orthoconv_layer_forward(l, M, m[0].p, m[0].ld, (float *)m[1].p, m[1].ld);
    if (finish(&f, fs, m, 2) && M) check_forward_out(f.name, M, K, N, m[0].p, m[0].ld, w, bias, act, m[1].p, m[1].ld);
    if (round == 1 || u8(b) % 2) break;
    mbuf nw[2] = { draw_buf(b, K, N, N, 4, 0, 0), draw_buf(b, 1, N, N, 4, 0, 1) };
    call_state sw = { "orthoconv_layer_set_weights", o, ORTHOCONV_OK };
    if (begin(&sw, nw, 2, ORTHOCONV_OK)) break;
    if (finish(&sw, orthoconv_layer_set_weights(l, nw[0].p, nw[1].p), nw, 2)) {
      memcpy(w, nw[0].p, K * N * sizeof *w);
      free(bias);
      bias = NULL;
      if (nw[1].p) bias = malloc(N * sizeof *bias), memcpy(bias, nw[1].p, N * sizeof *bias);
    }
  }
  CHECK(orthoconv_layer_forward(NULL, 1, arena, 1, arena, 1) == ORTHOCONV_EINVAL, "layer_forward(NULL)");
  orthoconv_layer_destroy(l);
  free(w), free(bias);
}

static void call_backward_data(arena_bytes *b, arena_outcome *o) {
  const pool_draw pd = draw_pool(b);
  const size_t M = draw_m(b), K = draw_k(b), N = draw_n(b);
  mbuf m[3];
  m[0] = draw_buf(b, M, N, draw_ld(b, N), 4, 0, 0);
  m[2] = draw_buf(b, M, K, draw_ld(b, K), 4, 1, 0);
  m[1] = draw_buf(b, K, N, N, 4, 0, 0);
  call_state c = { pd.mt ? "orthoconv_backward_data_mt" : "orthoconv_backward_data", o, ORTHOCONV_OK };
  if (begin(&c, m, 3, K == 0 || N == 0 || pd.bad ? ORTHOCONV_EINVAL : ORTHOCONV_OK)) return;
  const orthoconv_status s = pd.mt ? orthoconv_backward_data_mt(pd.pool, M, K, N, m[0].p, m[0].ld, m[1].p, (float *)m[2].p, m[2].ld)
                                   : orthoconv_backward_data(M, K, N, m[0].p, m[0].ld, m[1].p, (float *)m[2].p, m[2].ld);
  if (!finish(&c, s, m, 3) || !M) return;
  double *want = malloc(M * K * sizeof *want), *bnd = malloc(M * K * sizeof *bnd);
  oracle_backward_data(M, K, N, m[0].p, m[0].ld, m[1].p, want, bnd);
  const float *dx = m[2].p;
  for (size_t r = 0; r < M; r++)
    for (size_t k = 0; k < K; k++)
      CHECK(agrees(dx[r * m[2].ld + k], want[r * K + k], bound_tol(bnd[r * K + k], N)), "%s M=%zu K=%zu N=%zu: dx[%zu][%zu] = %.9g, want %.9g",
            c.name, M, K, N, r, k, dx[r * m[2].ld + k], want[r * K + k]);
  free(want), free(bnd);
}

static void call_backward_weights(arena_bytes *b, arena_outcome *o) {
  const pool_draw pd = draw_pool(b);
  const size_t M = draw_m(b), K = draw_k(b), N = draw_n(b);
  mbuf m[6];
  m[0] = draw_buf(b, M, K, draw_ld(b, K), 4, 0, 0);
  m[4] = draw_buf(b, 1, N, N, 4, 1, 1);
  m[1] = draw_buf(b, M, N, draw_ld(b, N), 4, 0, 0);
  m[2] = draw_mask(b, N);
  m[3] = draw_buf(b, K, N, N, 4, 1, 0);
  /* The _mt form's workspace: NULL, or bytes in the arena (scratch: an output),
   * at least the size asked for or one short of it. Too small, overlapping an
   * argument, or wrapping is EINVAL (after the other arguments' own checks). */
  const size_t need = orthoconv_backward_weights_workspace_size(M, K, N);
  const unsigned wv = pd.mt ? u8(b) % 4 : 0;
  const size_t ws_size = wv == 0 ? 0 : wv == 3 && need ? need - 1 : need + u8(b) % 64;
  m[5] = draw_buf(b, 1, ws_size, ws_size, 1, 1, 1);
  if (wv == 0) m[5].p = NULL;
  orthoconv_status pre = K == 0 || N == 0 || pd.bad || ws_size < need ? ORTHOCONV_EINVAL : ORTHOCONV_OK;
  if (pre == ORTHOCONV_OK && m[5].p && ws_size) {
    int unbacked, met = 0;
    const orthoconv_status five = model_bufs(m, 5, &unbacked, &met);
    if (five != ORTHOCONV_OK) pre = five;
    else if (unbacked) return; /* the overlaps of the five cannot be known: no call */
    else if (model_bufs(m, 6, &unbacked, &met) != ORTHOCONV_OK) pre = ORTHOCONV_EINVAL;
  }
  const unsigned nb = m[5].p && ws_size ? 6 : 5;
  call_state c = { pd.mt ? "orthoconv_backward_weights_mt" : "orthoconv_backward_weights", o, ORTHOCONV_OK };
  if (begin(&c, m, nb, pre)) return;
  const orthoconv_status s =
      pd.mt ? orthoconv_backward_weights_mt(pd.pool, M, K, N, m[0].p, m[0].ld, m[1].p, m[1].ld, m[2].p, (float *)m[3].p,
                                            (float *)m[4].p, (void *)m[5].p, ws_size)
            : orthoconv_backward_weights(M, K, N, m[0].p, m[0].ld, m[1].p, m[1].ld, m[2].p, (float *)m[3].p, (float *)m[4].p);
  if (!finish(&c, s, m, nb)) return;
  double *want = malloc(K * N * sizeof *want), *bnd = malloc(K * N * sizeof *bnd);
  double *wb = malloc(N * sizeof *wb), *bb = malloc(N * sizeof *bb);
  oracle_backward_weights(M, K, N, m[0].p, m[0].ld, m[1].p, m[1].ld, want, bnd, wb, bb);
  const float *dw = m[3].p, *db = m[4].p;
  /* the mask is an input: read from the snapshot, in case the call wrote over it */
  const mbuf t = { m[2].p ? (const unsigned char *)before + arena_byte(m[2].p) : NULL, 1, N, N, 1, 0, 1, 1 };
  for (size_t i = 0; i < K * N; i++)
    CHECK(trains(&t, i % N) ? agrees(dw[i], want[i], bound_tol(bnd[i], M)) : dw[i] == 0.0f,
          "%s M=%zu K=%zu N=%zu: dw[%zu][%zu] = %.9g, want %.9g", c.name, M, K, N, i / N, i % N, dw[i], want[i]);
  for (size_t n = 0; db && n < N; n++)
    CHECK(trains(&t, n) ? agrees(db[n], wb[n], bound_tol(bb[n], M)) : db[n] == 0.0f, "%s: dbias[%zu] = %.9g, want %.9g",
          c.name, n, db[n], wb[n]);
  free(want), free(bnd), free(wb), free(bb);
}

static double *to_double(const float *p, size_t n) {
  double *d = malloc((n + 1) * sizeof *d);
  for (size_t i = 0; i < n; i++) d[i] = p[i];
  return d;
}

static void call_gram(arena_bytes *b, arena_outcome *o) {
  const size_t K = draw_k(b), N = draw_n(b);
  mbuf m[2] = { draw_buf(b, K, N, N, 4, 0, 0), draw_buf(b, N, N, N, 4, 1, 0) };
  call_state c = { "orthoconv_gram", o, ORTHOCONV_OK };
  if (begin(&c, m, 2, K == 0 || N == 0 ? ORTHOCONV_EINVAL : ORTHOCONV_OK)) return;
  if (!finish(&c, orthoconv_gram(K, N, m[0].p, (float *)m[1].p), m, 2)) return;
  double *wd = to_double(m[0].p, K * N), *want = malloc(N * N * sizeof *want), *bnd = malloc(N * N * sizeof *bnd);
  oracle_gram(K, N, wd, want, bnd);
  const float *g = m[1].p;
  for (size_t i = 0; i < N * N; i++)
    CHECK(agrees(g[i], want[i], bound_tol(bnd[i], K)), "%s K=%zu N=%zu: g[%zu][%zu] = %.9g, want %.9g", c.name, K, N, i / N, i % N, g[i], want[i]);
  free(wd), free(want), free(bnd);
}

/* Penalty and gradient where they are smooth functions of G (SO, DSO,
 * MIRROR_PAIRS), with G's error 1e-5 * sum |products| carried through; for
 * every kind: NaN in W -> NaN penalty, frozen gradient columns untouched. */
static void check_regularize_out(const char *name, orthoconv_regularizer kind, float s, size_t K, size_t N,
    const float *w, const mbuf *t, const float *pen, const float *grad, const float *grad0) {
  int has_nan = 0, has_inf = 0;
  for (size_t i = 0; i < K * N; i++) has_nan |= isnan(w[i]), has_inf |= isinf(w[i]);
  double *wd = to_double(w, K * N), *g = malloc(N * N * sizeof *g), *bnd = malloc(N * N * sizeof *bnd);
  oracle_gram(K, N, wd, g, bnd);
  const int smooth = kind == ORTHOCONV_REG_SO || kind == ORTHOCONV_REG_DSO || kind == ORTHOCONV_REG_MIRROR_PAIRS;
  if (pen) {
    if (has_nan) {
      CHECK(kind == ORTHOCONV_REG_KERAS_COLUMNS && N == 1 ? *pen == 0.0f : isnan(*pen), "%s kind %d: NaN in W, penalty %.9g",
            name, (int)kind, *pen);
    } else if (has_inf) {
      CHECK(kind > ORTHOCONV_REG_MC || !isfinite(*pen), "%s kind %d: Inf in W, penalty %.9g", name, (int)kind, *pen);
    } else if (smooth) {
      double r = 0, tol = 0;
      for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
          const double d = g[i * N + j] - (i == j), e = 1e-5 * bnd[i * N + j];
          if (kind == ORTHOCONV_REG_MIRROR_PAIRS) {
            if (j == N - 1 - i) r += g[i * N + j], tol += e;
          } else {
            r += d * d, tol += 2 * fabs(d) * e + e * e;
          }
        }
      if (kind == ORTHOCONV_REG_DSO) r = 2 * r + ((double)K - (double)N), tol *= 2;
      const double want = (double)s * r;
      CHECK(agrees_or_overflows(*pen, want, fabs(s) * tol + 1e-6 * fabs(want) + 1e-30, fabs(want)),
            "%s kind %d K=%zu N=%zu s=%g: penalty %.9g, want %.9g", name, (int)kind, K, N, s, *pen, want);
    } else {
      CHECK(isfinite(*pen) || fabs(s) > 1e20, "%s kind %d: finite W, penalty %.9g", name, (int)kind, *pen);
    }
  }
  for (size_t k = 0; grad && k < K; k++)
    for (size_t n = 0; n < N; n++) {
      const size_t i = k * N + n;
      if (!trains(t, n)) {
        CHECK(memcmp(&grad[i], &grad0[i], sizeof *grad) == 0, "%s wrote frozen gradient column %zu", name, n);
        continue;
      }
      if (!smooth || (has_inf && !has_nan)) continue;
      /* grad += W A, A = c s (G - I) (SO, DSO) or 2 s at (N-1-n, n) (MIRROR_PAIRS) */
      const double c = kind == ORTHOCONV_REG_SO ? 4 : 8;
      double want = grad0[i], tol = fabs(grad0[i]), mag = fabs(grad0[i]);
      for (size_t j = 0; j < N; j++) {
        const double a = kind == ORTHOCONV_REG_MIRROR_PAIRS ? (j == N - 1 - n ? (double)(2.0f * s) : 0.0)
                                                            : c * s * (g[j * N + n] - (j == n));
        const double ea = kind == ORTHOCONV_REG_MIRROR_PAIRS ? 0 : fabs(c * s) * 1e-5 * bnd[j * N + n] + 1e-7 * fabs(a);
        want += wd[k * N + j] * a;
        tol += fabs(wd[k * N + j]) * (fabs(a) + ea);
        mag = fmax(mag, fabs(a) * (1 + fabs(wd[k * N + j])));
      }
      CHECK(agrees_or_overflows(grad[i], want, 1e-5 * tol + 1e-30, fmax(mag, tol)),
            "%s kind %d K=%zu N=%zu s=%g: grad[%zu][%zu] = %.9g, want %.9g", name, (int)kind, K, N, s, k, n, grad[i], want);
    }
  free(wd), free(g), free(bnd);
}

static void call_regularize(arena_bytes *b, arena_outcome *o) {
  const unsigned kv = u8(b) % 8;
  const orthoconv_regularizer kind = (orthoconv_regularizer)(kv == 7 ? -1 : (int)kv);
  const float s = draw_hyper(b);
  const size_t K = draw_k(b), N = draw_n(b);
  mbuf m[4];
  m[0] = draw_buf(b, K, N, N, 4, 0, 0);
  m[1] = draw_mask(b, N);
  m[2] = draw_buf(b, 1, 1, 1, 4, 1, 1);
  m[3] = draw_buf(b, K, N, N, 4, 1, 1);
  const int bad = (unsigned)kind > ORTHOCONV_REG_MIRROR_PAIRS || !finite(s) || K == 0 || N == 0;
  call_state c = { "orthoconv_regularize", o, ORTHOCONV_OK };
  if (begin(&c, m, 4, bad ? ORTHOCONV_EINVAL : ORTHOCONV_OK)) return;
  const orthoconv_status st = orthoconv_regularize(kind, s, K, N, m[0].p, m[1].p, (float *)m[2].p, (float *)m[3].p);
  if (!finish(&c, st, m, 4)) return;
  const float *grad0 = m[3].p ? (const float *)((const unsigned char *)before + arena_byte(m[3].p)) : NULL;
  const mbuf t = { m[1].p ? (const unsigned char *)before + arena_byte(m[1].p) : NULL, 1, N, N, 1, 0, 1, 1 };
  check_regularize_out(c.name, kind, s, K, N, m[0].p, &t, m[2].p, m[3].p, grad0);
}

/* One SGD step in double for element i (torch's order), and how far float may be off. */
static void sgd_want(const orthoconv_sgd *o, double w, double g, double v, double *w1, double *v1, double *tw,
    double *tv, double *mag) {
  const double gp = g + (double)o->weight_decay * w;
  double d = gp, vv = v;
  *tv = 0;
  if (o->momentum != 0.0f) {
    vv = (double)o->momentum * v + gp;
    *tv = 1e-5 * (fabs(o->momentum * v) + fabs(g) + fabs(o->weight_decay * w));
    d = o->nesterov ? gp + (double)o->momentum * vv : vv;
  }
  *w1 = w - (double)o->lr * d;
  *v1 = vv;
  const double gm = fabs(g) + fabs(o->weight_decay * w), vm = fabs(o->momentum * v) + gm;
  *tw = bound_tol(fabs(w) + fabs(o->lr) * (gm + vm + fabs(o->momentum) * vm), 4);
  *tv += 4 * FLT_TRUE_MIN;
  /* the largest intermediate float may hold (mu v1 of nesterov included) */
  const double dm = gm + fabs(o->momentum) * vm;
  *mag = fmax(fmax(fabs(*w1), vm), fmax(fmax(dm, fabs(o->momentum) * vm), fabs(o->lr) * dm));
}

static void call_sgd(arena_bytes *b, arena_outcome *o) {
  orthoconv_sgd opt;
  opt.lr = draw_hyper(b);
  opt.momentum = draw_hyper(b);
  opt.weight_decay = draw_hyper(b);
  opt.nesterov = (int)(u8(b) % 4) - 1; /* any nonzero value means on */
  const int no_opt = u8(b) % 32 == 0, wild_velocity = u8(b) % 8 == 0;
  const size_t K = draw_k(b), N = draw_n(b);
  const int mom = opt.momentum != 0.0f;
  mbuf m[4];
  m[0] = draw_buf(b, K, N, N, 4, 1, 0);
  m[1] = draw_buf(b, K, N, N, 4, 0, 0);
  m[2] = draw_buf(b, mom ? K : 0, N, N, 4, 1, 0);
  m[3] = draw_mask(b, N);
  float *vel = (float *)m[2].p;
  if (!mom && wild_velocity) vel = (float *)(UINTPTR_MAX - 63); /* unused without momentum */
  const int bad = no_opt || !finite(opt.lr) || !finite(opt.momentum) || !finite(opt.weight_decay) || opt.lr < 0 ||
                  opt.momentum < 0 || opt.weight_decay < 0 || (opt.nesterov && !mom) || (mom && !vel) || K == 0 || N == 0;
  call_state c = { "orthoconv_sgd_step", o, ORTHOCONV_OK };
  if (begin(&c, m, 4, bad ? ORTHOCONV_EINVAL : ORTHOCONV_OK)) return;
  const orthoconv_status s = orthoconv_sgd_step(no_opt ? NULL : &opt, K, N, (float *)m[0].p, m[1].p, vel, m[3].p);
  if (!finish(&c, s, m, 4)) return;
  const float *w0 = (const float *)((const unsigned char *)before + arena_byte(m[0].p)), *w = m[0].p, *g = m[1].p;
  const float *v0 = mom ? (const float *)((const unsigned char *)before + arena_byte(m[2].p)) : NULL, *v = m[2].p;
  const mbuf t = { m[3].p ? (const unsigned char *)before + arena_byte(m[3].p) : NULL, 1, N, N, 1, 0, 1, 1 };
  for (size_t i = 0; i < K * N; i++) {
    if (!trains(&t, i % N)) continue; /* untouched: check_untouched saw the bytes, but they are outputs */
    double w1, v1, tw, tv, mag;
    sgd_want(&opt, w0[i], g[i], mom ? v0[i] : 0, &w1, &v1, &tw, &tv, &mag);
    CHECK(agrees_or_overflows(w[i], w1, tw, mag), "%s K=%zu N=%zu lr=%g mu=%g wd=%g nesterov=%d: w[%zu] = %.9g, want %.9g",
          c.name, K, N, opt.lr, opt.momentum, opt.weight_decay, opt.nesterov, i, w[i], w1);
    if (mom) CHECK(agrees_or_overflows(v[i], v1, tv, mag), "%s: velocity[%zu] = %.9g, want %.9g", c.name, i, v[i], v1);
  }
  for (size_t i = 0; i < K * N; i++)
    if (!trains(&t, i % N))
      CHECK(!memcmp(&w[i], &w0[i], 4) && (!mom || !memcmp(&v[i], &v0[i], 4)), "%s changed frozen column %zu", c.name, i % N);
}

static void call_adamw(arena_bytes *b, arena_outcome *o) {
  orthoconv_adamw opt;
  opt.lr = draw_hyper(b);
  opt.beta1 = draw_hyper(b);
  opt.beta2 = draw_hyper(b);
  opt.eps = draw_hyper(b);
  opt.weight_decay = draw_hyper(b);
  const size_t t_step = u8(b) % 4 == 0 ? 0 : 1 + u8(b) % 100;
  const int no_opt = u8(b) % 32 == 0;
  const size_t K = draw_k(b), N = draw_n(b);
  mbuf m[5];
  m[0] = draw_buf(b, K, N, N, 4, 1, 0);
  m[1] = draw_buf(b, K, N, N, 4, 0, 0);
  m[2] = draw_buf(b, K, N, N, 4, 1, 0);
  m[3] = draw_buf(b, K, N, N, 4, 1, 0);
  m[4] = draw_mask(b, N);
  const int bad = no_opt || t_step == 0 || !m[2].p || !m[3].p || !finite(opt.lr) || !finite(opt.eps) ||
                  !finite(opt.weight_decay) || !finite(opt.beta1) || !finite(opt.beta2) || opt.lr < 0 || opt.eps < 0 ||
                  opt.weight_decay < 0 || opt.beta1 < 0 || opt.beta1 >= 1 || opt.beta2 < 0 || opt.beta2 >= 1 || K == 0 || N == 0;
  call_state c = { "orthoconv_adamw_step", o, ORTHOCONV_OK };
  if (begin(&c, m, 5, bad ? ORTHOCONV_EINVAL : ORTHOCONV_OK)) return;
  const orthoconv_status s = orthoconv_adamw_step(no_opt ? NULL : &opt, t_step, K, N, (float *)m[0].p, m[1].p,
                                                  (float *)m[2].p, (float *)m[3].p, m[4].p);
  if (!finish(&c, s, m, 5)) return;
  const float *was[3], *now[3] = { m[0].p, m[2].p, m[3].p }, *g = m[1].p;
  for (int j = 0; j < 3; j++) was[j] = (const float *)((const unsigned char *)before + arena_byte(now[j]));
  const mbuf t = { m[4].p ? (const unsigned char *)before + arena_byte(m[4].p) : NULL, 1, N, N, 1, 0, 1, 1 };
  /* as the call computes them: in double, rounded to float */
  const float step = (float)((double)opt.lr / (1.0 - pow(opt.beta1, (double)t_step)));
  const float bc2s = (float)sqrt(1.0 - pow(opt.beta2, (double)t_step));
  for (size_t i = 0; i < K * N; i++) {
    if (!trains(&t, i % N)) {
      for (int j = 0; j < 3; j++) CHECK(!memcmp(&now[j][i], &was[j][i], 4), "%s changed frozen column %zu", c.name, i % N);
      continue;
    }
    const double w = was[0][i], m0 = was[1][i], v0 = was[2][i], gi = g[i];
    const double m1 = opt.beta1 * m0 + (1.0 - opt.beta1) * gi, v1 = opt.beta2 * v0 + (1.0 - opt.beta2) * gi * gi;
    const double mm = fabs(opt.beta1 * m0) + fabs((1.0 - opt.beta1) * gi), vm = fabs(opt.beta2 * v0) + (1.0 - opt.beta2) * gi * gi;
    const double den = sqrt(v1) / bc2s + opt.eps, upd = step * m1 / den;
    const double w1 = w * (1.0 - (double)opt.lr * opt.weight_decay) - upd;
    /* v1's relative error vm / |v1| eps grows without bound as v1 cancels toward 0
     * (v may start negative here): there the result is not determined */
    const double vcond = !isfinite(v1) ? 0 : v1 != 0 ? vm / fabs(v1) : INFINITY; /* an infinite v1 is exact */
    double mag = fmax(fmax(fabs(w1), vm), fmax(fabs(upd), fabs(step) * mm / (den > 0 ? den : 1e-300)));
    if (!isfinite(step) || fabs((double)opt.lr * opt.weight_decay) > FLT_MAX / 2) mag = INFINITY;
    CHECK(agrees_or_overflows(now[1][i], m1, 1e-5 * mm + 1e-37, mm), "%s: m[%zu] = %.9g, want %.9g", c.name, i, now[1][i], m1);
    CHECK(agrees_or_overflows(now[2][i], v1, 1e-5 * vm + 1e-37, vm), "%s: v[%zu] = %.9g, want %.9g", c.name, i, now[2][i], v1);
    /* A float v is known to 1e-37 (subnormals: g * g may underflow to 0 where the
     * double does not), so den only to sqrt(1e-37) / bc2s: below a thousand times
     * that (eps = 0 and v near 0), the quotient is not determined either. */
    const double dden = sqrt(1e-37) / bc2s;
    /* A v1 just below 0 may be -0 or 0 in float (its square root then 0, not NaN). */
    const int v_sign_open = v1 < 0 && v1 >= -1e-37;
    if (vcond > 1e4 || v_sign_open || (isfinite(den) && den <= 1e3 * dden))
      continue; /* not determined, or amplified past any bound */
    const double tw = 1e-5 * (fabs(w) * (1 + fabs((double)opt.lr * opt.weight_decay)) + fabs(step) * mm / den +
                              fabs(upd) * (1 + vcond));
    CHECK(agrees_or_overflows(now[0][i], w1, tw + 1e-37, mag),
          "%s K=%zu N=%zu t=%zu lr=%g b1=%g b2=%g eps=%g wd=%g: w[%zu] = %.9g, want %.9g (tol %.3g, m %.9g, v %.9g, g %.9g)",
          c.name, K, N, t_step, opt.lr, opt.beta1, opt.beta2, opt.eps, opt.weight_decay, i, now[0][i], w1, tw, m0, v0, gi);
  }
}

/* The dispatch queries: never NULL for a valid op, NULL for others. */
static void call_queries(arena_bytes *b, arena_outcome *o) {
  const unsigned op = u8(b) % 10;
  const size_t M = draw_m(b), K = draw_k(b), N = draw_n(b);
  const char *k = orthoconv_selected_kernel((orthoconv_op)op, M, K, N);
  CHECK(op < ORTHOCONV_OP_COUNT && K && N ? k != NULL : k == NULL, "selected_kernel(%u, %zu, %zu, %zu) = %s", op, M, K, N,
        k ? k : "NULL");
  CHECK(orthoconv_strerror((orthoconv_status)u8(b)) != NULL, "strerror NULL");
  CHECK(orthoconv_isa_name((orthoconv_isa)u8(b)) != NULL, "isa_name NULL");
  o->called = 1;
  o->status = ORTHOCONV_OK;
}

/* The cap: every runnable ISA is accepted, the others refused and the cap kept. */
static void draw_cap(arena_bytes *b) {
  const unsigned v = u8(b) % 6;
  if (v >= 5) return; /* keep */
  const orthoconv_isa best = orthoconv_cpu_isa(), was = orthoconv_get_isa(), cap = (orthoconv_isa)(v == 4 ? 7 : v);
  const int runnable = cap == ORTHOCONV_ISA_SCALAR || cap == best || (cap == ORTHOCONV_ISA_AVX2 && best == ORTHOCONV_ISA_AVX512);
  const orthoconv_status want = v == 4 ? ORTHOCONV_EINVAL : runnable ? ORTHOCONV_OK : ORTHOCONV_EUNSUPPORTED;
  const orthoconv_status s = orthoconv_set_isa(cap);
  CHECK(s == want, "set_isa(%d) returned %d, want %d", (int)cap, (int)s, (int)want);
  CHECK(orthoconv_get_isa() == (s == ORTHOCONV_OK ? cap : was), "the cap after set_isa(%d)", (int)cap);
}

arena_outcome arena_call(arena_bytes *b) {
  arena_outcome o = { 0, ORTHOCONV_OK, 0 };
  prev.p = NULL;
  draw_cap(b);
  const unsigned op = u8(b) % 9;
  arena_fill(b);
  switch (op) {
  case 0: call_forward(b, &o); break;
  case 1: call_layer(b, &o); break;
  case 2: call_backward_data(b, &o); break;
  case 3: call_backward_weights(b, &o); break;
  case 4: call_gram(b, &o); break;
  case 5: call_regularize(b, &o); break;
  case 6: call_sgd(b, &o); break;
  case 7: call_adamw(b, &o); break;
  default: call_queries(b, &o); break;
  }
  return o;
}
