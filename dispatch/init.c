/* The one-time set-up above dispatch and the profile code: the ISA cap from
 * ORTHOCONV_ISA and the start-up profile (ORTHOCONV_PROFILE, else the one embedded
 * at build time). Nothing below this file calls back into it, so the profile
 * loader can never re-enter the once-guard. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "init.h"
#include "select.h"
#include "tune/profile.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *cap_note = "";

static void parse_isa_env(void) {
  const char *e = getenv("ORTHOCONV_ISA");
  if (!e || !*e) return;
  for (int i = 0; i < 4; i++) {
    if (strcmp(e, orthoconv_isa_name((orthoconv_isa)i)) != 0) continue;
    if (orthoconv_priv_isa_runnable((orthoconv_isa)i)) {
      orthoconv_priv_cap_store((orthoconv_isa)i);
    } else {
      cap_note = "ORTHOCONV_ISA names an ISA this CPU, OS or build cannot run: ignored, best runnable ISA in use";
    }
    return;
  }
  cap_note = "ORTHOCONV_ISA is not one of scalar, avx2, avx512, neon: ignored, best runnable ISA in use";
}

static void init_once(void) {
  orthoconv_priv_cap_store(orthoconv_cpu_isa());
  parse_isa_env();
  orthoconv_priv_profile_startup();
}

void orthoconv_priv_init(void) { pthread_once(&once, init_once); }

orthoconv_priv_choice orthoconv_priv_choose(orthoconv_op op, size_t M, size_t K, size_t N) {
  orthoconv_priv_init();
  return orthoconv_priv_select(op, M, K, N);
}

orthoconv_isa orthoconv_cpu_isa(void) {
  static const orthoconv_isa best_first[] = { ORTHOCONV_ISA_AVX512, ORTHOCONV_ISA_AVX2, ORTHOCONV_ISA_NEON };
  for (size_t i = 0; i < sizeof best_first / sizeof best_first[0]; i++)
    if (orthoconv_priv_isa_runnable(best_first[i])) return best_first[i];
  return ORTHOCONV_ISA_SCALAR;
}

orthoconv_status orthoconv_set_isa(orthoconv_isa cap) {
  if ((unsigned)cap >= 4) return ORTHOCONV_EINVAL;
  orthoconv_priv_init();
  if (!orthoconv_priv_isa_runnable(cap)) return ORTHOCONV_EUNSUPPORTED;
  orthoconv_priv_cap_store(cap);
  return ORTHOCONV_OK;
}

orthoconv_isa orthoconv_get_isa(void) {
  orthoconv_priv_init();
  return orthoconv_priv_cap_load();
}

const char *orthoconv_isa_cap_note(void) {
  orthoconv_priv_init();
  return cap_note;
}

const char *orthoconv_selected_kernel(orthoconv_op op, size_t M, size_t K, size_t N) {
  /* K or N == 0: every call refuses the shape (and some variants' rules do not
   * cover it, so select would find none) */
  if ((unsigned)op >= ORTHOCONV_OP_COUNT || K == 0 || N == 0) return NULL;
  orthoconv_priv_init();
  const orthoconv_priv_choice c = orthoconv_priv_select(op, M, K, N);
  return c.k ? c.k->name : NULL;
}
