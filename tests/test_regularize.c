/* Regularizers through the public API: penalty and gradient against the double
 * oracle's closed forms, the closed forms against central finite differences in
 * double, frozen columns untouched, the seed's known answer, and Gram itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/oracle.h"
#include "common/testutil.h"
#include "gram/reg_maths.h"

static int fd_checks, ill_defined;
static const char *const kind_names[] = { "SO", "DSO", "MC", "SRIP", "KERAS_COLUMNS", "MIRROR_PAIRS" };

/* Columns of norm about 1 and small mutual angles: the regime the penalties are for. */
static void near_orthonormal(size_t K, size_t N, float *w) {
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf() * sqrtf(3.0f / (float)K);
  for (size_t n = 0; n < N && n < K; n++) w[n * N + n] += 0.5f;
}

static void finite_differences(orthoconv_regularizer kind, size_t K, size_t N, const double *w,
                               const double *grad) {
  double *wp = malloc(K * N * sizeof *wp);
  memcpy(wp, w, K * N * sizeof *wp);
  /* A few entries: enough to catch a wrong formula; DSO's oracle value forms K x K. */
  for (int s = 0; s < 6; s++) {
    const size_t i = (size_t)(test_rand_u64() % (K * N));
    const double h = 1e-6, keep = wp[i];
    wp[i] = keep + h;
    const double up = oracle_reg_value(kind, K, N, wp);
    wp[i] = keep - h;
    const double down = oracle_reg_value(kind, K, N, wp);
    wp[i] = keep;
    const double fd = (up - down) / (2 * h);
    fd_checks++;
    CHECK(fabs(fd - grad[i]) <= 1e-5 * (1 + fabs(grad[i])), "%s K=%zu N=%zu: dR/dw[%zu] closed form %.10g, finite difference %.10g",
          kind_names[kind], K, N, i, grad[i], fd);
  }
  free(wp);
}

static void one_case(orthoconv_regularizer kind, size_t K, size_t N, const unsigned char *trainable) {
  float *w = malloc(K * N * sizeof *w), *grad = malloc((K * N + 8) * sizeof *grad);
  near_orthonormal(K, N, w);
  double *wd = malloc(K * N * sizeof *wd), *want = malloc(K * N * sizeof *want);
  for (size_t i = 0; i < K * N; i++) wd[i] = w[i];
  const float strength = 0.37f;
  float *g0 = malloc(K * N * sizeof *g0);
  for (size_t i = 0; i < K * N; i++) g0[i] = grad[i] = test_randf();
  for (size_t i = K * N; i < K * N + 8; i++) grad[i] = 12345.0f; /* canaries */
  float penalty = -1.0f;
  orthoconv_status s = orthoconv_regularize(kind, strength, K, N, w, trainable, &penalty, grad);
  CHECK(s == ORTHOCONV_OK, "%s: status %d", kind_names[kind], (int)s);
  const double r = oracle_reg_value(kind, K, N, wd);
  /* G's float error is about 1e-5 * K * max|w|^2 per entry; R is at most quadratic in it. */
  CHECK(fabs(penalty - strength * r) <= 2e-4 * strength * (1 + fabs(r)) + 1e-6,
        "%s K=%zu N=%zu: penalty %.9g, want %.9g", kind_names[kind], K, N, penalty, strength * r);
  const int well_defined = oracle_reg_grad(kind, K, N, wd, want);
  ill_defined += !well_defined;
  double scale = 0;
  for (size_t i = 0; i < K * N; i++) scale = fmax(scale, fabs(want[i]));
  for (size_t i = 0; i < K * N; i++) {
    const size_t n = i % N;
    if (trainable && !trainable[n]) {
      CHECK(memcmp(&grad[i], &g0[i], 4) == 0, "%s wrote frozen column %zu", kind_names[kind], n);
      continue;
    }
    if (!well_defined) continue;
    const double exp = g0[i] + strength * want[i];
    CHECK(fabs(grad[i] - exp) <= 1e-4 * strength * scale + 1e-6 * fabs(exp), "%s K=%zu N=%zu grad[%zu] = %.9g, want %.9g",
          kind_names[kind], K, N, i, grad[i], exp);
  }
  for (size_t i = K * N; i < K * N + 8; i++) CHECK(grad[i] == 12345.0f, "%s: canary after grad", kind_names[kind]);
  /* Finite differences where the oracle's value is cheap: small K for DSO (it forms
   * W W^T), small N for SRIP (power iteration). */
  if (well_defined && K * N <= 20000 && (kind != ORTHOCONV_REG_DSO || K <= 128) &&
      (kind != ORTHOCONV_REG_SRIP || N <= 16))
    finite_differences(kind, K, N, wd, want);
  /* Penalty alone, gradient alone. */
  s = orthoconv_regularize(kind, strength, K, N, w, trainable, NULL, grad);
  CHECK(s == ORTHOCONV_OK, "%s: gradient-only call", kind_names[kind]);
  float p2 = 0;
  CHECK(orthoconv_regularize(kind, strength, K, N, w, trainable, &p2, NULL) == ORTHOCONV_OK && p2 == penalty,
        "%s: penalty-only call differs", kind_names[kind]);
  free(w), free(grad), free(wd), free(want), free(g0);
}

/* The seed's answer: MIRROR_PAIRS at N = 10, the gradient of filter 0 is 2 x filter 9. */
static void seed_answer(void) {
  const size_t K = 1024, N = 10;
  float *w = malloc(K * N * sizeof *w), *grad = calloc(K * N, sizeof *grad);
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf() * 0.1f;
  const float strength = 1.0f;
  CHECK(orthoconv_regularize(ORTHOCONV_REG_MIRROR_PAIRS, strength, K, N, w, NULL, NULL, grad) == ORTHOCONV_OK, "seed call");
  size_t bad = 0;
  for (size_t k = 0; k < K; k++) bad += grad[k * N + 0] != 2.0f * strength * w[k * N + 9];
  CHECK(bad == 0, "seed: %zu of 1024 entries of the filter-0 gradient differ from 2 x filter 9", bad);
  /* With filter 0 frozen, its gradient stays as it was; filter 9's is 2 x filter 0. */
  unsigned char t[10] = { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  memset(grad, 0, K * N * sizeof *grad);
  CHECK(orthoconv_regularize(ORTHOCONV_REG_MIRROR_PAIRS, strength, K, N, w, t, NULL, grad) == ORTHOCONV_OK, "seed call 2");
  bad = 0;
  for (size_t k = 0; k < K; k++) bad += grad[k * N + 0] != 0.0f || grad[k * N + 9] != 2.0f * w[k * N + 0];
  CHECK(bad == 0, "seed with filter 0 frozen: %zu rows wrong", bad);
  free(w), free(grad);
}

static void gram_api(void) {
  const size_t K = 1024, N = 10;
  float *w = malloc(K * N * sizeof *w), g[100];
  double *wd = malloc(K * N * sizeof *wd), want[100], bnd[100];
  for (size_t i = 0; i < K * N; i++) wd[i] = w[i] = test_randf();
  CHECK(orthoconv_gram(K, N, w, g) == ORTHOCONV_OK, "gram status");
  oracle_gram(K, N, wd, want, bnd);
  for (size_t i = 0; i < N * N; i++) CHECK(within_bound(g[i], want[i], bnd[i]), "gram[%zu] %.9g want %.9g", i, g[i], want[i]);
  free(w), free(wd);
}

/* SRIP's eigensolver on matrices of known spectrum: S = Q diag(lambda) Q^T, Q a
 * product of two Householder reflectors of random vectors (orthogonal to
 * rounding). The pair of largest |lambda| must come back to 1e-12 of the
 * spectrum's scale, with residual |S v - lambda v| as small; NaN in, NaN out. */
static void eigen_known(size_t n, const double *lam, const char *what) {
  double *q = malloc(n * n * sizeof *q), *s = malloc(n * n * sizeof *s), *s0 = malloc(n * n * sizeof *s0);
  double *v = malloc(n * sizeof *v), *work = malloc(7 * n * sizeof *work), *u = malloc(n * sizeof *u);
  for (size_t i = 0; i < n * n; i++) q[i] = (i % (n + 1)) == 0;
  for (int r = 0; r < 2; r++) { /* q <- q (I - 2 u u^T / u^T u) */
    double uu = 0;
    for (size_t i = 0; i < n; i++) uu += (u[i] = (double)test_randf());
    uu = 0;
    for (size_t i = 0; i < n; i++) uu += u[i] * u[i];
    for (size_t i = 0; i < n && uu > 0; i++) {
      double qu = 0;
      for (size_t j = 0; j < n; j++) qu += q[i * n + j] * u[j];
      for (size_t j = 0; j < n; j++) q[i * n + j] -= 2 * qu * u[j] / uu;
    }
  }
  double big = 0, want = 0;
  for (size_t k = 0; k < n; k++)
    if (fabs(lam[k]) > big) big = fabs(lam[k]), want = lam[k];
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      double acc = 0;
      for (size_t k = 0; k < n; k++) acc += q[i * n + k] * lam[k] * q[j * n + k];
      s0[i * n + j] = s[i * n + j] = acc;
    }
  for (size_t i = 0; i < n; i++) /* exactly symmetric, as G - I is */
    for (size_t j = 0; j < i; j++) s0[i * n + j] = s[i * n + j] = s0[j * n + i];
  const double got = orthoconv_priv_top_eigen(n, s, v, work);
  double vv = 0, res = 0;
  for (size_t i = 0; i < n; i++) {
    double sv = 0;
    for (size_t j = 0; j < n; j++) sv += s0[i * n + j] * v[j];
    res = fmax(res, fabs(sv - got * v[i]));
    vv += v[i] * v[i];
  }
  /* Ties |lambda_max| = |lambda_min| may answer either sign. */
  int tie = 0;
  for (size_t k = 0; k < n; k++) tie |= big > 0 && fabs(lam[k] + want) <= 1e-12 * big;
  CHECK(fabs(got - want) <= 1e-12 * big || (tie && fabs(got + want) <= 1e-12 * big),
        "top_eigen n=%zu (%s): lambda %.17g, want %.17g", n, what, got, want);
  CHECK(res <= 1e-10 * (big > 0 ? big : 1) && fabs(vv - 1) <= 1e-12,
        "top_eigen n=%zu (%s): residual %.3g, |v|^2 - 1 = %.3g", n, what, res, vv - 1);
  s[n * n / 2] = NAN;
  CHECK(isnan(orthoconv_priv_top_eigen(n, s, v, work)), "top_eigen n=%zu: NaN in, a number out", n);
  free(q), free(s), free(s0), free(v), free(work), free(u);
}

static void eigen_cases(void) {
  static const size_t ns[] = { 1, 2, 3, 4, 5, 7, 10, 11, 16, 31, 32, 33, 40 };
  double lam[40];
  for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
    const size_t n = ns[t];
    for (size_t k = 0; k < n; k++) lam[k] = test_randf();
    eigen_known(n, lam, "random");
    lam[n - 1] = -3.0; /* negative dominant */
    eigen_known(n, lam, "negative top");
    if (n >= 2) lam[0] = -3.0; /* a double eigenvalue on top */
    eigen_known(n, lam, "double top");
    for (size_t k = 0; k < n; k++) lam[k] = 0.25; /* S = c I */
    eigen_known(n, lam, "all equal");
    for (size_t k = 0; k < n; k++) lam[k] = 0.0;
    eigen_known(n, lam, "zero");
    for (size_t k = 0; k < n; k++) lam[k] = 1e-3 * (double)k * (k % 2 ? 1 : -1) + 1e-9 * test_randf();
    eigen_known(n, lam, "clustered");
    for (size_t k = 0; k < n; k++) lam[k] = 1e25 * test_randf();
    eigen_known(n, lam, "huge");
    for (size_t k = 0; k < n; k++) lam[k] = 1e-25 * test_randf();
    eigen_known(n, lam, "tiny");
    for (size_t k = 0; k < n; k++) lam[k] = k == n / 2 ? 2.0 : 1.0 - 1e-7 * (double)k;
    eigen_known(n, lam, "one above a near-multiple bulk");
  }
}

int main(void) {
  eigen_cases();
  static const size_t shapes[][2] = { { 1024, 10 }, { 16, 1 }, { 17, 2 }, { 3, 7 }, { 1000, 11 }, { 64, 33 }, { 1025, 16 }, { 40, 40 } };
  unsigned char alt[64];
  for (size_t i = 0; i < sizeof alt; i++) alt[i] = (unsigned char)(i % 3 != 1);
  for (int kind = 0; kind <= ORTHOCONV_REG_MIRROR_PAIRS; kind++)
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      one_case((orthoconv_regularizer)kind, shapes[s][0], shapes[s][1], NULL);
      one_case((orthoconv_regularizer)kind, shapes[s][0], shapes[s][1], alt);
    }
  seed_answer();
  gram_api();
  printf("%d finite-difference checks; %d cases with a near-tie subgradient (gradient compare skipped)\n",
         fd_checks, ill_defined);
  CHECK(fd_checks >= 200 && ill_defined < 8, "too few gradients were really checked");
  return test_finish("regularize");
}
