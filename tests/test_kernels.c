/* Every variant of the kernel lists for one ISA (argv[1]), called directly through
 * the registry, over the shape grid, against the double oracle: padded strides,
 * unaligned pointers, canaries around every output, inputs left untouched, frozen
 * columns untouched, each variant's tunables at default/min/max, same bits twice.
 * Exits 77 (skipped) when this CPU or build cannot run the ISA. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/grid.h"
#include "common/oracle.h"
#include "common/testutil.h"
#include "fwd/driver.h"
#include "fwd/pack.h"
#include "gram/rank1.h"
#include "registry.h"
#include "select.h"

static const orthoconv_ukernel *cur;
static int tun[ORTHOCONV_MAX_TUNABLES];

/* Tunables: default, all-min or all-max, rotating with the shape index. */
static void pick_tunables(const orthoconv_ukernel *k, unsigned which) {
  for (unsigned i = 0; i < ORTHOCONV_MAX_TUNABLES; i++) {
    tun[i] = 0;
    if (i >= k->ntunables) continue;
    const orthoconv_tunable_spec *s = &k->tunables[i];
    tun[i] = which == 0 ? s->def : which == 1 ? s->min : s->min + (s->max - s->min) / s->step * s->step;
  }
}

static void check_canaries(const tmat *m, const char *what, const grid_shape *g) {
  const size_t b = tmat_canaries_broken(m);
  CHECK(b == 0, "%s: %zu canaries around %s broken at M=%zu K=%zu N=%zu", cur->name, b, what, g->M, g->K, g->N);
}

/* Saved copy of an input's elements, to prove the kernel did not write them. */
static float *snapshot(const tmat *m) {
  float *s = malloc((m->rows * m->cols + 1) * sizeof *s);
  for (size_t r = 0; r < m->rows; r++) memcpy(s + r * m->cols, m->p + r * m->ld, m->cols * sizeof *s);
  return s;
}
static void check_unchanged(const tmat *m, float *snap, const char *what, const grid_shape *g) {
  int same = 1;
  for (size_t r = 0; r < m->rows && same; r++) same = !memcmp(snap + r * m->cols, m->p + r * m->ld, m->cols * sizeof *snap);
  CHECK(same, "%s wrote its input %s at M=%zu K=%zu N=%zu", cur->name, what, g->M, g->K, g->N);
  check_canaries(m, what, g);
  free(snap);
}

static void test_forward(const grid_shape *g, unsigned idx) {
  const size_t M = g->M, K = g->K, N = g->N;
  const orthoconv_activation act = (orthoconv_activation)(idx % 6);
  tmat x = tmat_new(M, K, g->ldx, g->off), w = tmat_new(K, N, N, g->off);
  tmat bias = tmat_new(1, N, N, g->off);
  tmat_fill_random(&x, 1.0f);
  tmat_fill_random(&w, 1.0f);
  tmat_fill_random(&bias, 1.0f);
  const float *bp = idx % 2 ? NULL : bias.p;
  /* K16 and panel variants: on W packed as a layer packs it (odd shapes), and on W
   * as given, packed by the driver block by block (even shapes). */
  tmat packed = { 0 };
  orthoconv_priv_fwd_w wv = { .kn = w.p };
  if (cur->wlayout == ORTHOCONV_W_K16 && idx % 2) {
    wv.npad = (N + cur->nr - 1) / cur->nr * cur->nr;
    const size_t n = orthoconv_priv_pack_k16_floats(K, wv.npad);
    packed = tmat_new(1, n, n, g->off);
    orthoconv_priv_pack_k16(K, N, wv.npad, w.p, packed.p);
    wv.k16 = packed.p;
  } else if (cur->wlayout == ORTHOCONV_W_PANEL && idx % 2) {
    const size_t n = orthoconv_priv_pack_panel_floats(K, N, cur->nr);
    packed = tmat_new(1, n, n, g->off);
    orthoconv_priv_pack_panel(K, N, cur->nr, w.p, packed.p);
    wv.panel = packed.p;
    wv.panel_nr = cur->nr;
  }
  tmat y = tmat_new(M, N, g->ldy, g->off);
  tmat_fill_pattern(&y);
  float *xs = snapshot(&x), *ws = snapshot(&w), *ps = packed.base ? snapshot(&packed) : NULL;
  orthoconv_priv_fwd_drive(cur, tun, M, K, N, x.p, x.ld, &wv, bp, act, y.p, y.ld);

  double *pre = malloc((M * N + 1) * sizeof *pre), *bnd = malloc((M * N + 1) * sizeof *bnd);
  oracle_forward_pre(M, K, N, x.p, x.ld, w.p, bp, pre, bnd);
  for (size_t m = 0; m < M; m++) {
    double row_bound = 0;
    for (size_t n = 0; n < N; n++) row_bound = fmax(row_bound, bnd[m * N + n]);
    oracle_activation(pre + m * N, N, act);
    for (size_t n = 0; n < N; n++) {
      const double want = pre[m * N + n], got = y.p[m * y.ld + n];
      const double tol = oracle_post_tolerance(act, want, bnd[m * N + n], row_bound);
      CHECK(fabs(got - want) <= tol, "%s act %d M=%zu K=%zu N=%zu y[%zu][%zu] = %.9g, want %.9g (tol %.3g)",
            cur->name, (int)act, M, K, N, m, n, got, want, tol);
    }
  }
  check_canaries(&y, "y", g);
  check_unchanged(&x, xs, "x", g);
  check_unchanged(&w, ws, "w", g);
  if (ps) check_unchanged(&packed, ps, "packed w", g);
  if (idx % 4 == 0) { /* same bits again */
    tmat y2 = tmat_new(M, N, g->ldy, g->off);
    orthoconv_priv_fwd_drive(cur, tun, M, K, N, x.p, x.ld, &wv, bp, act, y2.p, y2.ld);
    CHECK(tmat_same_bits(&y, &y2), "%s: two runs differ at M=%zu K=%zu N=%zu", cur->name, M, K, N);
    tmat_free(&y2);
  }
  free(pre);
  free(bnd);
  tmat_free(&x), tmat_free(&w), tmat_free(&bias), tmat_free(&y);
  if (packed.base) tmat_free(&packed);
}

static void test_backward_data(const grid_shape *g) {
  const size_t M = g->M, K = g->K, N = g->N;
  tmat dy = tmat_new(M, N, g->ldy, g->off), w = tmat_new(K, N, N, g->off), dx = tmat_new(M, K, g->ldx, g->off);
  tmat_fill_random(&dy, 1.0f);
  tmat_fill_random(&w, 1.0f);
  tmat_fill_pattern(&dx);
  float *dys = snapshot(&dy), *ws = snapshot(&w);
  cur->fn.bwd_data(M, K, N, dy.p, dy.ld, w.p, dx.p, dx.ld, tun);
  double *want = malloc((M * K + 1) * sizeof *want), *bnd = malloc((M * K + 1) * sizeof *bnd);
  oracle_backward_data(M, K, N, dy.p, dy.ld, w.p, want, bnd);
  for (size_t m = 0; m < M; m++)
    for (size_t k = 0; k < K; k++)
      CHECK(within_bound(dx.p[m * dx.ld + k], want[m * K + k], bnd[m * K + k]),
            "%s M=%zu K=%zu N=%zu dx[%zu][%zu] = %.9g, want %.9g", cur->name, M, K, N, m, k,
            dx.p[m * dx.ld + k], want[m * K + k]);
  check_canaries(&dx, "dx", g);
  check_unchanged(&dy, dys, "dy", g);
  check_unchanged(&w, ws, "w", g);
  free(want), free(bnd);
  tmat_free(&dy), tmat_free(&w), tmat_free(&dx);
}

/* Frozen-filter patterns: none given, alternate, first only trains, all frozen;
 * idx 4 alone: the first N - 5 train (11 of 16: the 12-filter tile run at 11). */
static unsigned char *make_mask(size_t N, unsigned idx) {
  if (idx % 4 == 0 && idx != 4) return NULL;
  unsigned char *t = malloc(N);
  for (size_t n = 0; n < N; n++)
    t[n] = idx == 4 ? n + 5 < N : idx % 4 == 1 ? (unsigned char)(n % 2) : idx % 4 == 2 ? n == 0 : 0;
  return t;
}
static int trains(const unsigned char *t, size_t n) { return !t || t[n]; }

static void test_backward_weights(const grid_shape *g, unsigned idx) {
  const size_t M = g->M, K = g->K, N = g->N;
  tmat x = tmat_new(M, K, g->ldx, g->off), dy = tmat_new(M, N, g->ldy, g->off);
  tmat dw = tmat_new(K, N, N, g->off), db = tmat_new(1, N, N, g->off);
  tmat_fill_random(&x, 1.0f);
  tmat_fill_random(&dy, 1.0f);
  tmat_fill_pattern(&dw);
  tmat_fill_pattern(&db);
  unsigned char *t = make_mask(N, idx);
  float *dbp = idx % 3 == 2 ? NULL : db.p;
  float *xs = snapshot(&x), *dys = snapshot(&dy);
  cur->fn.bwd_weights(M, K, N, x.p, x.ld, dy.p, dy.ld, t, dw.p, dbp, tun);
  double *want = malloc(K * N * sizeof *want), *bnd = malloc(K * N * sizeof *bnd);
  double *wb = malloc(N * sizeof *wb), *bb = malloc(N * sizeof *bb);
  oracle_backward_weights(M, K, N, x.p, x.ld, dy.p, dy.ld, want, bnd, wb, bb);
  for (size_t k = 0; k < K; k++)
    for (size_t n = 0; n < N; n++) {
      const double got = dw.p[k * N + n], exp = trains(t, n) ? want[k * N + n] : 0.0;
      CHECK(trains(t, n) ? within_bound(got, exp, bnd[k * N + n]) : got == 0.0,
            "%s M=%zu K=%zu N=%zu dw[%zu][%zu] = %.9g, want %.9g", cur->name, M, K, N, k, n, got, exp);
    }
  for (size_t n = 0; dbp && n < N; n++) {
    const double got = db.p[n], exp = trains(t, n) ? wb[n] : 0.0;
    CHECK(trains(t, n) ? within_bound(got, exp, bb[n]) : got == 0.0,
          "%s M=%zu K=%zu N=%zu dbias[%zu] = %.9g, want %.9g", cur->name, M, K, N, n, got, exp);
  }
  check_canaries(&dw, "dw", g);
  check_canaries(&db, "dbias", g);
  check_unchanged(&x, xs, "x", g);
  check_unchanged(&dy, dys, "dy", g);
  free(want), free(bnd), free(wb), free(bb), free(t);
  tmat_free(&x), tmat_free(&dy), tmat_free(&dw), tmat_free(&db);
}

static double *to_double(const tmat *m) {
  double *d = malloc((m->rows * m->cols + 1) * sizeof *d);
  for (size_t r = 0; r < m->rows; r++)
    for (size_t c = 0; c < m->cols; c++) d[r * m->cols + c] = m->p[r * m->ld + c];
  return d;
}

static void test_gram(const grid_shape *g) {
  const size_t K = g->K, N = g->N;
  tmat w = tmat_new(K, N, N, g->off), gm = tmat_new(N, N, N, g->off);
  tmat_fill_random(&w, 1.0f);
  tmat_fill_pattern(&gm);
  float *ws = snapshot(&w);
  cur->fn.gram(K, N, w.p, gm.p, tun);
  double *wd = to_double(&w), *want = malloc(N * N * sizeof *want), *bnd = malloc(N * N * sizeof *bnd);
  oracle_gram(K, N, wd, want, bnd);
  for (size_t i = 0; i < N * N; i++)
    CHECK(within_bound(gm.p[i], want[i], bnd[i]), "%s K=%zu N=%zu g[%zu] = %.9g, want %.9g",
          cur->name, K, N, i, gm.p[i], want[i]);
  check_canaries(&gm, "g", g);
  check_unchanged(&w, ws, "w", g);
  free(wd), free(want), free(bnd);
  tmat_free(&w), tmat_free(&gm);
}

/* inf_row < K: W[inf_row][0] = +inf and grad[inf_row][N - 1] = NaN, and that
 * row of grad is not checked: a row's result depends on its own rows of W and
 * grad only, whatever a kernel computes in lanes past a row. */
static void test_reg_grad(const grid_shape *g, unsigned idx, size_t inf_row) {
  const size_t K = g->K, N = g->N;
  tmat w = tmat_new(K, N, N, g->off), a = tmat_new(N, N, N, g->off), gr = tmat_new(K, N, N, g->off);
  tmat_fill_random(&w, 1.0f);
  tmat_fill_random(&a, 1.0f);
  tmat_fill_random(&gr, 1.0f);
  if (inf_row < K) w.p[inf_row * N] = INFINITY, gr.p[inf_row * N + N - 1] = NAN;
  unsigned char *t = make_mask(N, idx);
  float *g0 = snapshot(&gr), *ws = snapshot(&w), *as = snapshot(&a);
  cur->fn.reg_grad(K, N, w.p, a.p, t, gr.p, tun);
  for (size_t k = 0; k < K; k++)
    for (size_t n = 0; n < N && k != inf_row; n++) {
      const size_t i = k * N + n;
      if (!trains(t, n)) {
        CHECK(memcmp(&gr.p[i], &g0[i], 4) == 0, "%s wrote frozen column %zu", cur->name, n);
        continue;
      }
      double s = g0[i], b = fabs(g0[i]);
      for (size_t j = 0; j < N; j++) {
        s += (double)w.p[k * N + j] * a.p[j * N + n];
        b += fabs((double)w.p[k * N + j] * a.p[j * N + n]);
      }
      CHECK(within_bound(gr.p[i], s, b), "%s K=%zu N=%zu grad[%zu][%zu] = %.9g, want %.9g",
            cur->name, K, N, k, n, gr.p[i], s);
    }
  check_canaries(&gr, "grad", g);
  check_unchanged(&w, ws, "w", g);
  check_unchanged(&a, as, "a", g);
  free(g0), free(t);
  tmat_free(&w), tmat_free(&a), tmat_free(&gr);
}

/* One optimizer step against the same step in double; frozen state bit-identical. */
static void test_optim(const grid_shape *g, unsigned idx) {
  const size_t K = g->K, N = g->N, n_el = K * N;
  tmat w = tmat_new(K, N, N, g->off), gr = tmat_new(K, N, N, g->off);
  tmat s1 = tmat_new(K, N, N, g->off), s2 = tmat_new(K, N, N, g->off);
  tmat_fill_random(&w, 1.0f);
  tmat_fill_random(&gr, 1.0f);
  tmat_fill_random(&s1, 0.5f);
  tmat_fill_random(&s2, 1.0f);
  for (size_t i = 0; i < n_el; i++) s2.p[i] = s2.p[i] * s2.p[i]; /* Adam's v >= 0 */
  unsigned char *t = make_mask(N, idx);
  float *w0 = snapshot(&w), *s10 = snapshot(&s1), *s20 = snapshot(&s2), *gs = snapshot(&gr);
  const int adam = cur->op == ORTHOCONV_OP_ADAMW;
  const orthoconv_sgd sgd = { 0.1f, idx % 3 ? 0.9f : 0.0f, 0.01f, idx % 3 == 2 };
  const orthoconv_adamw aw = { 0.01f, 0.9f, 0.999f, 1e-8f, 0.05f };
  const float step = (float)(0.01 / (1 - pow(0.9, 3))), bc2s = (float)sqrt(1 - pow(0.999, 3));
  if (adam) cur->fn.adamw(&aw, step, bc2s, K, N, w.p, gr.p, s1.p, s2.p, t, tun);
  /* Without momentum the velocity is never used: a wild pointer must not even be
   * offset (UndefinedBehaviorSanitizer reports the wrap). */
  else cur->fn.sgd(&sgd, K, N, w.p, gr.p, sgd.momentum != 0.0f ? s1.p : (float *)(UINTPTR_MAX - 63), t, tun);
  for (size_t i = 0; i < n_el; i++) {
    const size_t n = i % N;
    if (!trains(t, n)) {
      CHECK(!memcmp(&w.p[i], &w0[i], 4) && !memcmp(&s1.p[i], &s10[i], 4) && !memcmp(&s2.p[i], &s20[i], 4),
            "%s changed frozen state at column %zu", cur->name, n);
      continue;
    }
    double ew, eb, s1w = s10[i], s2w = s20[i];
    const double gg = gs[i], w_ = w0[i];
    if (adam) {
      const double wd = w_ * (1 - (double)aw.lr * aw.weight_decay);
      s1w = aw.beta1 * (double)s10[i] + (1 - (double)aw.beta1) * gg;
      s2w = aw.beta2 * (double)s20[i] + (1 - (double)aw.beta2) * gg * gg;
      const double upd = (double)step * s1w / (sqrt(s2w) / bc2s + aw.eps);
      ew = wd - upd;
      eb = fabs(wd) + 4 * fabs(upd);
    } else {
      double gp = gg + (double)sgd.weight_decay * w_;
      if (sgd.momentum != 0.0f) {
        s1w = sgd.momentum * (double)s10[i] + gp;
        gp = sgd.nesterov ? gp + sgd.momentum * s1w : s1w;
      }
      ew = w_ - (double)sgd.lr * gp;
      eb = fabs(w_) + 2 * sgd.lr * (fabs(gg) + fabs(w_) + fabs(s10[i]) + fabs(s1w));
    }
    CHECK(within_bound(w.p[i], ew, eb), "%s K=%zu N=%zu w[%zu] = %.9g, want %.9g", cur->name, K, N, i, w.p[i], ew);
    if (adam || sgd.momentum != 0.0f)
      CHECK(within_bound(s1.p[i], s1w, fabs(s10[i]) + fabs(gg) + fabs(w_)), "%s s1[%zu] = %.9g, want %.9g",
            cur->name, i, s1.p[i], s1w);
    if (adam) CHECK(within_bound(s2.p[i], s2w, fabs(s20[i]) + gg * gg), "%s v[%zu]", cur->name, i);
  }
  check_unchanged(&gr, gs, "grad", g);
  check_canaries(&w, "w", g), check_canaries(&s1, "state 1", g), check_canaries(&s2, "state 2", g);
  free(w0), free(s10), free(s20), free(t);
  tmat_free(&w), tmat_free(&gr), tmat_free(&s1), tmat_free(&s2);
}

/* Shapes derived from a forward microkernel's own tile: m below, at and past mr,
 * n below, at and past nr (and past two tiles), k below, at and past the k block,
 * with the block set to its smallest value so that K crosses several blocks, and
 * the tunables at their defaults otherwise. */
static unsigned tile_grid(const orthoconv_ukernel *k) {
  const size_t mr = k->mr, nr = k->nr, ku = k->kunroll ? k->kunroll : 1;
  const size_t kb = k->ntunables ? (size_t)(k->tunables[0].min ? k->tunables[0].min : k->tunables[0].step) : 0;
  const size_t ms[] = { 1, mr > 1 ? mr - 1 : 1, mr, mr + 1, 2 * mr + 1 };
  const size_t ns[] = { 1, nr - 1 ? nr - 1 : 1, nr, nr + 1, 2 * nr + 1 };
  const size_t blk = kb ? kb : 16;
  const size_t ks[] = { ku, blk - 1, blk, blk + 1, 3 * blk + ku + 1 };
  unsigned count = 0, idx = 0;
  for (size_t a = 0; a < 5; a++)
    for (size_t b = 0; b < 5; b++)
      for (size_t c = 0; c < 5; c++, idx++) {
        const grid_shape g = { ms[a], ks[c] ? ks[c] : 1, ns[b], ks[c] + 3, ns[b] + 1, idx % 3 };
        if (!orthoconv_priv_ukernel_applies(k, g.K, g.N)) continue;
        pick_tunables(k, 0);
        if (kb) tun[0] = (int)kb;
        test_forward(&g, idx);
        count++;
      }
  return count;
}

/* Every row tail of the Gram and reg_grad tiles (rows in steps of 2, 4, 6 or 8
 * at N = 9 .. 16): K = 1 .. 26, dense and one float off alignment, with every
 * frozen-column pattern make_mask gives. */
static unsigned row_tail_grid(const orthoconv_ukernel *k) {
  if (k->op != ORTHOCONV_OP_GRAM && k->op != ORTHOCONV_OP_REG_GRAD) return 0;
  static const size_t ns[] = { 9, 10, 16 };
  unsigned count = 0;
  for (size_t K = 1; K <= 26; K++)
    for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++, count++) {
      const grid_shape g = { 0, K, ns[b], ns[b], ns[b], (K + b) % 2 };
      if (!orthoconv_priv_ukernel_applies(k, g.K, g.N)) continue;
      pick_tunables(k, count % 3);
      if (k->op == ORTHOCONV_OP_GRAM) test_gram(&g);
      else test_reg_grad(&g, count, SIZE_MAX);
    }
  /* An infinite W entry and a NaN in grad in each of the last rows in turn. */
  static const size_t nsi[] = { 8, 9, 10, 12, 16 };
  for (size_t K = 1; k->op == ORTHOCONV_OP_REG_GRAD && K <= 14; K++)
    for (size_t b = 0; b < sizeof nsi / sizeof nsi[0]; b++)
      for (size_t back = 1; back <= 5 && back <= K; back++, count++) {
        const grid_shape g = { 0, K, nsi[b], nsi[b], nsi[b], (K + b) % 2 };
        if (!orthoconv_priv_ukernel_applies(k, g.K, g.N)) continue;
        pick_tunables(k, count % 3);
        test_reg_grad(&g, (unsigned)back, K - back); /* back 4: every filter trains */
      }
  return count;
}

/* Backward weights past one block of rows (M > mb: the AVX-512 variant then
 * walks rows outermost, its totals in dw, the columns past its last whole tile
 * by k blocks), every frozen pattern, K not a whole number of tiles; and a
 * trainable filter's column bit for bit the same whichever others are frozen. */
static unsigned walk_grid(const orthoconv_ukernel *k) {
  if (k->op != ORTHOCONV_OP_BACKWARD_WEIGHTS) return 0;
  static const size_t ms[] = { 65, 131 }, ks[] = { 47, 100, 513 }, ns[] = { 3, 7, 10, 12, 13, 16 };
  unsigned count = 0;
  for (size_t a = 0; a < 2; a++)
    for (size_t b = 0; b < 3; b++)
      for (size_t c = 0; c < 6; c++)
        for (unsigned idx = 0; idx < 5; idx++, count++) {
          const grid_shape g = { ms[a], ks[b], ns[c], ks[b] + (idx & 1), ns[c], idx & 1 };
          if (!orthoconv_priv_ukernel_applies(k, g.K, g.N)) continue;
          pick_tunables(k, 0);
          test_backward_weights(&g, idx);
        }
  for (size_t c = 0; c < 6; c++, count++) {
    const size_t M = 131, K = 513, N = ns[c];
    if (!orthoconv_priv_ukernel_applies(k, K, N)) continue;
    pick_tunables(k, 0);
    tmat x = tmat_new(M, K, K, 0), dy = tmat_new(M, N, N, 0);
    tmat_fill_random(&x, 1.0f);
    tmat_fill_random(&dy, 1.0f);
    float *all = malloc(K * N * sizeof *all), *some = malloc(K * N * sizeof *some);
    float dball[16], dbsome[16]; /* dbias too: its columns run as one row or by index */
    unsigned char *t = make_mask(N, 1);
    cur->fn.bwd_weights(M, K, N, x.p, x.ld, dy.p, dy.ld, NULL, all, dball, tun);
    cur->fn.bwd_weights(M, K, N, x.p, x.ld, dy.p, dy.ld, t, some, dbsome, tun);
    size_t differ = 0;
    for (size_t i = 0; i < K * N; i++) differ += t[i % N] && memcmp(&all[i], &some[i], sizeof *all) != 0;
    for (size_t n = 0; n < N; n++) differ += t[n] && memcmp(&dball[n], &dbsome[n], sizeof *dball) != 0;
    CHECK(differ == 0, "%s M=%zu K=%zu N=%zu: %zu trainable dw or dbias entries change when others freeze", cur->name,
          M, K, N, differ);
    free(all), free(some), free(t);
    tmat_free(&x), tmat_free(&dy);
  }
  return count;
}

static void run_variant(const orthoconv_ukernel *k) {
  cur = k;
  const int has_m = k->op == ORTHOCONV_OP_FORWARD || k->op == ORTHOCONV_OP_BACKWARD_DATA ||
                    k->op == ORTHOCONV_OP_BACKWARD_WEIGHTS;
  grid_iter it;
  grid_shape g;
  unsigned idx = 0, outside = 0;
  const int before = test_failures;
  for (grid_begin(&it, has_m); grid_next(&it, &g); idx++) {
    if (has_m && g.M == 0) continue; /* M == 0 never reaches a kernel */
    /* Dispatch never runs a variant outside its rule (tests/test_dispatch.c checks). */
    if (!orthoconv_priv_ukernel_applies(k, g.K, g.N)) {
      outside++;
      continue;
    }
    pick_tunables(k, idx % 3);
    switch (k->op) {
    case ORTHOCONV_OP_FORWARD: test_forward(&g, idx); break;
    case ORTHOCONV_OP_BACKWARD_DATA: test_backward_data(&g); break;
    case ORTHOCONV_OP_BACKWARD_WEIGHTS: test_backward_weights(&g, idx); break;
    case ORTHOCONV_OP_GRAM: test_gram(&g); break;
    case ORTHOCONV_OP_REG_GRAD: test_reg_grad(&g, idx, SIZE_MAX); break;
    case ORTHOCONV_OP_SGD:
    case ORTHOCONV_OP_ADAMW: test_optim(&g, idx); break;
    default: test_fail("%s: op %d has no test", k->name, (int)k->op);
    }
  }
  if (has_m) {
    /* One row with a stride no second row could have: valid, and any pointer to a
     * row past it overflows. SIZE_MAX is what clang's UBSan sees overflow for any
     * number of rows stepped; gcc's sees a byte offset of 2^63, which these give
     * after 1, 2, 4 or 8 rows. */
    static const size_t kn[][2] = { { 17, 1 }, { 1024, 10 }, { 100, 17 } };
    static const size_t huge[] = { SIZE_MAX, SIZE_MAX / 8 + 1, SIZE_MAX / 16 + 1, SIZE_MAX / 32 + 1, SIZE_MAX / 64 + 1 };
    for (size_t i = 0; i < sizeof kn / sizeof kn[0] * (sizeof huge / sizeof huge[0]); i++, idx++) {
      const size_t ld = huge[i % (sizeof huge / sizeof huge[0])], *s = kn[i / (sizeof huge / sizeof huge[0])];
      const grid_shape one = { 1, s[0], s[1], ld, ld, 1 };
      if (!orthoconv_priv_ukernel_applies(k, one.K, one.N)) continue;
      pick_tunables(k, idx % 3);
      if (k->op == ORTHOCONV_OP_FORWARD) test_forward(&one, idx);
      else if (k->op == ORTHOCONV_OP_BACKWARD_DATA) test_backward_data(&one);
      else test_backward_weights(&one, idx);
    }
  }
  const unsigned tiles = k->op == ORTHOCONV_OP_FORWARD ? tile_grid(k) : row_tail_grid(k) + walk_grid(k);
  printf("  %-58s %4u shapes (%u outside its rule) + %u tile shapes %s\n", k->name, idx - outside, outside, tiles,
         test_failures == before ? "ok" : "FAILED");
}

/* The rank-one W A helper of the ISA (kernels/gram/rank1.h: SRIP's gradient)
 * against double, with the reg_grad checks: frozen columns untouched, canaries,
 * inputs unchanged. */
static void test_rank1_shape(orthoconv_rank1_fn *fn, const char *name, const grid_shape *g, unsigned idx) {
  const size_t K = g->K, N = g->N;
  tmat w = tmat_new(K, N, N, g->off), v = tmat_new(1, N, N, g->off), cv = tmat_new(1, N, N, g->off);
  tmat gr = tmat_new(K, N, N, g->off);
  tmat_fill_random(&w, 1.0f);
  tmat_fill_random(&v, 1.0f);
  tmat_fill_random(&cv, 1.0f);
  tmat_fill_random(&gr, 1.0f);
  unsigned char *t = make_mask(N, idx);
  float *g0 = snapshot(&gr), *ws = snapshot(&w), *vs = snapshot(&v), *cs = snapshot(&cv);
  fn(K, N, w.p, v.p, cv.p, t, gr.p);
  for (size_t k = 0; k < K; k++) {
    double u = 0.0, ub = 0.0;
    for (size_t j = 0; j < N; j++) {
      u += (double)w.p[k * N + j] * v.p[j];
      ub += fabs((double)w.p[k * N + j] * v.p[j]);
    }
    for (size_t n = 0; n < N; n++) {
      const size_t i = k * N + n;
      if (!trains(t, n)) {
        CHECK(memcmp(&gr.p[i], &g0[i], 4) == 0, "%s wrote frozen column %zu", name, n);
        continue;
      }
      const double want = g0[i] + u * cv.p[n], b = fabs(g0[i]) + ub * fabs(cv.p[n]);
      CHECK(within_bound(gr.p[i], want, b), "%s K=%zu N=%zu grad[%zu][%zu] = %.9g, want %.9g", name, K, N,
            k, n, gr.p[i], want);
    }
  }
  check_canaries(&gr, "grad", g);
  check_unchanged(&w, ws, "w", g);
  check_unchanged(&v, vs, "v", g);
  check_unchanged(&cv, cs, "cv", g);
  free(g0), free(t);
  tmat_free(&w), tmat_free(&v), tmat_free(&cv), tmat_free(&gr);
}

/* Over the K x N grid and every row tail of its blocks (4, 8 or 16 rows). */
static void test_rank1(orthoconv_isa isa) {
  orthoconv_rank1_fn *fn = orthoconv_priv_rank1(isa);
  const char *name = orthoconv_isa_name(isa);
  const int before = test_failures;
  grid_iter it;
  grid_shape g;
  unsigned idx = 0;
  for (grid_begin(&it, 0); grid_next(&it, &g); idx++) test_rank1_shape(fn, name, &g, idx);
  static const size_t ns[] = { 1, 9, 10, 17 };
  for (size_t K = 1; K <= 33; K++)
    for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++, idx++) {
      const grid_shape tail = { 0, K, ns[b], ns[b], ns[b], (K + b) % 2 };
      test_rank1_shape(fn, name, &tail, idx);
    }
  printf("  rank-one W A helper (%s)%*s %4u shapes %s\n", name, (int)(38 - strlen(name)), "", idx,
         test_failures == before ? "ok" : "FAILED");
}

int main(int argc, char **argv) {
  int code;
  const int isa = test_isa_arg(argc, argv, &code);
  if (isa < 0) return code;
  size_t n = 0;
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    if ((int)orthoconv_priv_ukernels[i].isa != isa) continue;
    /* The bf16 and int8 variants have their own suite (tests/lowprec/test_lp_kernels.c). */
    const orthoconv_op op = orthoconv_priv_ukernels[i].op;
    if (op == ORTHOCONV_OP_LAYER_FORWARD_BF16 || op == ORTHOCONV_OP_QLAYER_FORWARD) continue;
    run_variant(&orthoconv_priv_ukernels[i]);
    n++;
  }
  test_rank1((orthoconv_isa)isa);
  printf("ISA %s ran: %zu variants\n", argv[1], n);
  CHECK(n > 0, "no %s variants in this build", argv[1]);
  return test_finish("kernels");
}
