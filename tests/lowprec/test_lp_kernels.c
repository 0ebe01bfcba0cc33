/* Every bf16 and int8 variant of the kernel lists for one ISA (argv[1]), through
 * the low-precision driver on W packed as a layer packs it, over the shape grid
 * and shapes derived from each variant's tile, against the oracles: bf16 within
 * the fp32 bound over the bf16 values; int8 bit for bit against exact integers and
 * the header's formula (NONE and RELU; the other activations within their
 * tolerance), zero points 0, 128, 255, extreme q and w, K up to the layer's limit.
 * Canaries around y, inputs untouched, tunables at default/min/max, same bits
 * twice. A variant whose ISA extension this CPU lacks is listed as skipped; an ISA
 * this CPU or build cannot run exits 77. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/grid.h"
#include "common/testutil.h"
#include "cpu.h"
#include "fwd_lp/driver.h"
#include "fwd_lp/pack.h"
#include "lputil.h"
#include "registry.h"
#include "select.h"

static const orthoconv_ukernel *cur;
static int tun[ORTHOCONV_MAX_TUNABLES];

static void pick_tunables(const orthoconv_ukernel *k, unsigned which) {
  for (unsigned i = 0; i < ORTHOCONV_MAX_TUNABLES; i++) {
    tun[i] = 0;
    if (i >= k->ntunables) continue;
    const orthoconv_tunable_spec *s = &k->tunables[i];
    tun[i] = which == 0 ? s->def : which == 1 ? s->min : s->min + (s->max - s->min) / s->step * s->step;
  }
}

typedef struct lp_case {
  size_t M, K, N, ldx, ldy, off;
  orthoconv_activation act;
  int with_bias, zp, umode, smode;
  int twice; /* run again and compare bits */
} lp_case;

/* Runs the current variant on c, checks, and returns 1 if all was right. */
static int run_case(const lp_case *c) {
  const size_t M = c->M, K = c->K, N = c->N;
  const int q8 = cur->op == ORTHOCONV_OP_QLAYER_FORWARD;
  const size_t xb = q8 ? 1 : 2;
  const int before = test_failures;
  tbuf x = tbuf_new(M, K, c->ldx, xb, c->off);
  void *w = malloc(K * N * xb);
  float *bias = malloc(N * sizeof *bias), *w_scale = malloc(N * sizeof *w_scale);
  int32_t *colsum = malloc(N * sizeof *colsum);
  for (size_t n = 0; n < N; n++) bias[n] = c->with_bias ? test_randf() : 0.0f;
  if (q8) {
    lp_fill_u8(&x, c->umode);
    lp_fill_s8(w, K * N, c->smode);
    for (size_t n = 0; n < N; n++) {
      w_scale[n] = 1e-3f * (1.5f + test_randf());
      int64_t s = 0;
      for (size_t k = 0; k < K; k++) s += ((int8_t *)w)[k * N + n];
      colsum[n] = (int32_t)s;
    }
  } else {
    for (size_t r = 0; r < M; r++)
      for (size_t k = 0; k < K; k++) ((uint16_t *)(void *)x.p)[r * c->ldx + k] = lp_rand_bf16();
    for (size_t i = 0; i < K * N; i++) ((uint16_t *)w)[i] = lp_rand_bf16();
  }
  size_t npad;
  const size_t count = orthoconv_priv_lp_pack_count(cur, K, N, &npad);
  tbuf packed = tbuf_new(1, count, count, orthoconv_priv_lp_wbytes(cur), c->off);
  orthoconv_priv_lp_pack(cur, K, N, w, packed.p);
  const orthoconv_priv_lp_w wv = { packed.p, npad };
  const float x_scale = 0.02f;
  const orthoconv_priv_lp_epi e = { q8 || c->with_bias ? bias : NULL, c->act, colsum, w_scale, x_scale, c->zp };
  tmat y = tmat_new(M, N, c->ldy, c->off);
  tmat_fill_pattern(&y);
  unsigned char *xs = tbuf_snapshot(&x), *ps = tbuf_snapshot(&packed);
  orthoconv_priv_lp_drive(cur, tun, M, K, N, x.p, c->ldx, &wv, &e, y.p, y.ld);

  double *pre = malloc((M * N + 1) * sizeof *pre), *bnd = malloc((M * N + 1) * sizeof *bnd);
  char what[160];
  snprintf(what, sizeof what, "%s M=%zu K=%zu N=%zu zp=%d", cur->name, M, K, N, c->zp);
  if (q8) {
    int32_t *acc = malloc((M * N + 1) * sizeof *acc);
    CHECK(lp_oracle_q8_acc(M, K, N, x.p, c->ldx, c->zp, w, acc), "%s: the test's sums exceed int32", what);
    for (size_t i = 0; i < M * N; i++) {
      pre[i] = lp_q8_formula(acc[i], x_scale, w_scale[i % N], bias[i % N]);
      bnd[i] = fabs(pre[i]); /* pre is exact: the tolerance is the activation's own */
    }
    free(acc);
  } else {
    lp_oracle_bf16(M, K, N, (const uint16_t *)(const void *)x.p, c->ldx, w, e.bias, pre, bnd);
  }
  for (size_t m = 0; m < M; m++)
    if (lp_check_row(what, m, y.p + m * y.ld, pre + m * N, bnd + m * N, N, c->act, q8)) break;
  CHECK(tmat_canaries_broken(&y) == 0, "%s: canaries around y broken", what);
  CHECK(tbuf_unchanged(&x, xs) && tbuf_canaries_broken(&x) == 0, "%s wrote x", what);
  CHECK(tbuf_unchanged(&packed, ps), "%s wrote the packed W", what);
  if (c->twice) {
    tmat y2 = tmat_new(M, N, c->ldy, c->off);
    orthoconv_priv_lp_drive(cur, tun, M, K, N, x.p, c->ldx, &wv, &e, y2.p, y2.ld);
    CHECK(tmat_same_bits(&y, &y2), "%s: two runs differ", what);
    tmat_free(&y2);
  }
  free(pre), free(bnd), free(xs), free(ps), free(w), free(bias), free(w_scale), free(colsum);
  tbuf_free(&x), tbuf_free(&packed), tmat_free(&y);
  return test_failures == before;
}

static const int zps[] = { 0, 128, 255, 3 };

static unsigned grid_cases(void) {
  grid_iter it;
  grid_shape g;
  unsigned idx = 0, n = 0;
  for (grid_begin(&it, 1); grid_next(&it, &g); idx++) {
    if (g.M == 0 || !orthoconv_priv_ukernel_applies(cur, g.K, g.N)) continue;
    pick_tunables(cur, idx % 3);
    const lp_case c = { g.M, g.K, g.N, g.ldx, g.ldy, g.off, (orthoconv_activation)(idx % 6), (int)(idx % 2),
                        zps[idx % 4], (int)(idx / 4 % 4), (int)(idx / 16 % 4), idx % 4 == 0 };
    run_case(&c);
    n++;
  }
  return n;
}

/* m, n and k below, at and past the tile (k: the K unroll and the smallest k
 * block, so that K crosses several blocks and ends in every tail). */
static unsigned tile_cases(void) {
  const size_t mr = cur->mr, nr = cur->nr, ku = cur->kunroll ? cur->kunroll : 1;
  const size_t kb = cur->ntunables ? (size_t)(cur->tunables[0].min ? cur->tunables[0].min : cur->tunables[0].step) : 0;
  const size_t blk = kb ? kb : 16;
  const size_t ms[] = { 1, mr > 1 ? mr - 1 : 1, mr, mr + 1, 2 * mr + 1 };
  const size_t ns[] = { 1, nr > 1 ? nr - 1 : 1, nr, nr + 1, 2 * nr + 1 };
  const size_t ks[] = { ku, blk - 1 ? blk - 1 : 1, blk, blk + 1, 3 * blk + ku + 1, ku - 1 ? ku - 1 : 2 };
  unsigned n = 0, idx = 0;
  for (size_t a = 0; a < 5; a++)
    for (size_t b = 0; b < 5; b++)
      for (size_t c = 0; c < 6; c++, idx++) {
        if (!orthoconv_priv_ukernel_applies(cur, ks[c], ns[b])) continue;
        pick_tunables(cur, 0);
        if (kb) tun[0] = (int)kb;
        const lp_case lc = { ms[a], ks[c], ns[b], ks[c] + 3, ns[b] + 1, idx % 3, (orthoconv_activation)(idx % 6),
                             (int)(idx % 2), zps[idx % 4], (int)(idx % 4), (int)(idx / 4 % 4), idx % 4 == 0 };
        run_case(&lc);
        n++;
      }
  return n;
}

/* int8 at the layer's K limit with the extreme values: sums of magnitude
 * 255 * 128 * K, just inside int32, through several k blocks. */
static unsigned extreme_cases(void) {
  if (cur->op != ORTHOCONV_OP_QLAYER_FORWARD || !orthoconv_priv_ukernel_applies(cur, ORTHOCONV_QLAYER_MAX_K, 10))
    return 0;
  static const int modes[][3] = { { 2, 1, 0 }, { 1, 1, 255 }, { 2, 2, 0 }, { 1, 2, 255 }, { 3, 3, 128 } };
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    pick_tunables(cur, 0);
    const lp_case c = { 3, ORTHOCONV_QLAYER_MAX_K, 10, ORTHOCONV_QLAYER_MAX_K, 10, 0, ORTHOCONV_ACT_NONE, 1,
                        modes[i][2], modes[i][0], modes[i][1], 1 };
    run_case(&c);
  }
  return 5;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s scalar|avx2|avx512|neon\n", argv[0]);
    return 2;
  }
  int isa = -1;
  for (int i = 0; i < 4; i++)
    if (!strcmp(argv[1], orthoconv_isa_name((orthoconv_isa)i))) isa = i;
  if (isa < 0) return 2;
  if (!orthoconv_priv_isa_runnable((orthoconv_isa)isa)) {
    printf("ISA %s: not runnable on this CPU/build, skipped\n", argv[1]);
    return TEST_SKIP;
  }
  size_t ran = 0, skipped = 0;
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if ((int)k->isa != isa || (k->op != ORTHOCONV_OP_LAYER_FORWARD_BF16 && k->op != ORTHOCONV_OP_QLAYER_FORWARD))
      continue;
    cur = k;
    const unsigned missing = k->exts & ~orthoconv_priv_cpu_get()->exts;
    if (missing) {
      printf("  %-52s skipped: this CPU lacks %s\n", k->name, orthoconv_priv_ext_name(missing & -missing));
      skipped++;
      continue;
    }
    const int before = test_failures;
    const unsigned g = grid_cases(), t = tile_cases(), x = extreme_cases();
    printf("  %-52s %4u grid + %3u tile + %u extreme shapes %s\n", k->name, g, t, x,
        test_failures == before ? "ok" : "FAILED");
    ran++;
  }
  printf("ISA %s: %zu bf16/int8 variants ran, %zu skipped (extension missing)\n", argv[1], ran, skipped);
  CHECK(ran + skipped > 0 || isa == ORTHOCONV_ISA_AVX2 || isa == ORTHOCONV_ISA_NEON || isa == ORTHOCONV_ISA_AVX512,
      "no %s bf16/int8 variants in this build", argv[1]);
  return test_finish("lp_kernels");
}
