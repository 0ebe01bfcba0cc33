/* orthoconv-info: what this CPU is, what the library may run on it, which
 * profile is in force, and the variant every op would run per size class. */
#include <stdio.h>
#include <string.h>
#include "cpu.h"
#include "tune/profile.h"

int main(int argc, char **argv) {
  if (argc > 1) {
    printf("usage: %s   (honours ORTHOCONV_ISA and ORTHOCONV_PROFILE like any program using the library)\n", argv[0]);
    return strcmp(argv[1], "--help") == 0 ? 0 : 2;
  }
  const orthoconv_priv_cpu *cpu = orthoconv_priv_cpu_get();
  printf("orthoconv %s\n", orthoconv_version());
  printf("cpu:       %s, %s, family %u model %u stepping %u\n", cpu->vendor, cpu->brand, cpu->family, cpu->model, cpu->stepping);
  printf("caches:    L1d %u KiB, L2 %u KiB, L3 %u KiB (0 = not reported)\n", cpu->l1d_kib, cpu->l2_kib, cpu->l3_kib);
  printf("ISAs:     ");
  for (int i = 0; i < 4; i++) {
    const int cpu_has = (cpu->isa_mask >> i) & 1u, built = (orthoconv_priv_build_isa_mask() >> i) & 1u;
    if (cpu_has || built)
      printf(" %s(%s)", orthoconv_isa_name((orthoconv_isa)i),
          cpu_has && built ? "usable" : cpu_has ? "not built" : "CPU lacks");
  }
  printf("\nbest ISA:  %s; cap in force: %s", orthoconv_isa_name(orthoconv_cpu_isa()), orthoconv_isa_name(orthoconv_get_isa()));
  if (orthoconv_isa_cap_note()[0]) printf(" (%s)", orthoconv_isa_cap_note());
  char status[2048];
  orthoconv_profile_status(status, sizeof status);
  printf("\nprofile:   %s\n\n", status);
  printf("%-17s %-9s %-8s %-46s %s\n", "op", "class", "source", "variant", "tunables");
  int disagree = 0;
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++) {
    const orthoconv_op e = (orthoconv_op)op;
    for (unsigned c = 0; c < orthoconv_priv_class_count(e); c++) {
      const size_t M = orthoconv_priv_class_example_m(e, c);
      const orthoconv_priv_choice ch = orthoconv_priv_select(e, M);
      const orthoconv_priv_choice prof = orthoconv_priv_choice_get(e, c);
      const int from_profile = prof.k == ch.k && prof.k && memcmp(prof.t, ch.t, sizeof ch.t) == 0;
      const char *reported = orthoconv_selected_kernel(e, M, 1024, 10);
      disagree += !reported || strcmp(reported, ch.k->name) != 0;
      printf("%-17s %-9s %-8s %-46s", orthoconv_priv_op_name(e), orthoconv_priv_class_name(e, c),
          from_profile ? "profile" : "default", ch.k->name);
      for (unsigned i = 0; i < ch.k->ntunables; i++) printf(" %s=%d", ch.k->tunables[i].name, ch.t[i]);
      printf("\n");
    }
  }
  if (disagree) printf("WARNING: orthoconv_selected_kernel disagrees in %d places\n", disagree);
  return disagree ? 1 : 0;
}
