/* The eigenpair of largest |lambda| of a symmetric matrix, exact to rounding in a
 * bounded number of steps (SRIP's spectral norm and its gradient):
 *  1. Householder reduction to a tridiagonal T (n^3 work, no iteration);
 *  2. the extreme eigenvalue of largest |lambda| of T by Laguerre's iteration
 *     from outside its Gershgorin interval: for a polynomial with real roots it
 *     moves monotonically to the nearest root, cubically near a simple one, and
 *     exactly in one step when all roots coincide (at most EIG_ITERS steps);
 *  3. the eigenvector by two steps of inverse iteration on T (elimination with
 *     partial pivoting), mapped back through the reflectors.
 * Cyclic Jacobi found all n pairs, to 1e-30, and took three times the rest of
 * the regularizer at n = 10; this finds the one pair SRIP needs. */
#include <float.h>
#include <math.h>
#include "reg_maths.h"

#define EIG_ITERS 64

/* sum a[i] b[i], i < n, in four interleaved partial sums: at n <= 40 these
 * reductions sit on the critical path, and one chain of n additions is n
 * latencies long. */
static double dot(size_t n, const double *restrict a, const double *restrict b) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i], s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2], s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

/* s (n x n, row-major, symmetric, both triangles kept current) -> T = Q^T s Q,
 * Q = H_0 ... H_{n-3}, H_k = I - u_k u_k^T; d: T's diagonal, e[i] = T[i][i-1]
 * (e[0] = 0). u_k is kept in row k of s (columns k+1 .. n-1), where x_k was: that
 * row is not read again. Every loop runs along a row (the full trailing block is
 * updated, not its lower triangle), so that each is a contiguous axpy or dot.
 * The reduction is a chain of dependent steps, so the order is chosen for
 * latency: the reflector is applied unnormalized, H = I - beta v v^T, so that
 * A v waits for one square root, not for two and a division, and u = v
 * sqrt(beta) is formed off that chain. p: n scratch. */
static void tridiagonalize(size_t n, double *restrict s, double *restrict d, double *restrict e,
    double *restrict p) {
  e[0] = 0.0;
  for (size_t k = 0; k + 2 < n; k++) {
    double *restrict v = s + k * n; /* row k: x_k, then v_k, then u_k, at columns k+1 .. */
    const size_t b = k + 1, m = n - b;
    const double xx = dot(m, v + b, v + b);
    d[k] = v[k];
    if (xx == 0.0) { /* nothing beside the diagonal: H_k = I, u_k = 0 */
      e[b] = 0.0;
      continue;
    }
    const double x1 = v[b], alpha = -copysign(sqrt(xx), x1);
    v[b] = x1 - alpha; /* v = x - alpha e_1, |v|^2 = 2 (xx - alpha x1) */
    const double beta = 1.0 / (xx - alpha * x1);
    /* p = beta A v, as sums of the rows of the symmetric trailing block A */
    for (size_t j = b; j < n; j++) p[j] = 0.0;
    for (size_t i = b; i < n; i++) {
      const double vi = v[i];
      const double *restrict ai = s + i * n;
      for (size_t j = b; j < n; j++) p[j] += vi * ai[j];
    }
    for (size_t j = b; j < n; j++) p[j] *= beta;
    /* q = p - (beta / 2) (v^T p) v; A -= v q^T + q v^T */
    const double half = 0.5 * beta * dot(m, v + b, p + b);
    for (size_t j = b; j < n; j++) p[j] -= half * v[j];
    for (size_t i = b; i < n; i++) {
      const double vi = v[i], qi = p[i];
      double *restrict ai = s + i * n;
      for (size_t j = b; j < n; j++) ai[j] -= vi * p[j] + qi * v[j];
    }
    const double r = sqrt(beta);
    for (size_t j = b; j < n; j++) v[j] *= r;
    e[b] = alpha;
  }
  if (n >= 2) {
    d[n - 2] = s[(n - 2) * n + n - 2];
    e[n - 1] = s[(n - 1) * n + n - 2];
  }
  d[n - 1] = s[(n - 1) * n + n - 1];
}

/* g = sum 1 / (x - lambda_i), h = sum 1 / (x - lambda_i)^2 over T's eigenvalues:
 * P = det(T - x I) and its first two derivatives by the three-term recurrence of
 * the leading minors (multiplies only, so the loop is not a chain of divisions),
 * all three rescaled together by a power of two whenever P leaves [2^-256, 2^256]:
 * only their ratios are used. b[i] = e[i]^2. */
static void log_derivs(size_t n, const double *d, const double *b, double x, double *g, double *h) {
  const double big = 0x1p256, small = 0x1p-256;
  double p0 = 1.0, p1 = 0.0, p2 = 0.0;            /* minor i-1 and its derivatives */
  double q0 = d[0] - x, q1 = -1.0, q2 = 0.0;      /* minor i */
  for (size_t i = 1; i < n; i++) {
    const double a = d[i] - x;
    const double r0 = a * q0 - b[i] * p0;
    const double r1 = a * q1 - q0 - b[i] * p1;
    const double r2 = a * q2 - 2.0 * q1 - b[i] * p2;
    p0 = q0, p1 = q1, p2 = q2;
    q0 = r0, q1 = r1, q2 = r2;
    const double m = fabs(q0) > fabs(p0) ? fabs(q0) : fabs(p0);
    if (m > big || (m < small && m > 0.0)) {
      const double f = m > big ? small : big;
      p0 *= f, p1 *= f, p2 *= f, q0 *= f, q1 *= f, q2 *= f;
    }
  }
  /* d/dx log|P| = P'/P = sum 1 / (x - lambda_i); -(log|P|)'' = (P'/P)^2 - P''/P */
  const double gl = q1 / q0;
  *g = gl;
  *h = gl * gl - q2 / q0;
}

/* Laguerre's step from x toward the nearest eigenvalue on the side it starts. */
static double laguerre_step(size_t n, double g, double h) {
  const double nn = (double)n, disc = (nn - 1.0) * (nn * h - g * g);
  const double den = g + copysign(sqrt(disc > 0.0 ? disc : 0.0), g);
  return den == 0.0 ? 0.0 : nn / den;
}

/* The eigenvalue of T of largest |lambda|: Laguerre chains from x above and y
 * below all eigenvalues, side by side (two independent chains overlap), each
 * until a step no longer moves inward or moves by a few ulps (rounding: at a
 * simple root the error is then far below the last bits; at a multiple one,
 * where the convergence is linear, a few ulps too). A chain stops early once
 * the bounds tell it cannot hold the answer: x >= lambda_max >= max d and
 * y <= lambda_min <= min d, so -min d >= x puts |lambda_min| on top (and
 * max d >= -y, |lambda_max|). For S = G - I of a near-orthogonal W that is
 * usually decided within a step or two. */
static double dominant_eigenvalue(size_t n, const double *d, const double *b, double x, double y) {
  double dmax = d[0], dmin = d[0];
  for (size_t i = 1; i < n; i++) dmax = fmax(dmax, d[i]), dmin = fmin(dmin, d[i]);
  int up = 1, down = 1, side = 0; /* side: +1 lambda_max, -1 lambda_min, 0 not known yet */
  for (int it = 0; it < EIG_ITERS && (up || down); it++) {
    if (!side && -dmin >= x) side = -1, up = 0;
    if (!side && dmax >= -y) side = 1, down = 0;
    if (!up && !down) break;
    double gx, hx, gy, hy;
    if (up) log_derivs(n, d, b, x, &gx, &hx);
    if (down) log_derivs(n, d, b, y, &gy, &hy);
    if (up) {
      const double xn = x - laguerre_step(n, gx, hx);
      up = xn < x && x - xn > 4.0 * DBL_EPSILON * (1.0 + fabs(xn));
      if (xn < x) x = xn;
    }
    if (down) {
      const double yn = y - laguerre_step(n, gy, hy);
      down = yn > y && yn - y > 4.0 * DBL_EPSILON * (1.0 + fabs(yn));
      if (yn > y) y = yn;
    }
  }
  if (side) return side > 0 ? x : y;
  return fabs(x) >= fabs(y) ? x : y;
}

/* LU of T - lambda I with partial pivoting (rows i, i+1 exchanged where flag[i]
 * is set; U gains a second superdiagonal then), its pivots stored inverted. A
 * zero pivot (T - lambda I is singular to working precision, as it should be)
 * becomes tiny. lu: 4n doubles, flag: n doubles. */
static void shifted_lu(size_t n, const double *d, const double *e, double lambda, double tiny,
    double *lu, double *flag) {
  double *dg = lu, *up = lu + n, *up2 = lu + 2 * n, *lo = lu + 3 * n;
  for (size_t i = 0; i < n; i++) {
    dg[i] = d[i] - lambda;
    up[i] = lo[i] = i + 1 < n ? e[i + 1] : 0.0;
    up2[i] = flag[i] = 0.0;
  }
  for (size_t i = 0; i + 1 < n; i++) {
    if (fabs(dg[i]) >= fabs(lo[i])) {
      const double f = dg[i] != 0.0 ? lo[i] / dg[i] : 0.0;
      lo[i] = f;
      dg[i + 1] -= f * up[i];
    } else { /* row i + 1 is the pivot row */
      const double f = dg[i] / lo[i], t = up[i];
      flag[i] = 1.0;
      dg[i] = lo[i];
      lo[i] = f;
      up[i] = dg[i + 1];
      dg[i + 1] = t - f * dg[i + 1];
      if (i + 2 < n) {
        up2[i] = up[i + 1];
        up[i + 1] = -f * up[i + 1];
      }
    }
  }
  for (size_t i = 0; i < n; i++) dg[i] = 1.0 / (dg[i] == 0.0 ? tiny : dg[i]);
}

/* y <- (T - lambda I)^{-1} y from shifted_lu's factors. */
static void shifted_solve(size_t n, const double *lu, const double *flag, double *y) {
  const double *rdg = lu, *up = lu + n, *up2 = lu + 2 * n, *lo = lu + 3 * n;
  for (size_t i = 0; i + 1 < n; i++) {
    if (flag[i] != 0.0) {
      const double t = y[i];
      y[i] = y[i + 1];
      y[i + 1] = t - lo[i] * y[i];
    } else {
      y[i + 1] -= lo[i] * y[i];
    }
  }
  for (size_t i = n; i-- > 0;) {
    double v = y[i];
    if (i + 1 < n) v -= up[i] * y[i + 1];
    if (i + 2 < n) v -= up2[i] * y[i + 2];
    y[i] = v * rdg[i];
  }
}

static double normalize(size_t n, double *y) {
  const double nrm = sqrt(dot(n, y, y));
  if (nrm > 0.0 && isfinite(nrm)) {
    const double r = 1.0 / nrm;
    for (size_t i = 0; i < n; i++) y[i] *= r;
  }
  return nrm;
}

double orthoconv_priv_top_eigen(size_t n, double *s, double *v, double *work) {
  double m = 0.0;
  for (size_t i = 0; i < n * n; i++) {
    if (isnan(s[i])) m = NAN;
    else if (m == m && fabs(s[i]) > m) m = fabs(s[i]);
  }
  for (size_t i = 0; i < n; i++) v[i] = i == 0;
  if (m != m) { /* NaN in, NaN out (the caller fills the gradient with it) */
    for (size_t i = 0; i < n; i++) v[i] = NAN;
    return NAN;
  }
  if (m == 0.0) return 0.0;
  /* Scaled by a power of two (exactly) to entries below 1: T's eigenvalues lie
   * in [-n, n]. */
  int ex;
  (void)frexp(m, &ex);
  const double f = ex > -1000 && ex < 1000 ? ldexp(1.0, -ex) : 0.0;
  for (size_t i = 0; i < n * n; i++) s[i] = f != 0.0 ? s[i] * f : ldexp(s[i], -ex);
  double *d = work, *e = work + n, *b = work + 2 * n, *scratch = work + 3 * n;
  tridiagonalize(n, s, d, e, scratch);
  double lo = d[0], hi = d[0];
  for (size_t i = 0; i < n; i++) {
    const double r = fabs(e[i]) + (i + 1 < n ? fabs(e[i + 1]) : 0.0);
    lo = fmin(lo, d[i] - r), hi = fmax(hi, d[i] + r);
    b[i] = e[i] * e[i];
  }
  /* tiny stands in for a zero pivot: far below any entry of T (of order 1 now) */
  const double tiny = DBL_EPSILON * DBL_EPSILON, margin = 1e-3 * (hi - lo) + DBL_EPSILON;
  const double lambda = dominant_eigenvalue(n, d, b, hi + margin, lo - margin);
  /* Inverse iteration from an uneven start (no structured T is orthogonal to it). */
  for (size_t i = 0; i < n; i++) v[i] = 1.0 + (double)(i % 7) / 8.0;
  shifted_lu(n, d, e, lambda, tiny, scratch, b); /* b (e^2) is not needed any more */
  for (int step = 0; step < 2; step++) {
    shifted_solve(n, scratch, b, v);
    normalize(n, v);
  }
  /* v <- H_0 (H_1 (... H_{n-3} v)), u_k in row k of s */
  for (size_t k = n >= 3 ? n - 2 : 0; k-- > 0;) {
    const double *u = s + k * n;
    const double uv = dot(n - k - 1, u + k + 1, v + k + 1);
    for (size_t i = k + 1; i < n; i++) v[i] -= uv * u[i];
  }
  normalize(n, v);
  return ldexp(lambda, ex);
}
