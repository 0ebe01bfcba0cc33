/* orthoconv-info: what this CPU is, what the library may run on it, which
 * profile is in force (it runs the default search, as orthoconv_profile_load(NULL)
 * does), and the variant every op would run per shape class: the classes of the
 * headline layer (K=1024, N=10) and those a profile record names, or with --all
 * every class. */
#include <stdio.h>
#include <string.h>
#include "cpu.h"
#include "tune/profile.h"

int main(int argc, char **argv) {
  const int all = argc == 2 && strcmp(argv[1], "--all") == 0;
  if (argc > 2 || (argc == 2 && !all)) {
    printf("usage: %s [--all]   (honours ORTHOCONV_ISA and ORTHOCONV_PROFILE like any program using the library)\n", argv[0]);
    return strcmp(argv[1], "--help") == 0 ? 0 : 2;
  }
  (void)orthoconv_profile_load(NULL);
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
  printf("\nextensions:");
  for (unsigned b = 1; b < (1u << ORTHOCONV_EXT_COUNT); b <<= 1) {
    const int cpu_has = (cpu->exts & b) != 0, built = (orthoconv_priv_build_ext_mask() & b) != 0;
    if (cpu_has || built)
      printf(" %s(%s)", orthoconv_priv_ext_name(b), cpu_has && built ? "usable" : cpu_has ? "not built" : "CPU lacks");
  }
  printf("\nbest ISA:  %s; cap in force: %s", orthoconv_isa_name(orthoconv_cpu_isa()), orthoconv_isa_name(orthoconv_get_isa()));
  if (orthoconv_isa_cap_note()[0]) printf(" (%s)", orthoconv_isa_cap_note());
  char status[2048];
  orthoconv_profile_status(status, sizeof status);
  printf("\nprofile:   %s\n\n", status);
  printf("%-17s %-18s %-15s %-8s %-46s %s\n", "op", "class", "shape", "source", "variant", "tunables");
  int disagree = 0;
  const orthoconv_priv_profile *table = orthoconv_priv_table_current();
  const unsigned headline = orthoconv_priv_class_of(ORTHOCONV_OP_GRAM, 0, 1024, 10);
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++) {
    const orthoconv_op e = (orthoconv_op)op;
    for (unsigned c = 0; c < orthoconv_priv_class_count(e); c++) {
      const int recorded = table && table->c[e][c].k;
      if (!all && !recorded && c % (ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES) != headline) continue;
      /* The shape a record was tuned at, else the headline K x N or the class example. */
      orthoconv_priv_shape sh = orthoconv_priv_class_example(e, c);
      if (recorded) sh = table->at[e][c];
      else if (c % (ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES) == headline) sh.K = 1024, sh.N = 10;
      const orthoconv_priv_choice ch = orthoconv_priv_select(e, sh.M, sh.K, sh.N);
      const int from_profile = recorded && table->c[e][c].k == ch.k && memcmp(table->c[e][c].t, ch.t, sizeof ch.t) == 0;
      const char *reported = orthoconv_selected_kernel(e, sh.M, sh.K, sh.N);
      disagree += !reported || strcmp(reported, ch.k->name) != 0;
      char shape_txt[64];
      snprintf(shape_txt, sizeof shape_txt, "%zux%zux%zu", sh.M, sh.K, sh.N);
      printf("%-17s %-18s %-15s %-8s %-46s", orthoconv_priv_op_name(e), orthoconv_priv_class_name(e, c), shape_txt,
          from_profile ? "profile" : "default", ch.k->name);
      for (unsigned i = 0; i < ch.k->ntunables; i++) printf(" %s=%d", ch.k->tunables[i].name, ch.t[i]);
      printf("\n");
    }
  }
  if (disagree) printf("WARNING: orthoconv_selected_kernel disagrees in %d places\n", disagree);
  return disagree ? 1 : 0;
}
