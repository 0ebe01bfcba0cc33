/* Dispatch: what this CPU runs and what gets selected.
 *   test_dispatch                 checks on the real CPU; with ORTHOCONV_EXPECT_ISA=x
 *                                 it also fails unless x is the best ISA and every op
 *                                 that has an x variant selects one (run under qemu
 *                                 -cpu Haswell / Nehalem by ./run.sh test)
 *   test_dispatch fake-scalar     pretends the CPU has no SIMD at all
 *   test_dispatch env-cap         expects ORTHOCONV_ISA (set by meson) to be honoured
 *   test_dispatch env-bad         expects a bad ORTHOCONV_ISA to be ignored and explained */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/testutil.h"
#include "cpu.h"
#include "registry.h"
#include "select.h"
#include "fwd/driver.h"
#include "fwd/pack.h"

static const orthoconv_ukernel *selected(orthoconv_op op, orthoconv_priv_shape sh) {
  const char *name = orthoconv_selected_kernel(op, sh.M, sh.K, sh.N);
  const orthoconv_ukernel *k = name ? orthoconv_priv_ukernel_find(name) : NULL;
  CHECK(k != NULL, "op %d: selected kernel %s is not in the registry", (int)op, name ? name : "(null)");
  return k;
}

/* Does op have a variant of isa that applies to K x N? */
static int op_has_variant(orthoconv_op op, orthoconv_isa isa, size_t K, size_t N) {
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (k->isa == isa && orthoconv_priv_ukernel_serves(k, op) && orthoconv_priv_ukernel_applies(k, K, N)) return 1;
  }
  return 0;
}

/* The shapes checked per class: its example, and the same class at other K and N
 * inside it (an N the narrow variants do not apply to, say). */
static int class_shapes(orthoconv_op op, unsigned c, orthoconv_priv_shape *out) {
  const orthoconv_priv_shape e = orthoconv_priv_class_example(op, c);
  static const size_t ks[] = { 1, 17, 64, 100, 256, 257, 1000, 1024, 2048 };
  static const size_t ns[] = { 1, 7, 10, 12, 13, 16, 32, 33, 64, 128, 1000 };
  int n = 0;
  out[n++] = e;
  for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
    for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++) {
      const orthoconv_priv_shape s = { e.M, ks[i], ns[j] };
      if (orthoconv_priv_class_of(op, s.M, s.K, s.N) == c) out[n++] = s;
    }
  return n;
}

static void print_selection(void) {
  printf("cpu: %s, best ISA %s, cap %s\n", orthoconv_priv_cpu_get()->brand, orthoconv_isa_name(orthoconv_cpu_isa()),
         orthoconv_isa_name(orthoconv_get_isa()));
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned c = 0; c < orthoconv_priv_class_count((orthoconv_op)op); c++) {
      const orthoconv_priv_shape sh = orthoconv_priv_class_example((orthoconv_op)op, c);
      printf("  %-17s %-18s %s\n", orthoconv_priv_op_name((orthoconv_op)op), orthoconv_priv_class_name((orthoconv_op)op, c),
             orthoconv_selected_kernel((orthoconv_op)op, sh.M, sh.K, sh.N));
    }
}

/* Under a cap of isa, every op, class and shape selects a variant of isa whenever
 * one applies to the shape (never the scalar reference then, never another SIMD
 * ISA), the variant applies to the shape, and orthoconv_selected_kernel agrees
 * with dispatch. A default line lost to a typo or a wrong ISA fails here. */
static void expect_all_selected(orthoconv_isa isa) {
  unsigned checked = 0;
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned c = 0; c < orthoconv_priv_class_count((orthoconv_op)op); c++) {
      orthoconv_priv_shape shapes[128];
      const int ns = class_shapes((orthoconv_op)op, c, shapes);
      for (int i = 0; i < ns; i++) {
        const orthoconv_priv_shape sh = shapes[i];
        const orthoconv_ukernel *k = selected((orthoconv_op)op, sh);
        if (!k) continue;
        checked++;
        const char *opn = orthoconv_priv_op_name((orthoconv_op)op);
        /* A lower ISA only when no variant of isa applies (one whose extension this CPU lacks). */
        CHECK(k->isa == isa || k->isa == ORTHOCONV_ISA_SCALAR || !op_has_variant((orthoconv_op)op, isa, sh.K, sh.N),
              "%s %zux%zux%zu: selected %s under %s", opn, sh.M, sh.K, sh.N, k->name, orthoconv_isa_name(isa));
        CHECK(orthoconv_priv_ukernel_applies(k, sh.K, sh.N), "%s %zux%zux%zu: selected %s outside its rule", opn, sh.M,
              sh.K, sh.N, k->name);
        CHECK(isa == ORTHOCONV_ISA_SCALAR || k->isa != ORTHOCONV_ISA_SCALAR || !op_has_variant((orthoconv_op)op, isa, sh.K, sh.N),
              "%s %zux%zux%zu (%s): falls to the scalar reference although an %s variant applies", opn, sh.M, sh.K, sh.N,
              orthoconv_priv_class_name((orthoconv_op)op, c), orthoconv_isa_name(isa));
      }
    }
  CHECK(checked > 100, "only %u selections checked", checked);
}

/* The forward calls run the variant dispatch names, and only its code: their bits
 * equal that variant's own run through the driver (variants never call each
 * other), and a layer reports and runs what dispatch picked when it was made.
 * Every class of M <= 1024 at its example K and N, and N = 7 (a tail). */
static void runs_what_it_names(void) {
  static const size_t ms[] = { 1, 49, 784 };
  static const size_t ks[] = { 128, 1024 };
  static const size_t ns[] = { 7, 10, 32, 128 };
  unsigned runs = 0;
  for (size_t a = 0; a < 3; a++)
    for (size_t b = 0; b < 2; b++)
      for (size_t c = 0; c < 4; c++) {
        const size_t M = ms[a], K = ks[b], N = ns[c];
        /* Under qemu (a slow emulated FMA) only the small shapes: every M class still
         * runs at some K and N, and the native run covers the rest (the whole grid
         * took 112-120 s under qemu Haswell on an Intel Xeon host, at the timeout). */
        if (test_emulated() && M * K * N > TEST_SMALL_MACS) continue;
        float *x = malloc(M * K * sizeof *x), *w = malloc(K * N * sizeof *w), *bias = malloc(N * sizeof *bias);
        float *y1 = malloc(M * N * sizeof *y1), *y2 = malloc(M * N * sizeof *y2);
        for (size_t i = 0; i < M * K; i++) x[i] = test_randf();
        for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
        for (size_t i = 0; i < N; i++) bias[i] = test_randf();
        const orthoconv_priv_fwd_w raw = { .kn = w };
        /* orthoconv_forward */
        orthoconv_priv_choice ch = orthoconv_priv_select(ORTHOCONV_OP_FORWARD, M, K, N);
        CHECK(orthoconv_forward(M, K, N, x, K, w, bias, ORTHOCONV_ACT_RELU, y1, N) == ORTHOCONV_OK, "forward");
        orthoconv_priv_fwd_drive(ch.k, ch.t, M, K, N, x, K, &raw, bias, ORTHOCONV_ACT_RELU, y2, N);
        CHECK(!memcmp(y1, y2, M * N * sizeof *y1), "forward %zux%zux%zu did not run %s's code", M, K, N, ch.k->name);
        /* a layer */
        orthoconv_layer *l = NULL;
        CHECK(orthoconv_layer_create(K, N, w, bias, ORTHOCONV_ACT_RELU, &l) == ORTHOCONV_OK, "layer_create");
        ch = orthoconv_priv_select(ORTHOCONV_OP_LAYER_FORWARD, M, K, N);
        const char *lk = orthoconv_layer_kernel(l, M);
        CHECK(lk && !strcmp(lk, ch.k->name), "layer %zux%zux%zu reports %s, dispatch picks %s", M, K, N, lk ? lk : "-", ch.k->name);
        CHECK(orthoconv_layer_forward(l, M, x, K, y1, N) == ORTHOCONV_OK, "layer_forward");
        /* W as the layer holds it: packed for a K16 or panel tile (its blocks may then
         * differ from the on-the-fly packing's, and so may the rounding). */
        orthoconv_priv_fwd_w lw = raw;
        float *packed = NULL;
        if (ch.k->wlayout == ORTHOCONV_W_K16) {
          lw.npad = (N + ch.k->nr - 1) / ch.k->nr * ch.k->nr;
          packed = malloc(orthoconv_priv_pack_k16_floats(K, lw.npad) * sizeof *packed);
          orthoconv_priv_pack_k16(K, N, lw.npad, w, packed);
          lw.k16 = packed;
        } else if (ch.k->wlayout == ORTHOCONV_W_PANEL && N > ch.k->nr) {
          packed = malloc(orthoconv_priv_pack_panel_floats(K, N, ch.k->nr) * sizeof *packed);
          orthoconv_priv_pack_panel(K, N, ch.k->nr, w, packed);
          lw.panel = packed;
          lw.panel_nr = ch.k->nr;
        }
        /* the tunables the driver would pick, filled in as the layer binds them (for
         * its class's M: one tile of rows runs K unblocked) */
        const unsigned cls = orthoconv_priv_class_of(ORTHOCONV_OP_LAYER_FORWARD, M, K, N);
        orthoconv_priv_fwd_resolve(ch.k, ch.t, orthoconv_priv_class_example(ORTHOCONV_OP_LAYER_FORWARD, cls).M, K);
        orthoconv_priv_fwd_drive(ch.k, ch.t, M, K, N, x, K, &lw, bias, ORTHOCONV_ACT_RELU, y2, N);
        free(packed);
        CHECK(!memcmp(y1, y2, M * N * sizeof *y1), "layer %zux%zux%zu did not run %s's code", M, K, N, ch.k->name);
        orthoconv_layer_destroy(l);
        free(x), free(w), free(bias), free(y1), free(y2);
        runs++;
      }
  printf("forward and layer_forward ran the variants dispatch names in %u shapes (cap %s)\n", runs,
         orthoconv_isa_name(orthoconv_get_isa()));
}

/* Every line of dispatch/defaults.inc names a variant of its own ISA and op. */
static void defaults_lines(void) {
  unsigned line = 0;
  const unsigned bad = orthoconv_priv_defaults_bad_lines(&line);
  CHECK(bad == 0, "%u lines of dispatch/defaults.inc name a variant of another ISA or op (first: entry %u)", bad, line);
}

typedef struct tile_case {
  size_t M, K, N;
  const char *want; /* a part of the selected variant's name */
} tile_case;

/* Each case's layer forward selects a variant whose name holds want. */
static void expect_tiles(const char *isa, const tile_case *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const orthoconv_priv_shape sh = { c[i].M, c[i].K, c[i].N };
    const orthoconv_ukernel *k = selected(ORTHOCONV_OP_LAYER_FORWARD, sh);
    CHECK(k && strstr(k->name, c[i].want), "%s layer %zux%zux%zu: %s, want the %s tile", isa, sh.M, sh.K, sh.N,
          k ? k->name : "(none)", c[i].want);
  }
}

/* The forward defaults split the N <= 32 classes by the lanes each tile fills
 * (dispatch/prefer.c): AVX-512 decisions measured on the Xeon and on Zen 4, and
 * the boundary at N = 10, where 16 ceil(K / 16) + the tree's cost (56 on Intel's
 * cores, 24 on AMD's) meets 1.6 K (K = 100 pads to 112); AVX2 by filter slots
 * against lanes, whatever K; NEON at N = 11 and 12 (on paper). */
static void forward_lane_preference(void) {
  if (orthoconv_priv_table_current()) return;
  static const tile_case neon[] = {
    { 3136, 256, 12, "laneq" }, { 49, 64, 11, "laneq" }, { 3136, 256, 10, "dot" }, { 1, 256, 12, "dot" },
  };
  if (orthoconv_get_isa() == ORTHOCONV_ISA_NEON) expect_tiles("NEON", neon, sizeof neon / sizeof neon[0]);
  if (orthoconv_get_isa() != ORTHOCONV_ISA_AVX512) return;
  static const tile_case avx512[] = {
    { 3136, 64, 12, "outer" }, { 3136, 256, 10, "dot" }, { 3136, 1024, 20, "dot" }, { 49, 256, 16, "outer" },
    { 49, 1024, 12, "outer" }, { 1, 100, 7, "dot" }, { 1, 1024, 20, "dot" }, { 784, 96, 10, "dot" },
    { 784, 32, 10, "outer" },
  };
  static const tile_case intel[] = {
    { 3136, 100, 7, "outer" }, { 784, 80, 10, "outer" }, { 784, 100, 10, "outer" }, { 49, 64, 20, "outer" },
  };
  static const tile_case amd[] = {
    { 3136, 100, 7, "dot" }, { 784, 48, 10, "dot" }, { 784, 40, 10, "outer" }, { 49, 64, 20, "dot" },
  };
  expect_tiles("AVX-512", avx512, sizeof avx512 / sizeof avx512[0]);
  if (orthoconv_priv_permutes_share_fma_port(0, 0)) expect_tiles("AVX-512 (Intel)", intel, sizeof intel / sizeof intel[0]);
  else expect_tiles("AVX-512 (AMD)", amd, sizeof amd / sizeof amd[0]);
  CHECK(!orthoconv_priv_dot_fills_more_lanes(64, 33) && !orthoconv_priv_dot_fills_more_lanes(SIZE_MAX, 12) &&
            orthoconv_priv_dot_fills_more_lanes(SIZE_MAX, 10),
        "dot preference past the measured range");
  static const tile_case avx2[] = {
    { 3136, 1024, 20, "dot" }, { 3136, 64, 10, "dot" }, { 3136, 256, 16, "outer" }, { 3136, 64, 12, "outer" },
    { 3136, 256, 32, "outer" },
  };
  if (orthoconv_set_isa(ORTHOCONV_ISA_AVX2) != ORTHOCONV_OK) return;
  expect_tiles("AVX2", avx2, sizeof avx2 / sizeof avx2[0]);
  orthoconv_set_isa(ORTHOCONV_ISA_AVX512);
}

/* A profile with different choices in two N classes of one M and K selects each
 * for its own shapes, and falls back where its variant does not apply. */
static void per_class_profile(void) {
  const orthoconv_isa cap = orthoconv_get_isa();
  const orthoconv_op op = ORTHOCONV_OP_LAYER_FORWARD;
  const orthoconv_priv_shape s10 = { 49, 1024, 10 }, s64 = { 49, 1024, 64 };
  const unsigned c10 = orthoconv_priv_class_of(op, s10.M, s10.K, s10.N), c64 = orthoconv_priv_class_of(op, s64.M, s64.K, s64.N);
  CHECK(c10 != c64, "N = 10 and N = 64 share a class");
  /* Two different runnable variants that apply to both shapes. */
  const orthoconv_ukernel *a = NULL, *b = NULL;
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (!orthoconv_priv_ukernel_serves(k, op) || !orthoconv_priv_isa_allowed(k->isa, cap) ||
        !orthoconv_priv_ukernel_applies(k, 1024, 10) || !orthoconv_priv_ukernel_applies(k, 1024, 64))
      continue;
    if (!a) a = k;
    else if (!b) b = k;
  }
  if (!a || !b) {
    printf("per-class profile: fewer than two variants here, skipped\n");
    return;
  }
  static orthoconv_priv_profile p;
  memset(&p, 0, sizeof p);
  p.c[op][c10] = orthoconv_priv_choice_of(a);
  p.c[op][c64] = orthoconv_priv_choice_of(b);
  p.at[op][c10] = s10;
  p.at[op][c64] = s64;
  CHECK(orthoconv_priv_table_install(&p) == ORTHOCONV_OK, "install");
  const char *n10 = orthoconv_selected_kernel(op, s10.M, s10.K, s10.N), *n64 = orthoconv_selected_kernel(op, s64.M, s64.K, s64.N);
  CHECK(n10 && !strcmp(n10, a->name), "N=10 class selects %s, profile says %s", n10, a->name);
  CHECK(n64 && !strcmp(n64, b->name), "N=64 class selects %s, profile says %s", n64, b->name);
  /* A record whose variant does not apply to a shape of its class is not used there. */
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (!orthoconv_priv_ukernel_serves(k, op) || !orthoconv_priv_isa_allowed(k->isa, cap) || k->rule.nmax != 10 ||
        k->rule.nmin != 10)
      continue;
    p.c[op][c10] = orthoconv_priv_choice_of(k);
    CHECK(orthoconv_priv_table_install(&p) == ORTHOCONV_OK, "install");
    const char *n7 = orthoconv_selected_kernel(op, 49, 1024, 7);
    CHECK(n7 && strcmp(n7, k->name) != 0, "%s (N = 10 only) selected for N = 7", k->name);
    break;
  }
  CHECK(orthoconv_priv_table_install(NULL) == ORTHOCONV_OK, "back to defaults");
}

static void cap_walk(void) {
  const orthoconv_isa best = orthoconv_cpu_isa();
  CHECK(orthoconv_set_isa(ORTHOCONV_ISA_SCALAR) == ORTHOCONV_OK, "cap scalar");
  expect_all_selected(ORTHOCONV_ISA_SCALAR);
  for (int i = 0; i < 4; i++) {
    const orthoconv_isa isa = (orthoconv_isa)i;
    const orthoconv_status s = orthoconv_set_isa(isa);
    if (orthoconv_priv_isa_runnable(isa)) {
      CHECK(s == ORTHOCONV_OK && orthoconv_get_isa() == isa, "cap %s refused", orthoconv_isa_name(isa));
      expect_all_selected(isa);
    } else {
      CHECK(s == ORTHOCONV_EUNSUPPORTED, "cap %s (not runnable) returned %d", orthoconv_isa_name(isa), (int)s);
      CHECK(orthoconv_get_isa() != isa, "cap %s took effect although not runnable", orthoconv_isa_name(isa));
    }
  }
  CHECK(orthoconv_set_isa(best) == ORTHOCONV_OK, "back to best");
}

/* Forward calls keep their answers while another thread moves the cap around. */
static _Atomic int stop; /* atomic, not volatile: ThreadSanitizer reported the race */
static void *flipper(void *arg) {
  (void)arg;
  for (int i = 0; !stop; i++) {
    orthoconv_set_isa(i % 2 ? ORTHOCONV_ISA_SCALAR : orthoconv_cpu_isa());
    sched_yield(); /* under qemu-user a spinning thread can starve the caller */
  }
  return NULL;
}
static void concurrent_cap_changes(void) {
  enum { M = 49, K = 256, N = 10 };
  static float x[M * K], w[K * N], y[M * N], ref[M * N];
  for (size_t i = 0; i < M * K; i++) x[i] = test_randf();
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
  orthoconv_set_isa(ORTHOCONV_ISA_SCALAR);
  orthoconv_forward(M, K, N, x, K, w, NULL, ORTHOCONV_ACT_NONE, ref, N);
  pthread_t t;
  pthread_create(&t, NULL, flipper, NULL);
  size_t bad = 0;
  for (int r = 0; r < 40; r++) {
    orthoconv_forward(M, K, N, x, K, w, NULL, ORTHOCONV_ACT_NONE, y, N);
    for (size_t i = 0; i < M * N; i++) bad += !within_bound(y[i], ref[i], 1e-5 + 2.0 * K);
  }
  stop = 1;
  pthread_join(t, NULL);
  CHECK(bad == 0, "%zu wrong outputs while the cap changed", bad);
  orthoconv_set_isa(orthoconv_cpu_isa());
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "real";
  if (!strcmp(mode, "fake-scalar")) {
    static orthoconv_priv_cpu fake = { .vendor = "test", .brand = "no SIMD at all", .isa_mask = 1u << ORTHOCONV_ISA_SCALAR };
    orthoconv_priv_cpu_fake(&fake);
    CHECK(orthoconv_cpu_isa() == ORTHOCONV_ISA_SCALAR, "fake CPU: best ISA %s", orthoconv_isa_name(orthoconv_cpu_isa()));
    CHECK(orthoconv_set_isa(ORTHOCONV_ISA_AVX2) == ORTHOCONV_EUNSUPPORTED, "fake CPU accepted an AVX2 cap");
    CHECK(orthoconv_set_isa(ORTHOCONV_ISA_AVX512) == ORTHOCONV_EUNSUPPORTED, "fake CPU accepted an AVX-512 cap");
    CHECK(orthoconv_set_isa(ORTHOCONV_ISA_NEON) == ORTHOCONV_EUNSUPPORTED, "fake CPU accepted a NEON cap");
    expect_all_selected(ORTHOCONV_ISA_SCALAR);
  } else if (!strcmp(mode, "fake-vendor") && argc > 2) {
    /* The regularizer gradient at N = 10 follows the vendor's ports
     * (dispatch/prefer.c): only selected here, never run (the fake may claim
     * more than the machine has). */
    static orthoconv_priv_cpu fake = { .brand = "fake AVX-512 core" };
    snprintf(fake.vendor, sizeof fake.vendor, "%s", argv[2]);
    fake.isa_mask = orthoconv_priv_build_isa_mask() &
                    ((1u << ORTHOCONV_ISA_SCALAR) | (1u << ORTHOCONV_ISA_AVX2) | (1u << ORTHOCONV_ISA_AVX512));
    orthoconv_priv_cpu_fake(&fake);
    const orthoconv_priv_shape at10 = { 0, 1024, 10 }, at12 = { 0, 1024, 12 };
    const orthoconv_ukernel *k10 = selected(ORTHOCONV_OP_REG_GRAD, at10), *k12 = selected(ORTHOCONV_OP_REG_GRAD, at12);
    if (orthoconv_cpu_isa() != ORTHOCONV_ISA_AVX512) {
      printf("no AVX-512 in this build: nothing to check\n");
    } else if (orthoconv_priv_table_current()) {
      printf("a profile is in force: the defaults are not what runs\n");
    } else {
      const int intel = !strcmp(argv[2], "GenuineIntel");
      CHECK(k10 && strstr(k10->name, intel ? "8x10" : "8x16"), "%s: reg_grad at N = 10 runs %s", argv[2],
            k10 ? k10->name : "(none)");
      CHECK(k12 && strstr(k12->name, "8x16"), "%s: reg_grad at N = 12 runs %s", argv[2], k12 ? k12->name : "(none)");
      /* and so does the forward's dot-or-outer boundary (the vendor's list there) */
      CHECK(orthoconv_priv_permutes_share_fma_port(0, 0) == intel, "%s: vendor preference", argv[2]);
      forward_lane_preference();
    }
  } else if (!strcmp(mode, "env-cap")) {
    const char *want = getenv("ORTHOCONV_ISA");
    CHECK(want && !strcmp(orthoconv_isa_name(orthoconv_get_isa()), want), "ORTHOCONV_ISA=%s not honoured (cap %s)",
          want ? want : "", orthoconv_isa_name(orthoconv_get_isa()));
    CHECK(orthoconv_isa_cap_note()[0] == 0, "note for a valid cap: %s", orthoconv_isa_cap_note());
    expect_all_selected(orthoconv_get_isa());
  } else if (!strcmp(mode, "env-bad")) {
    CHECK(orthoconv_get_isa() == orthoconv_cpu_isa(), "a bad ORTHOCONV_ISA changed the cap");
    CHECK(orthoconv_isa_cap_note()[0] != 0, "a bad ORTHOCONV_ISA was not explained");
    printf("note: %s\n", orthoconv_isa_cap_note());
  } else {
    const char *expect = getenv("ORTHOCONV_EXPECT_ISA");
    if (expect) {
      CHECK(!strcmp(orthoconv_isa_name(orthoconv_cpu_isa()), expect), "expected best ISA %s, detected %s", expect,
            orthoconv_isa_name(orthoconv_cpu_isa()));
      expect_all_selected(orthoconv_cpu_isa());
    }
    defaults_lines();
    forward_lane_preference();
    expect_all_selected(orthoconv_get_isa());
    per_class_profile();
    runs_what_it_names();
    cap_walk();
    concurrent_cap_changes();
  }
  print_selection();
  return test_finish("dispatch");
}
