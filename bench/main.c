/* orthoconv-bench: our kernels, the anchors and the roofline probes, in one
 * process on one core. Google Benchmark's flags all apply; --ocb_full adds the
 * general shapes, cold runs of them, activations and frozen-filter variants;
 * --ocb_anchors only says which anchors this build has (and why not) and exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cases.h"
#include "cpu.h"
#include "impl.h"
#ifdef OCB_HAVE_PTHREADPOOL
#include <pthreadpool.h>
#endif
#include "ocb.h"
#include "orthoconv.h"
#include "probe.h"
#include "registry.h"

/* The kernel's transparent huge page mode (the word in brackets), which decides
 * whether the big buffers' advice (data.c) is taken. */
static void thp_mode(char *out, size_t n) {
  snprintf(out, n, "unknown");
  FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!f) return;
  char line[128];
  if (fgets(line, sizeof line, f)) {
    const char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
    if (a && b) snprintf(out, n, "%.*s", (int)(b - a - 1), a + 1);
  }
  fclose(f);
}

static void context(void) {
  const orthoconv_priv_cpu *c = orthoconv_priv_cpu_get();
  char buf[512];
  ocb_context("ocb_cpu_vendor", c->vendor);
  ocb_context("ocb_cpu_brand", c->brand);
  snprintf(buf, sizeof buf, "%u/%u/%u", c->family, c->model, c->stepping);
  ocb_context("ocb_cpu_family_model_stepping", buf);
  buf[0] = 0;
  for (int isa = 0; isa <= ORTHOCONV_ISA_NEON; isa++)
    if (c->isa_mask & (1u << isa)) {
      strcat(buf, buf[0] ? " " : "");
      strcat(buf, orthoconv_isa_name((orthoconv_isa)isa));
    }
  ocb_context("ocb_cpu_isas", buf);
  buf[0] = 0;
  for (unsigned b = 1; b < (1u << ORTHOCONV_EXT_COUNT); b <<= 1)
    if (c->exts & b) {
      strcat(buf, buf[0] ? " " : "");
      strcat(buf, orthoconv_priv_ext_name(b));
    }
  ocb_context("ocb_cpu_exts", buf);
  snprintf(buf, sizeof buf, "%u/%u/%u", c->l1d_kib, c->l2_kib, c->l3_kib);
  ocb_context("ocb_cache_kib_l1d_l2_l3", buf);
  char thp[32];
  thp_mode(thp, sizeof thp);
  snprintf(buf, sizeof buf, "2 MiB aligned, huge pages advised (THP %s)", thp);
  ocb_context("ocb_big_buffers", buf);
  ocb_context("ocb_isa_cap", orthoconv_isa_name(orthoconv_get_isa()));
  ocb_context("ocb_version", orthoconv_version());
  snprintf(buf, sizeof buf, "%016llx", (unsigned long long)orthoconv_priv_ukernel_list_hash());
  ocb_context("ocb_kernel_list_hash", buf);
  /* The library reads no profile by itself (only $ORTHOCONV_PROFILE at start-up):
   * the bench asks for the default search, as a host program would. */
  (void)orthoconv_profile_load(NULL);
  orthoconv_profile_status(buf, sizeof buf);
  ocb_context("ocb_profile", buf);
  printf("orthoconv %s on %s (%s), ISAs: ", orthoconv_version(), c->brand, c->vendor);
  for (int isa = 0; isa <= ORTHOCONV_ISA_NEON; isa++)
    if (c->isa_mask & (1u << isa)) printf("%s ", orthoconv_isa_name((orthoconv_isa)isa));
  printf("(extensions:");
  for (unsigned b = 1; b < (1u << ORTHOCONV_EXT_COUNT); b <<= 1)
    if (c->exts & b) printf(" %s", orthoconv_priv_ext_name(b));
  printf("%s)", c->exts ? "" : " none");
  printf("\nprofile: %s\n", buf);
}

int main(int argc, char **argv) {
  int full = 0, grid = 0, anchors_only = 0;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--ocb_threads=", 14) == 0) {
      ocb_threads = atoi(argv[i] + 14);
      if (ocb_threads < 1 || ocb_threads > 1024) {
        fprintf(stderr, "bad %s\n", argv[i]);
        return 2;
      }
      memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof *argv);
      argc--, i--;
      continue;
    }
    int *flag = strcmp(argv[i], "--ocb_full") == 0 ? &full
              : strcmp(argv[i], "--ocb_shapes") == 0 ? &grid
              : strcmp(argv[i], "--ocb_anchors") == 0 ? &anchors_only : NULL;
    if (flag) {
      *flag = 1;
      memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof *argv);
      argc--, i--;
    }
  }
  if (ocb_threads > 1) {
#ifdef OCB_HAVE_PTHREADPOOL
    ocb_tpool = pthreadpool_create((size_t)ocb_threads);
#endif
    if (!ocb_tpool) {
      fprintf(stderr, "--ocb_threads=%d needs pthreadpool (Debian: libpthreadpool-dev)\n", ocb_threads);
      return 2;
    }
    char t[32];
    snprintf(t, sizeof t, "%d", ocb_threads);
    ocb_context("ocb_threads", t);
  }
  context();
  ocb_add_orthoconv();
  ocb_add_cblas();
  ocb_add_onednn();
  ocb_add_xnnpack();
  ocb_add_libxsmm();
  ocb_add_gccloop();
  ocb_add_orthoconv_lp();
  ocb_add_xnnpack_lp();
  fflush(stdout);
  if (anchors_only) return 0;
  ocb_register_probes();
  if (ocb_threads > 1) ocb_register_thread_cases();
  else if (grid) ocb_register_shape_grid();
  else ocb_register_cases(full);
  return ocb_run(&argc, argv);
}
