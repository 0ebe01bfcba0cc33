/* The bf16 and int8 public API, through dispatch: conversions (every bf16 value
 * round-trips, ties to even, NaN stays NaN), the quantizer, both layers against
 * the oracles (bf16 within the fp32 bound over the bf16 values; int8 bit for bit
 * against the formula, and every ISA bit-identical to the scalar reference), new
 * weights, strides and canaries, and the dispatch facts: the variant a layer
 * reports is the one that runs, and it needs no extension the CPU lacks. With
 * ORTHOCONV_EXPECT_EXTS (a space-separated list, possibly empty: set by
 * ./run.sh test under qemu) the detected extensions must be exactly those, and
 * where the CPU has a variant's extension, that variant runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/testutil.h"
#include "cpu.h"
#include "fwd_lp/driver.h"
#include "fwd_lp/pack.h"
#include "lputil.h"
#include "registry.h"
#include "select.h"

static uint32_t bits_of(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static float float_of(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* The bf16 nearest to f by comparing distances in double; ties to the even one. */
static uint16_t nearest_bf16(float f) {
  const uint32_t u = bits_of(f);
  const uint16_t lo = (uint16_t)(u >> 16), hi = (uint16_t)(lo + 1);
  const double dl = fabs((double)f - lp_bf16_to_f32(lo));
  /* hi may be infinity (the next bf16 past the largest finite): its distance is
   * that of the value 2^128, where IEEE rounding puts the boundary. */
  const double vh = (hi & 0x7fff) == 0x7f80 ? copysign(ldexp(1.0, 128), f) : lp_bf16_to_f32(hi);
  const double dh = fabs((double)f - vh);
  if (dl < dh) return lo;
  if (dh < dl) return hi;
  return (lo & 1) ? hi : lo;
}

static void conversions(void) {
  /* Every bf16 value, widened, comes back as itself; NaNs as quiet NaNs. */
  static float all[65536];
  static uint16_t back[65536];
  for (uint32_t b = 0; b < 65536; b++) all[b] = lp_bf16_to_f32((uint16_t)b);
  CHECK(orthoconv_f32_to_bf16(65536, all, back) == ORTHOCONV_OK, "f32_to_bf16");
  unsigned bad = 0;
  for (uint32_t b = 0; b < 65536; b++) {
    const int nan = (b & 0x7fffu) > 0x7f80u;
    bad += nan ? ((back[b] & 0x7fffu) <= 0x7f80u || (back[b] & 0x8000u) != (b & 0x8000u)) : back[b] != b;
  }
  CHECK(bad == 0, "%u bf16 values do not round-trip", bad);
  /* Ties, their neighbours and random bit patterns against the nearest value. */
  enum { NR = 200000 };
  static float f[NR];
  static uint16_t got[NR];
  for (size_t i = 0; i < NR; i++) {
    uint32_t u = (uint32_t)test_rand_u64();
    if (i % 4 == 0) u = (u & 0xffff0000u) | 0x8000u;           /* an exact tie */
    else if (i % 4 == 1) u = (u & 0xffff0000u) | (0x8000u + (i % 8 == 1 ? 1u : 0xffffffffu));
    if ((u & 0x7f800000u) == 0x7f800000u && i % 16) u &= 0xbfffffffu; /* mostly finite */
    f[i] = float_of(u);
  }
  f[0] = float_of(0x7f7fffffu);  /* the largest float rounds to infinity */
  f[4] = float_of(0x3f808000u);  /* 1 + 2^-8: a tie, to even (down) */
  f[8] = float_of(0x3f818000u);  /* 1 + 3 * 2^-8: a tie, to even (up) */
  f[12] = float_of(0x00008000u); /* a subnormal tie */
  CHECK(orthoconv_f32_to_bf16(NR, f, got) == ORTHOCONV_OK, "f32_to_bf16");
  bad = 0;
  for (size_t i = 0; i < NR; i++) {
    const uint32_t u = bits_of(f[i]);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
      bad += (got[i] & 0x7fffu) <= 0x7f80u; /* NaN stays NaN */
      continue;
    }
    const uint16_t want = (u & 0x7fffffffu) == 0x7f800000u ? (uint16_t)(u >> 16) : nearest_bf16(f[i]);
    if (got[i] != want && !bad++) test_fail("bf16 of %a (0x%08x) = 0x%04x, want 0x%04x", f[i], u, got[i], want);
  }
  CHECK(bad == 0, "%u conversions wrong", bad);
  CHECK(got[0] == 0x7f80u && got[4] == 0x3f80u && got[8] == 0x3f82u && got[12] == 0x0000u, "named ties");
  /* A NaN whose payload sits only in the dropped bits must not become infinity. */
  const float nan_low = float_of(0x7f800001u);
  uint16_t h;
  CHECK(orthoconv_f32_to_bf16(1, &nan_low, &h) == ORTHOCONV_OK && (h & 0x7fffu) > 0x7f80u, "NaN 0x7f800001 -> 0x%04x", h);
  CHECK(orthoconv_f32_to_bf16(0, NULL, NULL) == ORTHOCONV_OK, "n = 0 is a no-op");
}

/* Round half to even of v (a float, exact in double), written without rint. */
static double rne(double v) {
  const double fl = floor(v), d = v - fl;
  if (d < 0.5) return fl;
  if (d > 0.5) return fl + 1;
  return fmod(fl, 2.0) == 0.0 ? fl : fl + 1;
}

static void quantizer(void) {
  enum { NQ = 4096 };
  static float x[NQ];
  static uint8_t q[NQ];
  static const float scales[] = { 0.5f, 0.013f, 1.0f / 255, 3.0f };
  static const int zps[] = { 0, 128, 255, 7 };
  for (int t = 0; t < 4; t++) {
    const float sc = scales[t];
    for (size_t i = 0; i < NQ; i++) {
      x[i] = 300.0f * sc * test_randf();
      if (i % 5 == 0) x[i] = sc * ((float)(int)(i % 601) - 300.0f + 0.5f); /* ties, where x / sc is exact */
    }
    x[1] = INFINITY, x[2] = -INFINITY, x[3] = -0.0f;
    CHECK(orthoconv_quantize_u8(NQ, x, sc, (uint8_t)zps[t], q) == ORTHOCONV_OK, "quantize");
    unsigned bad = 0;
    for (size_t i = 0; i < NQ; i++) {
      const float v = x[i] / sc;
      double r = isinf(v) ? v : rne(v) + zps[t];
      r = r < 0 ? 0 : r > 255 ? 255 : r;
      if (q[i] != (uint8_t)r && !bad++) test_fail("quantize(%a / %a + %d) = %u, want %g", x[i], sc, zps[t], q[i], r);
    }
    CHECK(bad == 0, "%u quantized values wrong (scale %g)", bad, sc);
  }
  const float half[] = { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f };
  uint8_t hq[6];
  CHECK(orthoconv_quantize_u8(6, half, 1.0f, 10, hq) == ORTHOCONV_OK, "quantize ties");
  CHECK(hq[0] == 10 && hq[1] == 12 && hq[2] == 12 && hq[3] == 10 && hq[4] == 8 && hq[5] == 8,
      "ties to even: %u %u %u %u %u %u", hq[0], hq[1], hq[2], hq[3], hq[4], hq[5]);
}

/* ---- layers ------------------------------------------------------------ */

static unsigned shapes_run;

static void bf16_case(size_t M, size_t K, size_t N, orthoconv_activation act, int with_bias) {
  tbuf x = tbuf_new(M, K, K + 3, 2, 1);
  tmat y = tmat_new(M, N, N + 2, 1);
  float *w = malloc(K * N * 4), *b = malloc(N * 4);
  uint16_t *wb = malloc(K * N * 2);
  for (size_t r = 0; r < M; r++)
    for (size_t k = 0; k < K; k++) ((uint16_t *)(void *)x.p)[r * x.ld + k] = lp_rand_bf16();
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
  for (size_t n = 0; n < N; n++) b[n] = test_randf();
  orthoconv_layer *l = NULL;
  for (int round = 0; round < 2; round++) {
    if (round == 0) {
      CHECK(orthoconv_layer_create_bf16(K, N, w, with_bias ? b : NULL, act, &l) == ORTHOCONV_OK && l, "create_bf16");
    } else { /* new weights in the same layer */
      for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
      CHECK(orthoconv_layer_set_weights(l, w, b) == ORTHOCONV_OK, "set_weights on a bf16 layer");
      with_bias = 1;
    }
    CHECK(orthoconv_f32_to_bf16(K * N, w, wb) == ORTHOCONV_OK, "convert w");
    tmat_fill_pattern(&y);
    CHECK(orthoconv_layer_forward_bf16(l, M, (const uint16_t *)(const void *)x.p, x.ld, y.p, y.ld) == ORTHOCONV_OK,
        "forward_bf16");
    double *pre = malloc(M * N * 8), *bnd = malloc(M * N * 8);
    lp_oracle_bf16(M, K, N, (const uint16_t *)(const void *)x.p, x.ld, wb, with_bias ? b : NULL, pre, bnd);
    char what[128];
    snprintf(what, sizeof what, "bf16 layer %zux%zux%zu (%s)", M, K, N, orthoconv_layer_kernel(l, M));
    for (size_t m = 0; m < M; m++)
      if (lp_check_row(what, m, y.p + m * y.ld, pre + m * N, bnd + m * N, N, act, 0)) break;
    CHECK(tmat_canaries_broken(&y) == 0, "%s: canaries", what);
    free(pre), free(bnd);
  }
  orthoconv_layer_destroy(l);
  free(w), free(b), free(wb);
  tbuf_free(&x), tmat_free(&y);
  shapes_run++;
}

/* The scalar reference's bits for the same call: every ISA must give them. */
static void q8_reference(size_t M, size_t K, size_t N, const tbuf *x, const int8_t *wq, const float *ws,
    const float *bias, orthoconv_activation act, float xs, int zp, float *yref) {
  const orthoconv_priv_choice c = orthoconv_priv_default_choice(ORTHOCONV_OP_QLAYER_FORWARD, M, K, N, ORTHOCONV_ISA_SCALAR);
  int32_t *cs = malloc(N * 4);
  float *zb = calloc(N, 4);
  for (size_t n = 0; n < N; n++) {
    int32_t s = 0;
    for (size_t k = 0; k < K; k++) s += wq[k * N + n];
    cs[n] = s;
  }
  const orthoconv_priv_lp_w wv = { wq, N };
  const orthoconv_priv_lp_epi e = { bias ? bias : zb, act, cs, ws, xs, zp };
  orthoconv_priv_lp_drive(c.k, c.t, M, K, N, x->p, x->ld, &wv, &e, yref, N);
  free(cs), free(zb);
}

static void q8_case(size_t M, size_t K, size_t N, orthoconv_activation act, int with_bias, int zp, int mode) {
  tbuf x = tbuf_new(M, K, K + 1, 1, 3);
  tmat y = tmat_new(M, N, N + 1, 2);
  int8_t *wq = malloc(K * N);
  float *ws = malloc(N * 4), *b = malloc(N * 4), *yref = malloc(M * N * 4);
  int32_t *acc = malloc(M * N * 4);
  lp_fill_u8(&x, mode);
  lp_fill_s8(wq, K * N, mode);
  for (size_t n = 0; n < N; n++) ws[n] = 0.004f * (1.25f + test_randf()), b[n] = test_randf();
  const float xs = 0.037f;
  orthoconv_qlayer *l = NULL;
  CHECK(orthoconv_qlayer_create(K, N, wq, ws, with_bias ? b : NULL, act, &l) == ORTHOCONV_OK && l, "qlayer_create");
  tmat_fill_pattern(&y);
  CHECK(orthoconv_qlayer_forward(l, M, x.p, x.ld, xs, (uint8_t)zp, y.p, y.ld) == ORTHOCONV_OK, "qlayer_forward");
  CHECK(lp_oracle_q8_acc(M, K, N, x.p, x.ld, zp, wq, acc), "test sums exceed int32");
  double *pre = malloc(M * N * 8), *bnd = malloc(M * N * 8);
  for (size_t i = 0; i < M * N; i++) {
    pre[i] = lp_q8_formula(acc[i], xs, ws[i % N], with_bias ? b[i % N] : 0.0f);
    bnd[i] = fabs(pre[i]);
  }
  char what[128];
  snprintf(what, sizeof what, "int8 layer %zux%zux%zu zp %d (%s)", M, K, N, zp, orthoconv_qlayer_kernel(l, M));
  for (size_t m = 0; m < M; m++)
    if (lp_check_row(what, m, y.p + m * y.ld, pre + m * N, bnd + m * N, N, act, 1)) break;
  CHECK(tmat_canaries_broken(&y) == 0, "%s: canaries", what);
  if (act == ORTHOCONV_ACT_NONE || act == ORTHOCONV_ACT_RELU) {
    q8_reference(M, K, N, &x, wq, ws, with_bias ? b : NULL, act, xs, zp, yref);
    size_t diff = 0;
    for (size_t m = 0; m < M; m++) diff += memcmp(yref + m * N, y.p + m * y.ld, N * 4) != 0;
    CHECK(diff == 0, "%s: %zu rows differ in bits from the scalar reference", what, diff);
  }
  orthoconv_qlayer_destroy(l);
  free(wq), free(ws), free(b), free(yref), free(acc), free(pre), free(bnd);
  tbuf_free(&x), tmat_free(&y);
  shapes_run++;
}

/* ---- dispatch ------------------------------------------------------------ */

static const orthoconv_ukernel *selected(orthoconv_op op, size_t M, size_t K, size_t N) {
  const char *name = orthoconv_selected_kernel(op, M, K, N);
  return name ? orthoconv_priv_ukernel_find(name) : NULL;
}

/* A layer's reported variant is dispatch's, runs (same bits as that variant
 * driven directly on W packed for it), and needs nothing the CPU lacks. */
static void runs_what_it_names(void) {
  /* Under qemu, 1025 rows for 3136: the same M class at a third of the work. */
  const size_t ms[] = { 1, 49, 784, test_emulated() ? 1025 : 3136 };
  const unsigned cpu_exts = orthoconv_priv_cpu_get()->exts;
  for (size_t a = 0; a < 4; a++) {
    const size_t M = ms[a], K = 1024, N = 10;
    tbuf xb = tbuf_new(M, K, K, 2, 0), xq = tbuf_new(M, K, K, 1, 0);
    float *w = malloc(K * N * 4), *ws = malloc(N * 4), *b = malloc(N * 4), *y1 = malloc(M * N * 4), *y2 = malloc(M * N * 4);
    uint16_t *wb = malloc(K * N * 2);
    int8_t *wq = malloc(K * N);
    for (size_t i = 0; i < M * K; i++) ((uint16_t *)(void *)xb.p)[i] = lp_rand_bf16();
    lp_fill_u8(&xq, 0);
    lp_fill_s8(wq, K * N, 0);
    for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
    for (size_t n = 0; n < N; n++) ws[n] = 0.01f, b[n] = test_randf();
    orthoconv_f32_to_bf16(K * N, w, wb);
    for (int q8 = 0; q8 < 2; q8++) {
      const orthoconv_op op = q8 ? ORTHOCONV_OP_QLAYER_FORWARD : ORTHOCONV_OP_LAYER_FORWARD_BF16;
      const orthoconv_ukernel *k = selected(op, M, K, N);
      orthoconv_layer *lb = NULL;
      orthoconv_qlayer *lq = NULL;
      const char *name;
      if (q8) {
        CHECK(orthoconv_qlayer_create(K, N, wq, ws, b, ORTHOCONV_ACT_RELU, &lq) == ORTHOCONV_OK, "qlayer_create");
        CHECK(orthoconv_qlayer_forward(lq, M, xq.p, K, 0.02f, 77, y1, N) == ORTHOCONV_OK, "qlayer_forward");
        name = orthoconv_qlayer_kernel(lq, M);
      } else {
        CHECK(orthoconv_layer_create_bf16(K, N, w, b, ORTHOCONV_ACT_RELU, &lb) == ORTHOCONV_OK, "create_bf16");
        CHECK(orthoconv_layer_forward_bf16(lb, M, (const uint16_t *)(const void *)xb.p, K, y1, N) == ORTHOCONV_OK, "fwd");
        name = orthoconv_layer_kernel(lb, M);
      }
      CHECK(k && name && !strcmp(name, k->name), "%s M=%zu: layer reports %s, dispatch selects %s",
          orthoconv_priv_op_name(op), M, name ? name : "-", k ? k->name : "-");
      if (k) {
        CHECK((k->exts & ~cpu_exts) == 0, "%s selected although the CPU lacks its extension", k->name);
        size_t np;
        const size_t cnt = orthoconv_priv_lp_pack_count(k, K, N, &np);
        void *p = malloc(cnt * orthoconv_priv_lp_wbytes(k));
        orthoconv_priv_lp_pack(k, K, N, q8 ? (const void *)wq : (const void *)wb, p);
        int32_t *cs = malloc(N * 4);
        for (size_t n = 0; n < N; n++) {
          cs[n] = 0;
          for (size_t kk = 0; kk < K; kk++) cs[n] += wq[kk * N + n];
        }
        const orthoconv_priv_lp_w wv = { p, np };
        const orthoconv_priv_lp_epi e = { b, ORTHOCONV_ACT_RELU, cs, ws, 0.02f, 77 };
        const orthoconv_priv_choice c = orthoconv_priv_select(op, M, K, N);
        orthoconv_priv_lp_drive(k, c.t, M, K, N, q8 ? (const void *)xq.p : (const void *)xb.p, K, &wv, &e, y2, N);
        CHECK(!memcmp(y1, y2, M * N * 4), "%s M=%zu did not run %s's code", orthoconv_priv_op_name(op), M, k->name);
        free(p), free(cs);
      }
      orthoconv_layer_destroy(lb);
      orthoconv_qlayer_destroy(lq);
    }
    free(w), free(ws), free(b), free(y1), free(y2), free(wb), free(wq);
    tbuf_free(&xb), tbuf_free(&xq);
  }
}

/* The detected extensions are those ORTHOCONV_EXPECT_EXTS names, and where the
 * CPU has an extension variant of the cap's ISA for an op, one of them runs. */
static void expected_extensions(void) {
  const unsigned have = orthoconv_priv_cpu_get()->exts;
  char list[256] = "";
  for (unsigned b = 1; b < (1u << ORTHOCONV_EXT_COUNT); b <<= 1)
    if (have & b) strcat(strcat(list, list[0] ? " " : ""), orthoconv_priv_ext_name(b));
  printf("CPU extensions: %s\n", list[0] ? list : "(none)");
  const char *want = getenv("ORTHOCONV_EXPECT_EXTS");
  if (want) CHECK(!strcmp(want, list), "expected extensions \"%s\", detected \"%s\"", want, list);
  for (int q8 = 0; q8 < 2; q8++) {
    const orthoconv_op op = q8 ? ORTHOCONV_OP_QLAYER_FORWARD : ORTHOCONV_OP_LAYER_FORWARD_BF16;
    const orthoconv_ukernel *k = selected(op, 3136, 1024, 10);
    int ext_variant = 0; /* an extension variant of the cap's ISA that this CPU runs here */
    for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
      const orthoconv_ukernel *v = &orthoconv_priv_ukernels[i];
      ext_variant |= v->op == op && v->exts && v->isa == orthoconv_get_isa() && orthoconv_priv_ukernel_applies(v, 1024, 10);
    }
    printf("%s at 3136x1024x10 runs %s\n", orthoconv_priv_op_name(op), k ? k->name : "(none)");
    CHECK(!ext_variant || (k && k->exts), "%s: the CPU has an extension variant, but %s runs", orthoconv_priv_op_name(op),
        k ? k->name : "-");
  }
}

int main(void) {
  conversions();
  quantizer();
  static const size_t shapes[][3] = { { 1, 1024, 10 }, { 49, 1024, 10 }, { 3137, 1024, 10 }, { 7, 17, 33 },
                                      { 2, 3, 1 }, { 50, 1025, 16 }, { 5, 100, 7 }, { 3, 64, 10 } };
  static const int zps[] = { 0, 128, 255 };
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int act = 0; act <= ORTHOCONV_ACT_SOFTMAX; act++) {
      /* The large shape with two activations (under qemu at 1025 rows: its M class, a
       * third of the work), the others on 64 rows. */
      const size_t big = test_emulated() ? 1025 : shapes[s][0];
      const size_t M = shapes[s][0] > 500 ? (act > 1 ? 64 : big) : shapes[s][0];
      bf16_case(M, shapes[s][1], shapes[s][2], (orthoconv_activation)act, act % 2);
      q8_case(M, shapes[s][1], shapes[s][2], (orthoconv_activation)act, act % 2, zps[(s + act) % 3], (int)((s + act) % 4));
    }
  runs_what_it_names();
  expected_extensions();
  printf("%u layer calls checked (ISA cap %s)\n", shapes_run, orthoconv_isa_name(orthoconv_get_isa()));
  return test_finish("lp_api");
}
