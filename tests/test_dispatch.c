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

static const orthoconv_ukernel *selected(orthoconv_op op, size_t M) {
  const char *name = orthoconv_selected_kernel(op, M, 1024, 10);
  const orthoconv_ukernel *k = name ? orthoconv_priv_ukernel_find(name) : NULL;
  CHECK(k != NULL, "op %d: selected kernel %s is not in the registry", (int)op, name ? name : "(null)");
  return k;
}

static int op_has_variant(orthoconv_op op, orthoconv_isa isa) {
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++)
    if (orthoconv_priv_ukernels[i].isa == isa && orthoconv_priv_ukernel_serves(&orthoconv_priv_ukernels[i], op)) return 1;
  return 0;
}

static void print_selection(void) {
  printf("cpu: %s, best ISA %s, cap %s\n", orthoconv_priv_cpu_get()->brand, orthoconv_isa_name(orthoconv_cpu_isa()),
         orthoconv_isa_name(orthoconv_get_isa()));
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned c = 0; c < orthoconv_priv_class_count((orthoconv_op)op); c++) {
      const size_t M = orthoconv_priv_class_example_m((orthoconv_op)op, c);
      printf("  %-17s %-9s %s\n", orthoconv_priv_op_name((orthoconv_op)op), orthoconv_priv_class_name((orthoconv_op)op, c),
             orthoconv_selected_kernel((orthoconv_op)op, M, 1024, 10));
    }
}

/* Every op that has variants of this ISA selects one in at least one class, and in
 * no class a variant of another SIMD ISA (the defaults may keep the scalar
 * reference where SIMD loses, e.g. backward data of one row). */
static void expect_all_selected(orthoconv_isa isa) {
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++) {
    if (!op_has_variant((orthoconv_op)op, isa)) continue;
    unsigned hits = 0;
    for (unsigned c = 0; c < orthoconv_priv_class_count((orthoconv_op)op); c++) {
      const orthoconv_ukernel *k = selected((orthoconv_op)op, orthoconv_priv_class_example_m((orthoconv_op)op, c));
      if (!k) continue;
      hits += k->isa == isa;
      CHECK(k->isa == isa || k->isa == ORTHOCONV_ISA_SCALAR, "op %s class %u: selected %s under %s",
            orthoconv_priv_op_name((orthoconv_op)op), c, k->name, orthoconv_isa_name(isa));
    }
    CHECK(hits > 0, "op %s: no class selects an %s variant", orthoconv_priv_op_name((orthoconv_op)op), orthoconv_isa_name(isa));
  }
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
    expect_all_selected(orthoconv_get_isa());
    cap_walk();
    concurrent_cap_changes();
  }
  print_selection();
  return test_finish("dispatch");
}
