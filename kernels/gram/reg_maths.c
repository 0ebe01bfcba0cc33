#include <math.h>
#include <string.h>
#include "reg_maths.h"

static double sgn(double v) { return (v > 0) - (v < 0); }

/* R and A for the kinds whose gradient is c W (G - I). One pass over the N^2
 * entries as a flat array (the diagonal found by a running index), R in four
 * partial sums held in locals: one chain of N^2 dependent additions was 5% of a
 * K = 1024, N = 10 call, and sums in an array indexed by j & 3 went through
 * memory. */
static double frobenius(size_t N, const float *g, double c, float strength, float *a) {
  const double k = strength * c;
  const size_t nn = N * N;
  double r0 = 0.0, r1 = 0.0, r2 = 0.0, r3 = 0.0;
  size_t diag = 0, t = 0;
#define OC_FROB_TERM(r, i)                        \
  do {                                            \
    double d = (double)g[i];                      \
    if ((i) == diag) d -= 1.0, diag += N + 1;     \
    r += d * d;                                   \
    if (a) a[i] = (float)(k * d);                 \
  } while (0)
  for (; t + 4 <= nn; t += 4) {
    OC_FROB_TERM(r0, t);
    OC_FROB_TERM(r1, t + 1);
    OC_FROB_TERM(r2, t + 2);
    OC_FROB_TERM(r3, t + 3);
  }
  for (; t < nn; t++) OC_FROB_TERM(r0, t);
#undef OC_FROB_TERM
  return (r0 + r1) + (r2 + r3);
}

static double max_coherence(size_t N, const float *g, float strength, float *a) {
  size_t bi = 0, bj = 0;
  double best = -1.0;
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < N; j++) {
      const double d = fabs((double)g[i * N + j] - (i == j));
      /* NaN counts as the largest (like torch.max): a NaN in W must show */
      if (d > best || (isnan(d) && !isnan(best))) { best = d; bi = i; bj = j; }
    }
  if (a) {
    /* at a NaN maximum the subgradient is NaN too, so the columns it touches show it */
    const double s = isnan(best) ? best : strength * sgn((double)g[bi * N + bj] - (bi == bj));
    if (bi == bj) {
      a[bi * N + bi] = (float)(2.0 * s);
    } else { /* column bi gets s w_bj, column bj gets s w_bi */
      a[bj * N + bi] = (float)s;
      a[bi * N + bj] = (float)s;
    }
  }
  return best;
}

static double spectral(size_t N, const float *g, float strength, float *a, float *factors, double *work) {
  double *s = work, *v = work + N * N;
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < N; j++) s[i * N + j] = (double)g[i * N + j] - (i == j);
  const double lambda = orthoconv_priv_top_eigen(N, s, v, v + N);
  const double c = strength * 2.0 * sgn(lambda);
  if (a)
    for (size_t i = 0; i < N; i++)
      for (size_t j = 0; j < N; j++) a[i * N + j] = (float)(c * v[i] * v[j]);
  if (factors) /* a NaN lambda comes with a NaN v (top_eigen), as A's entries do */
    for (size_t i = 0; i < N; i++) factors[i] = (float)v[i], factors[N + i] = (float)(c * v[i]);
  return fabs(lambda);
}

static double keras_columns(size_t N, const float *g, float strength, float *a, double *work) {
  if (N == 1) return 0.0; /* a stays zero */
  double *norm = work;
  for (size_t i = 0; i < N; i++) norm[i] = sqrt(fmax((double)g[i * N + i], 1e-12));
  const double scale = 1.0 / ((double)N * (double)(N - 1));
  double r = 0.0;
  for (size_t i = 0; i < N; i++) {
    double diag = 0.0;
    for (size_t j = 0; j < N; j++) {
      if (j == i) continue;
      const double c = (double)g[i * N + j] / (norm[i] * norm[j]);
      r += fabs(c);
      /* column i: 2 scale sum_j sign(c) (w_j / n_j - c w_i / n_i) / n_i */
      if (a) a[j * N + i] = (float)(strength * 2.0 * scale * sgn(c) / (norm[i] * norm[j]));
      diag -= sgn(c) * c;
    }
    if (a) a[i * N + i] = (float)(strength * 2.0 * scale * diag / (norm[i] * norm[i]));
  }
  return r * scale;
}

double orthoconv_priv_reg_maths(orthoconv_regularizer kind, float strength, size_t K,
    size_t N, const float *g, float *a, float *factors, double *work) {
  if (kind == ORTHOCONV_REG_MC || kind == ORTHOCONV_REG_SRIP || (kind == ORTHOCONV_REG_KERAS_COLUMNS && N > 1)) {
    /* Their max, eigenpair and signs would quietly skip a NaN. (KERAS_COLUMNS
     * with one filter has no pair: R is 0 whatever W holds, as documented.) */
    for (size_t i = 0; i < N * N; i++)
      if (isnan(g[i])) {
        if (a)
          for (size_t j = 0; j < N * N; j++) a[j] = NAN;
        if (factors && kind == ORTHOCONV_REG_SRIP)
          for (size_t j = 0; j < 2 * N; j++) factors[j] = NAN;
        return NAN;
      }
  }
  /* the kinds that write only some entries of A start from zeros */
  if (a && (kind == ORTHOCONV_REG_MC || kind == ORTHOCONV_REG_MIRROR_PAIRS || kind == ORTHOCONV_REG_KERAS_COLUMNS))
    memset(a, 0, N * N * sizeof(float));
  switch (kind) {
  case ORTHOCONV_REG_SO:
    return frobenius(N, g, 4.0, strength, a);
  case ORTHOCONV_REG_DSO:
    /* ||W W^T - I_K||^2 = ||G - I_N||^2 + K - N: the K x K matrix is never formed. */
    return 2.0 * frobenius(N, g, 8.0, strength, a) + ((double)K - (double)N);
  case ORTHOCONV_REG_MC:
    return max_coherence(N, g, strength, a);
  case ORTHOCONV_REG_SRIP:
    return spectral(N, g, strength, a, factors, work);
  case ORTHOCONV_REG_KERAS_COLUMNS:
    return keras_columns(N, g, strength, a, work);
  case ORTHOCONV_REG_MIRROR_PAIRS: {
    double r = 0.0;
    for (size_t n = 0; n < N; n++) {
      r += g[n * N + (N - 1 - n)];
      if (a) a[(N - 1 - n) * N + n] = 2.0f * strength;
    }
    return r;
  }
  }
  return 0.0;
}
