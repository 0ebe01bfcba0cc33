/* NaN, Inf and overflow through every op on one ISA (argv[1]), against the
 * "Numerics" paragraph of include/orthoconv.h: every kernel variant of the ISA is
 * called through the registry (like test_kernels), the regularizer maths, which is
 * no kernel, through the public API under that ISA's cap.
 *  - an output whose exact value (IEEE arithmetic in double on the same inputs) is
 *    NaN or an infinity is NaN or that infinity; a finite one stays in the bound;
 *  - activations on NaN and +-Inf as the header defines them (torch's);
 *  - products within FLT_MAX / 2 in sum: the bound holds; beyond it an output is
 *    +-Inf, NaN or within the bound, never another finite value;
 *  - optimizer steps: the same bits as the scalar reference, specials included.
 * Exits 77 (skipped) when this CPU or build cannot run the ISA. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/oracle.h"
#include "common/testutil.h"
#include "fwd/driver.h"
#include "fwd/pack.h"
#include "registry.h"
#include "select.h"

static const orthoconv_ukernel *cur;
static int tun[ORTHOCONV_MAX_TUNABLES];
static const char *what; /* the case being run, for messages */
static int cur_mode;      /* 0: specials, 1: large, no overflow, 2: overflow, 3: subnormal results */

/* May this output overflow? Only past FLT_MAX / 2 in the sum of |products|, and
 * only in the overflow cases: with specials the bound is Inf, but the finite
 * products are small there, and every output must be exact in kind. */
static int may_overflow(double bound) { return (cur_mode == 1 || cur_mode == 2) && bound > FLT_MAX / 2; }
/* The bound with its absolute part for n terms (the float grid below FLT_MIN). */
static double bound_tol(double sum_abs, size_t n) { return 1e-5 * sum_abs + (double)(n + 1) * FLT_TRUE_MIN; }
/* Inputs of about 1e-22: products of about 1e-44, subnormal. */
static void shrink(float *p, size_t n, float f) {
  for (size_t i = 0; i < n; i++) p[i] *= f;
}

/* got against the exact want: the same special value, or finite within tol. */
static int agrees(double got, double want, double tol) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return got == want;
  return isfinite(got) && fabs(got - want) <= tol;
}
/* Beyond the overflow threshold: +-Inf, NaN, or what agrees() accepts. */
static int agrees_or_overflows(double got, double want, double tol) {
  return !isfinite(got) || agrees(got, want, tol);
}

/* Uniform in [-scale, scale). */
static void fill(float *p, size_t n, float scale) {
  for (size_t i = 0; i < n; i++) p[i] = scale * test_randf();
}
/* count elements of a rows x cols matrix (stride ld) set to +Inf, -Inf, NaN in
 * turn, spread over rows and columns: most outputs stay finite, some are not. */
static void sprinkle(float *p, size_t rows, size_t cols, size_t ld, size_t count, size_t seed) {
  static const float sp[3] = { INFINITY, -INFINITY, NAN };
  for (size_t j = 0; j < count; j++) p[((j * 7 + seed) % rows) * ld + (j * 5 + seed) % cols] = sp[j % 3];
}

/* ------------------------------------------------------------------ forward -- */

/* mode 0: specials in x, w and bias; 1: |x w| summing to just under FLT_MAX / 2;
 * 2: products that overflow float, in every other row only. */
static void forward_case(size_t M, size_t K, size_t N, orthoconv_activation act, int with_bias, int mode) {
  if (!orthoconv_priv_ukernel_applies(cur, K, N)) return; /* dispatch never runs it there */
  const size_t ldx = K + 3, ldy = N + 1;
  float *x = malloc((M * ldx) * sizeof *x), *w = malloc(K * N * sizeof *w), *b = malloc(N * sizeof *b);
  float *y = malloc(M * ldy * sizeof *y);
  const float big = mode == 1 ? sqrtf(0.49f * FLT_MAX / (float)K) : 1e20f;
  fill(x, M * ldx, 1.0f);
  fill(w, K * N, 1.0f);
  fill(b, N, 1.0f);
  if (mode == 0) { /* and NaN in the gaps between rows of x: never read */
    for (size_t m = 0; m < M; m++) x[m * ldx + K] = NAN;
    sprinkle(x, M, K, ldx, M > 3 ? M - 1 : 3, K);
    sprinkle(w, K, N, N, 1, N);
    sprinkle(b, 1, N, N, N > 4 ? 3 : 0, 2);
  }
  if (mode == 3) shrink(x, M * ldx, 1e-22f), shrink(w, K * N, 1e-22f), shrink(b, N, 1e-40f);
  if (mode == 1 || mode == 2) {
    for (size_t m = 0; m < M; m += mode == 2 ? 2 : 1)
      for (size_t k = 0; k < K; k++) x[m * ldx + k] = test_randf() < 0 ? -big : big;
    for (size_t i = 0; i < K * N; i++) w[i] = test_randf() < 0 ? -big : big;
    for (size_t n = 0; n < N; n++) b[n] = 0.5f;
  }
  const float *bias = with_bias ? b : NULL;
  /* W as given: the driver packs what the variant reads (the packed forms are the
   * same arithmetic, tests/test_kernels.c runs both). */
  const orthoconv_priv_fwd_w wv = { .kn = w };
  for (size_t i = 0; i < M * ldy; i++) y[i] = -7.0f;
  orthoconv_priv_fwd_drive(cur, tun, M, K, N, x, ldx, &wv, bias, act, y, ldy);

  double *pre = malloc(M * N * sizeof *pre), *bnd = malloc(M * N * sizeof *bnd);
  oracle_forward_pre(M, K, N, x, ldx, w, bias, pre, bnd);
  for (size_t m = 0; m < M; m++) {
    double rb = 0; /* the row's largest finite bound (softmax) */
    int row_overflows = 0;
    for (size_t n = 0; n < N; n++) {
      if (isfinite(bnd[m * N + n])) rb = fmax(rb, bnd[m * N + n]);
      row_overflows |= may_overflow(bnd[m * N + n]);
    }
    oracle_activation(pre + m * N, N, act);
    for (size_t n = 0; n < N; n++) {
      const double got = y[m * ldy + n], want = pre[m * N + n];
      const double tol = oracle_post_tolerance(act, want, bnd[m * N + n], rb);
      const int overflows = act == ORTHOCONV_ACT_SOFTMAX ? row_overflows : may_overflow(bnd[m * N + n]);
      /* After an overflow the activation sees +-Inf or NaN: its image is allowed. */
      int ok = overflows ? agrees_or_overflows(got, want, tol) : agrees(got, want, tol);
      if (!ok && overflows) {
        double img[3] = { INFINITY, -INFINITY, NAN };
        for (int i = 0; i < 3 && !ok; i++) {
          double r[1] = { img[i] };
          if (act != ORTHOCONV_ACT_SOFTMAX) oracle_activation(r, 1, act);
          ok = isnan(r[0]) ? isnan(got) : got == r[0];
        }
        ok |= act == ORTHOCONV_ACT_SOFTMAX && got >= 0 && got <= 1; /* a row with an Inf */
      }
      CHECK(ok, "%s %s act %d bias %d M=%zu K=%zu N=%zu y[%zu][%zu] = %.9g, want %.9g (bound %.3g)",
            cur->name, what, (int)act, with_bias, M, K, N, m, n, got, want, bnd[m * N + n]);
    }
    for (size_t n = N; n < ldy; n++) CHECK(y[m * ldy + n] == -7.0f, "%s %s wrote past column N", cur->name, what);
  }
  free(pre), free(bnd);
  free(x), free(w), free(b), free(y);
}

static void test_forward(void) {
  static const size_t shapes[][3] = { { 1, 19, 10 }, { 9, 64, 17 }, { 13, 33, 1 }, { 3, 1, 33 }, { 5, 1024, 10 } };
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int act = 0; act <= ORTHOCONV_ACT_SOFTMAX; act++)
      for (int mode = 0; mode < 4; mode++) {
        what = mode == 0 ? "specials" : mode == 1 ? "large, no overflow" : mode == 2 ? "overflow" : "subnormal results";
        cur_mode = mode;
        forward_case(shapes[s][0], shapes[s][1], shapes[s][2], (orthoconv_activation)act, (act + mode) % 2, mode);
      }
  /* The example: 1e20 * 1e20 - 1e20 * 1e20 + 0.5 (exactly 0.5). */
  what = "1e40 - 1e40";
  cur_mode = 2;
  float x[2] = { 1e20f, 1e20f }, w[2] = { 1e20f, -1e20f }, b = 0.5f, y = -7.0f;
  if (!orthoconv_priv_ukernel_applies(cur, 2, 1)) return;
  const orthoconv_priv_fwd_w wv = { .kn = w };
  orthoconv_priv_fwd_drive(cur, tun, 1, 2, 1, x, 2, &wv, &b, ORTHOCONV_ACT_NONE, &y, 1);
  CHECK(agrees_or_overflows(y, 0.5, 1e-5 * 2e40), "%s %s: y = %.9g", cur->name, what, y);
}

/* ------------------------------------------------------------ backward data -- */

static void bwd_data_case(size_t M, size_t K, size_t N, int mode) {
  if (!orthoconv_priv_ukernel_applies(cur, K, N)) return; /* dispatch never runs it there */
  const size_t lddy = N + 2, lddx = K + 1;
  float *dy = malloc(M * lddy * sizeof *dy), *w = malloc(K * N * sizeof *w), *dx = malloc(M * lddx * sizeof *dx);
  const float big = mode == 1 ? sqrtf(0.49f * FLT_MAX / (float)N) : 1e20f;
  fill(dy, M * lddy, 1.0f);
  fill(w, K * N, 1.0f);
  if (mode == 0) sprinkle(dy, M, N, lddy, M > 3 ? M - 1 : 3, M), sprinkle(w, K, N, N, 2, K);
  if (mode == 3) shrink(dy, M * lddy, 1e-22f), shrink(w, K * N, 1e-22f);
  if (mode == 1 || mode == 2) {
    for (size_t m = 0; m < M; m += mode == 2 ? 2 : 1)
      for (size_t n = 0; n < N; n++) dy[m * lddy + n] = test_randf() < 0 ? -big : big;
    for (size_t i = 0; i < K * N; i++) w[i] = test_randf() < 0 ? -big : big;
  }
  cur->fn.bwd_data(M, K, N, dy, lddy, w, dx, lddx, tun);
  double *want = malloc(M * K * sizeof *want), *bnd = malloc(M * K * sizeof *bnd);
  oracle_backward_data(M, K, N, dy, lddy, w, want, bnd);
  for (size_t m = 0; m < M; m++)
    for (size_t k = 0; k < K; k++) {
      const double got = dx[m * lddx + k], tol = bound_tol(bnd[m * K + k], N);
      const int ok = may_overflow(bnd[m * K + k]) ? agrees_or_overflows(got, want[m * K + k], tol)
                                                  : agrees(got, want[m * K + k], tol);
      CHECK(ok, "%s %s M=%zu K=%zu N=%zu dx[%zu][%zu] = %.9g, want %.9g", cur->name, what, M, K, N, m, k, got, want[m * K + k]);
    }
  free(want), free(bnd), free(dy), free(w), free(dx);
}

/* --------------------------------------------------------- backward weights -- */

static void bwd_weights_case(size_t M, size_t K, size_t N, int mode) {
  if (!orthoconv_priv_ukernel_applies(cur, K, N)) return; /* dispatch never runs it there */
  const size_t ldx = K + 1, lddy = N + 3;
  float *x = malloc(M * ldx * sizeof *x), *dy = malloc(M * lddy * sizeof *dy);
  float *dw = malloc(K * N * sizeof *dw), *db = malloc(N * sizeof *db);
  unsigned char *t = malloc(N);
  for (size_t n = 0; n < N; n++) t[n] = n % 3 != 1;
  const float big = mode == 1 ? sqrtf(0.49f * FLT_MAX / (float)M) : 1e20f;
  fill(x, M * ldx, 1.0f);
  fill(dy, M * lddy, 1.0f);
  if (mode == 0) sprinkle(x, M, K, ldx, K > 3 ? 5 : 3, N), sprinkle(dy, M, N, lddy, 1, M);
  if (mode == 3) shrink(x, M * ldx, 1e-22f), shrink(dy, M * lddy, 1e-22f);
  if (mode == 1 || mode == 2) {
    for (size_t m = 0; m < M; m++)
      for (size_t k = 0; k < K; k += mode == 2 ? 2 : 1) x[m * ldx + k] = test_randf() < 0 ? -big : big;
    for (size_t m = 0; m < M; m++)
      for (size_t n = 0; n < N; n++) dy[m * lddy + n] = test_randf() < 0 ? -big : big;
  }
  cur->fn.bwd_weights(M, K, N, x, ldx, dy, lddy, t, dw, db, tun);
  double *want = malloc(K * N * sizeof *want), *bnd = malloc(K * N * sizeof *bnd);
  double *wb = malloc(N * sizeof *wb), *bb = malloc(N * sizeof *bb);
  oracle_backward_weights(M, K, N, x, ldx, dy, lddy, want, bnd, wb, bb);
  for (size_t i = 0; i < K * N; i++) {
    const double got = dw[i];
    int ok;
    if (!t[i % N]) ok = got == 0.0; /* frozen: 0 whatever the inputs hold */
    else if (may_overflow(bnd[i])) ok = agrees_or_overflows(got, want[i], bound_tol(bnd[i], M));
    else ok = agrees(got, want[i], bound_tol(bnd[i], M));
    CHECK(ok, "%s %s M=%zu K=%zu N=%zu dw[%zu][%zu] = %.9g, want %.9g", cur->name, what, M, K, N, i / N, i % N, got, want[i]);
  }
  for (size_t n = 0; n < N; n++) {
    const int ok = !t[n] ? db[n] == 0.0f
                 : may_overflow(bb[n]) ? agrees_or_overflows(db[n], wb[n], bound_tol(bb[n], M)) : agrees(db[n], wb[n], bound_tol(bb[n], M));
    CHECK(ok, "%s %s M=%zu K=%zu N=%zu dbias[%zu] = %.9g, want %.9g", cur->name, what, M, K, N, n, db[n], wb[n]);
  }
  free(want), free(bnd), free(wb), free(bb), free(x), free(dy), free(dw), free(db), free(t);
}

/* --------------------------------------------------------- gram, reg_grad -- */

static void gram_case(size_t K, size_t N, int mode) {
  if (!orthoconv_priv_ukernel_applies(cur, K, N)) return; /* dispatch never runs it there */
  float *w = malloc(K * N * sizeof *w), *g = malloc(N * N * sizeof *g);
  fill(w, K * N, 1.0f);
  if (mode == 0) sprinkle(w, K, N, N, N > 3 ? 2 : 1, K);
  if (mode == 3) shrink(w, K * N, 1e-22f);
  if (mode == 1 || mode == 2) {
    const float big = mode == 1 ? sqrtf(0.49f * FLT_MAX / (float)K) : 1e20f;
    for (size_t i = 0; i < K * N; i++)
      if (mode == 1 || i % N < N / 2 + 1) w[i] = test_randf() < 0 ? -big : big;
  }
  cur->fn.gram(K, N, w, g, tun);
  double *wd = malloc(K * N * sizeof *wd), *want = malloc(N * N * sizeof *want), *bnd = malloc(N * N * sizeof *bnd);
  for (size_t i = 0; i < K * N; i++) wd[i] = w[i];
  oracle_gram(K, N, wd, want, bnd);
  for (size_t i = 0; i < N * N; i++) {
    const int ok = may_overflow(bnd[i]) ? agrees_or_overflows(g[i], want[i], bound_tol(bnd[i], K)) : agrees(g[i], want[i], bound_tol(bnd[i], K));
    CHECK(ok, "%s %s K=%zu N=%zu g[%zu][%zu] = %.9g, want %.9g", cur->name, what, K, N, i / N, i % N, g[i], want[i]);
  }
  free(w), free(g), free(wd), free(want), free(bnd);
}

static void reg_grad_case(size_t K, size_t N, int mode) {
  if (!orthoconv_priv_ukernel_applies(cur, K, N)) return; /* dispatch never runs it there */
  float *w = malloc(K * N * sizeof *w), *a = malloc(N * N * sizeof *a), *gr = malloc(K * N * sizeof *gr);
  float *g0 = malloc(K * N * sizeof *g0);
  unsigned char *t = malloc(N);
  for (size_t n = 0; n < N; n++) t[n] = n % 4 != 2;
  fill(w, K * N, 1.0f);
  fill(a, N * N, 1.0f);
  fill(gr, K * N, 1.0f);
  if (mode == 0) sprinkle(w, K, N, N, 3, N), sprinkle(gr, K, N, N, 3, K + 1);
  if (mode == 3) shrink(w, K * N, 1e-22f), shrink(a, N * N, 1e-22f), shrink(gr, K * N, 1e-40f);
  if (mode == 1 || mode == 2) {
    const float big = mode == 1 ? sqrtf(0.49f * FLT_MAX / (float)N) : 1e20f;
    for (size_t i = 0; i < K * N; i += mode == 2 ? 2 : 1) w[i] = test_randf() < 0 ? -big : big;
    for (size_t i = 0; i < N * N; i++) a[i] = test_randf() < 0 ? -big : big;
  }
  memcpy(g0, gr, K * N * sizeof *g0);
  cur->fn.reg_grad(K, N, w, a, t, gr, tun);
  for (size_t k = 0; k < K; k++)
    for (size_t n = 0; n < N; n++) {
      const size_t i = k * N + n;
      if (!t[n]) {
        CHECK(memcmp(&gr[i], &g0[i], sizeof gr[i]) == 0, "%s %s wrote frozen column %zu", cur->name, what, n);
        continue;
      }
      double s = g0[i], b = fabs(g0[i]);
      for (size_t j = 0; j < N; j++) {
        s += (double)w[k * N + j] * a[j * N + n];
        b += fabs((double)w[k * N + j] * a[j * N + n]);
      }
      const int ok = may_overflow(b) ? agrees_or_overflows(gr[i], s, bound_tol(b, N + 1)) : agrees(gr[i], s, bound_tol(b, N + 1));
      CHECK(ok, "%s %s K=%zu N=%zu grad[%zu][%zu] = %.9g, want %.9g", cur->name, what, K, N, k, n, gr[i], s);
    }
  free(w), free(a), free(gr), free(g0), free(t);
}

/* ------------------------------------------------------------- optimizers -- */

static const orthoconv_ukernel *scalar_of(orthoconv_op op) {
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++)
    if (orthoconv_priv_ukernels[i].op == op && orthoconv_priv_ukernels[i].isa == ORTHOCONV_ISA_SCALAR)
      return &orthoconv_priv_ukernels[i];
  return NULL;
}

/* Bits equal, or both NaN (the payload of a NaN made by an operation is the CPU's). */
static int same_float(float a, float b) { return isnan(a) ? isnan(b) : memcmp(&a, &b, sizeof a) == 0; }

static void optim_case(size_t K, size_t N, int variant) {
  if (!orthoconv_priv_ukernel_applies(cur, K, N)) return; /* dispatch never runs it there */
  const size_t n = K * N;
  const orthoconv_ukernel *ref = scalar_of(cur->op);
  float *st[2][4]; /* [run][w, grad, s1, s2] */
  for (int r = 0; r < 2; r++)
    for (int j = 0; j < 4; j++) st[r][j] = malloc(n * sizeof(float));
  /* specials and huge values (products and squares that overflow) everywhere */
  for (int j = 0; j < 4; j++) {
    fill(st[0][j], n, j == 1 && variant ? 3e19f : 1.0f);
    sprinkle(st[0][j], K, N, N, K, (size_t)j);
  }
  for (size_t i = 0; i < n; i++) st[0][3][i] = fabsf(st[0][3][i]);
  if (variant == 3)
    for (int j = 0; j < 4; j++) shrink(st[0][j], n, 1e-40f); /* subnormal state: no flush to zero anywhere */
  for (size_t i = 0; i < n; i += 5) st[0][0][i] = 3e38f;
  for (int j = 0; j < 4; j++) memcpy(st[1][j], st[0][j], n * sizeof(float));
  unsigned char *t = variant ? malloc(N) : NULL;
  for (size_t c = 0; t && c < N; c++) t[c] = c % 3 != 0;
  const orthoconv_sgd sgd = { 0.1f, variant ? 0.9f : 0.0f, 0.01f, variant == 2 };
  const orthoconv_adamw aw = { 0.01f, 0.9f, 0.999f, 1e-8f, 0.05f };
  for (int r = 0; r < 2; r++) {
    const orthoconv_ukernel *k = r ? cur : ref;
    float **s = st[r];
    if (cur->op == ORTHOCONV_OP_ADAMW) k->fn.adamw(&aw, 0.05f, 0.03f, K, N, s[0], s[1], s[2], s[3], t, tun);
    else k->fn.sgd(&sgd, K, N, s[0], s[1], sgd.momentum != 0.0f ? s[2] : NULL, t, tun);
  }
  size_t differ = 0;
  for (int j = 0; j < 4; j++)
    for (size_t i = 0; i < n; i++) differ += !same_float(st[0][j][i], st[1][j][i]);
  CHECK(differ == 0, "%s K=%zu N=%zu variant %d: %zu floats differ from %s", cur->name, K, N, variant, differ, ref->name);
  for (int r = 0; r < 2; r++)
    for (int j = 0; j < 4; j++) free(st[r][j]);
  free(t);
}

/* -------------------------------------------------------------- penalties -- */

static const char *const kind_names[] = { "SO", "DSO", "MC", "SRIP", "KERAS_COLUMNS", "MIRROR_PAIRS" };

/* NaN in W: NaN penalty, and NaN in every trainable gradient column of the row
 * that holds it (W A with any A); Inf or overflowing W: a penalty that is not finite. */
static void penalties(orthoconv_isa isa) {
  if (orthoconv_set_isa(isa) != ORTHOCONV_OK) {
    test_fail("cannot cap the ISA at %s", orthoconv_isa_name(isa));
    return;
  }
  enum { K = 37, N = 10 };
  static const unsigned char t[N] = { 1, 0, 1, 1, 0, 1, 1, 1, 0, 1 };
  for (int kind = 0; kind <= ORTHOCONV_REG_MIRROR_PAIRS; kind++)
    for (int mode = 0; mode < 3; mode++) {
      float w[K * N], grad[K * N], g0[K * N], pen = 0.0f;
      for (size_t i = 0; i < K * N; i++) w[i] = test_randf() * 0.3f, g0[i] = grad[i] = test_randf();
      const size_t k0 = 5, c0 = (size_t)kind % N;
      if (mode == 0) w[k0 * N + c0] = NAN;
      else if (mode == 1) w[k0 * N + c0] = INFINITY;
      else
        for (size_t i = 0; i < K * N; i++) w[i] = test_randf() < 0 ? -1e20f : 1e20f;
      const orthoconv_status s = orthoconv_regularize((orthoconv_regularizer)kind, 0.5f, K, N, w, t, &pen, grad);
      CHECK(s == ORTHOCONV_OK, "%s %s: status %d", orthoconv_isa_name(isa), kind_names[kind], (int)s);
      static const char *const modes[] = { "a NaN", "an Inf", "1e20 entries" };
      CHECK(mode == 0 ? isnan(pen) : !isfinite(pen), "%s %s with %s in W: penalty %.9g",
            orthoconv_isa_name(isa), kind_names[kind], modes[mode], pen);
      for (size_t n = 0; n < N; n++) {
        if (!t[n]) {
          for (size_t k = 0; k < K; k++)
            CHECK(memcmp(&grad[k * N + n], &g0[k * N + n], sizeof *grad) == 0, "%s %s wrote frozen column %zu",
                  orthoconv_isa_name(isa), kind_names[kind], n);
        } else if (mode == 0) {
          CHECK(isnan(grad[k0 * N + n]), "%s %s with a NaN in W row %zu: grad[%zu][%zu] = %.9g",
                orthoconv_isa_name(isa), kind_names[kind], k0, k0, n, grad[k0 * N + n]);
        }
      }
    }
  orthoconv_set_isa(orthoconv_cpu_isa());
}

static void run_variant(const orthoconv_ukernel *k) {
  cur = k;
  const int before = test_failures;
  for (unsigned i = 0; i < ORTHOCONV_MAX_TUNABLES; i++) tun[i] = i < k->ntunables ? k->tunables[i].def : 0;
  static const size_t mkn[][3] = { { 1, 19, 10 }, { 9, 64, 17 }, { 13, 33, 1 }, { 3, 1, 33 }, { 50, 1024, 10 } };
  static const char *const modes[] = { "specials", "large, no overflow", "overflow", "subnormal results" };
  for (int mode = 0; mode < 4; mode++) {
    what = modes[mode];
    cur_mode = mode;
    for (size_t s = 0; s < sizeof mkn / sizeof mkn[0]; s++) {
      const size_t M = mkn[s][0], K = mkn[s][1], N = mkn[s][2];
      switch (k->op) {
      case ORTHOCONV_OP_FORWARD: if (mode == 0 && s == 0) test_forward(); break;
      case ORTHOCONV_OP_BACKWARD_DATA: bwd_data_case(M, K, N, mode); break;
      case ORTHOCONV_OP_BACKWARD_WEIGHTS: bwd_weights_case(M, K, N, mode); break;
      case ORTHOCONV_OP_GRAM: gram_case(K, N, mode); break;
      case ORTHOCONV_OP_REG_GRAD: reg_grad_case(K, N, mode); break;
      case ORTHOCONV_OP_SGD:
      case ORTHOCONV_OP_ADAMW: optim_case(K, N, mode); break;
      default: test_fail("%s: op %d has no numerics test", k->name, (int)k->op);
      }
    }
  }
  printf("  %-58s %s\n", k->name, test_failures == before ? "ok" : "FAILED");
}

int main(int argc, char **argv) {
  int code;
  const int isa = test_isa_arg(argc, argv, &code);
  if (isa < 0) return code;
  test_seed(1234);
  size_t n = 0;
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++)
    /* The fp32 ops; the bf16 and int8 layers have their own suite (tests/lowprec). */
    if ((int)orthoconv_priv_ukernels[i].isa == isa && orthoconv_priv_ukernels[i].op < ORTHOCONV_OP_LAYER_FORWARD_BF16)
      run_variant(&orthoconv_priv_ukernels[i]), n++;
  CHECK(n > 0, "no %s variants in this build", argv[1]);
  penalties((orthoconv_isa)isa);
  return test_finish("numerics");
}
