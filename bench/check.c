#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "orthoconv.h"
#include "lowprec.h"

#define TOL 1e-5

/* The exact results cost K*N double products per row: past this many in all,
 * rows (or k of dW) are sampled, both ends and a stride through the middle. */
#define CHECK_BUDGET 5e7

static int sampled(size_t i, size_t n, double cost_per_item) {
  const double keep = CHECK_BUDGET / (cost_per_item > 1 ? cost_per_item : 1);
  if ((double)n <= keep) return 1;
  const size_t stride = (size_t)((double)n / (keep > 64 ? keep - 64 : 1)) + 1;
  return i < 32 || i + 32 >= n || i % stride == 0;
}

static int row_checked(size_t m, const ocb_case *c) {
  return sampled(m, c->M, (double)c->K * (double)c->N);
}

static double act_of(int act, double v) {
  switch (act) {
  case ORTHOCONV_ACT_RELU: return v > 0 ? v : 0;
  case ORTHOCONV_ACT_SIGMOID: return 1 / (1 + exp(-v));
  case ORTHOCONV_ACT_TANH: return tanh(v);
  case ORTHOCONV_ACT_GELU: return 0.5 * v * (1 + erf(v / sqrt(2.0)));
  default: return v;
  }
}

static int bad(char *err, size_t n, const char *what, size_t i, size_t j, double got, double want, double tol) {
  snprintf(err, n, "wrong answer: %s[%zu][%zu] = %.8g, exact %.8g (tolerance %.3g)", what, i, j, got, want, tol);
  return 0;
}

static int check_fwd(const ocb_case *c, const ocb_data *d, const ocb_io *io, char *err, size_t n) {
  const size_t K = c->K, N = c->N;
  double z[4096], s[4096];
  if (N > 4096) return 1;
  for (size_t m = 0; m < c->M; m++) {
    if (!row_checked(m, c)) continue;
    for (size_t j = 0; j < N; j++) z[j] = io->bias ? io->bias[j] : 0, s[j] = fabs(z[j]);
    for (size_t k = 0; k < K; k++) {
      const double xv = d->x[m * K + k];
      for (size_t j = 0; j < N; j++) z[j] += xv * d->w[k * N + j], s[j] += fabs(xv * d->w[k * N + j]);
    }
    double mx = -INFINITY, sum = 0;
    if (c->act == ORTHOCONV_ACT_SOFTMAX) {
      for (size_t j = 0; j < N; j++) mx = z[j] > mx ? z[j] : mx;
      for (size_t j = 0; j < N; j++) sum += exp(z[j] - mx);
    }
    for (size_t j = 0; j < N; j++) {
      const double want = c->act == ORTHOCONV_ACT_SOFTMAX ? exp(z[j] - mx) / sum : act_of(c->act, z[j]);
      /* The activations move an error by at most about 1x (softmax 2x); the
       * vectorised functions add a few ulp. */
      const double tol = (c->act ? 2 : 1) * TOL * s[j] + (c->act ? 1e-6 * (1 + fabs(want)) : 0);
      const double got = io->y[m * N + j];
      if (!(fabs(got - want) <= tol)) return bad(err, n, "y", m, j, got, want, tol);
    }
  }
  return 1;
}

static int check_bwd_data(const ocb_case *c, const ocb_data *d, const ocb_io *io, char *err, size_t n) {
  const size_t K = c->K, N = c->N;
  for (size_t m = 0; m < c->M; m++) {
    if (!row_checked(m, c)) continue;
    for (size_t k = 0; k < K; k++) {
      double z = 0, s = 0;
      for (size_t j = 0; j < N; j++) z += (double)d->dy[m * N + j] * d->w[k * N + j], s += fabs((double)d->dy[m * N + j] * d->w[k * N + j]);
      if (!(fabs(io->dx[m * K + k] - z) <= TOL * s)) return bad(err, n, "dx", m, k, io->dx[m * K + k], z, TOL * s);
    }
  }
  return 1;
}

static void dw_oracle(ocb_data *d) {
  if (d->dw_exact) return;
  const size_t M = d->M, K = d->K, N = d->N;
  d->dw_exact = calloc(K * N + N, sizeof(double));
  d->dw_bound = calloc(K * N + N, sizeof(double));
  if (!d->dw_exact || !d->dw_bound) abort();
  for (size_t m = 0; m < M; m++)
    for (size_t k = 0; k < K; k++) {
      if (!sampled(k, K, (double)M * (double)N)) continue;
      const double xv = d->x[m * K + k];
      for (size_t j = 0; j < N; j++) {
        const double p = xv * d->dy[m * N + j];
        d->dw_exact[k * N + j] += p, d->dw_bound[k * N + j] += fabs(p);
      }
    }
  for (size_t m = 0; m < M; m++)
    for (size_t j = 0; j < N; j++) d->dw_exact[K * N + j] += d->dy[m * N + j], d->dw_bound[K * N + j] += fabs(d->dy[m * N + j]);
}

static int check_bwd_weights(const ocb_case *c, ocb_data *d, const ocb_io *io, char *err, size_t n) {
  dw_oracle(d);
  const size_t K = c->K, N = c->N;
  for (size_t k = 0; k <= K; k++)
    for (size_t j = 0; j < N; j++) {
      if (k < K && !sampled(k, K, (double)c->M * (double)N)) continue;
      const int frozen = (int)j < c->nfrozen;
      if (k == K && !io->dbias) continue;
      const double got = k < K ? io->dw[k * N + j] : io->dbias[j];
      const double want = frozen ? 0 : d->dw_exact[k * N + j], tol = frozen ? 0 : TOL * d->dw_bound[k * N + j];
      if (!(fabs(got - want) <= tol)) return bad(err, n, k < K ? "dw" : "dbias", k, j, got, want, tol);
    }
  return 1;
}

/* G = W^T W, and for the SO anchor (grad starts at 0, strength 1) the gradient
 * 4 W (G - I) and the value ||G - I||^2. */
static int check_gram(const ocb_case *c, const ocb_data *d, const ocb_io *io, int so, char *err, size_t n) {
  const size_t K = c->K, N = c->N;
  double *g = calloc(N * N * 2, sizeof(double));
  if (!g) abort();
  double *gs = g + N * N, value = 0;
  for (size_t k = 0; k < K; k++)
    for (size_t i = 0; i < N; i++)
      for (size_t j = 0; j < N; j++) {
        const double p = (double)d->w[k * N + i] * d->w[k * N + j];
        g[i * N + j] += p, gs[i * N + j] += fabs(p);
      }
  int ok = 1;
  for (size_t i = 0; i < N * N && ok; i++) {
    if (!so && !(fabs(io->g[i] - g[i]) <= TOL * gs[i])) ok = bad(err, n, "g", i / N, i % N, io->g[i], g[i], TOL * gs[i]);
    const double e = g[i] - (i / N == i % N);
    value += e * e;
  }
  if (so && ok && !(fabs(io->penalty - value) <= 1e-4 * (value + 1)))
    ok = bad(err, n, "penalty", 0, 0, io->penalty, value, 1e-4 * (value + 1));
  for (size_t k = 0; so && ok && k < K; k++)
    for (size_t j = 0; j < N && ok; j++) {
      double z = 0, s = 0;
      for (size_t i = 0; i < N; i++) {
        const double a = 4 * (g[i * N + j] - (i == j));
        z += d->w[k * N + i] * a, s += fabs(d->w[k * N + i] * a);
      }
      /* G's own rounding enters through A: bound it by the sums of G too. */
      const double tol = 1e-4 * (s + 1e-6);
      if (!(fabs(io->grad[k * N + j] - z) <= tol)) ok = bad(err, n, "grad", k, j, io->grad[k * N + j], z, tol);
    }
  free(g);
  return ok;
}

static int check_reg_grad(const ocb_case *c, const ocb_data *d, const ocb_io *io, char *err, size_t n) {
  const size_t K = c->K, N = c->N;
  for (size_t k = 0; k < K; k++)
    for (size_t j = 0; j < N; j++) {
      double z = 0, s = 0;
      for (size_t i = 0; i < N; i++) z += (double)d->w[k * N + i] * d->a[i * N + j], s += fabs((double)d->w[k * N + i] * d->a[i * N + j]);
      if ((int)j < c->nfrozen) z = 0, s = 0;
      if (!(fabs(io->grad[k * N + j] - z) <= TOL * s)) return bad(err, n, "grad", k, j, io->grad[k * N + j], z, TOL * s);
    }
  return 1;
}

/* Optimizer steps and regularizer kinds: finite, and frozen columns as before. */
static int check_untouched(const ocb_case *c, const float *before, const float *after, const char *what, char *err, size_t n) {
  for (size_t k = 0; k < c->K; k++)
    for (size_t j = 0; j < c->N; j++) {
      const float b = before[k * c->N + j], a = after[k * c->N + j];
      if ((int)j < c->nfrozen ? memcmp(&a, &b, sizeof a) != 0 : !isfinite(a)) {
        snprintf(err, n, "wrong answer: %s[%zu][%zu] %s", what, k, j, (int)j < c->nfrozen ? "of a frozen filter changed" : "is not finite");
        return 0;
      }
    }
  return 1;
}

int ocb_check(const ocb_case *c, ocb_data *d, const ocb_io *io, char *err, size_t errlen) {
  switch (c->op) {
  case OCB_FWD: return check_fwd(c, d, io, err, errlen);
  case OCB_BWD_DATA: return check_bwd_data(c, d, io, err, errlen);
  case OCB_BWD_WEIGHTS: return check_bwd_weights(c, d, io, err, errlen);
  case OCB_GRAM: return check_gram(c, d, io, 0, err, errlen);
  case OCB_REG:
    if (c->reg == ORTHOCONV_REG_SO && c->im->anchor) return check_gram(c, d, io, 1, err, errlen);
    if (!isfinite(io->penalty)) return snprintf(err, errlen, "wrong answer: penalty %g", io->penalty), 0;
    {
      float *zero = calloc(c->K * c->N, sizeof(float));
      if (!zero) abort();
      const int ok = check_untouched(c, zero, io->grad, "grad", err, errlen);
      free(zero);
      return ok;
    }
  case OCB_REG_GRAD: return check_reg_grad(c, d, io, err, errlen);
  case OCB_SGD: case OCB_ADAMW: return check_untouched(c, d->w, io->wmut, "w", err, errlen);
  case OCB_FWD_BF16: case OCB_QFWD: return ocb_lp_check(c, d, io, err, errlen);
  default: return 1;
  }
}
