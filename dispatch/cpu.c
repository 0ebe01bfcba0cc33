#include <pthread.h>
#include "cpu.h"
#include "orthoconv_config.h"

static orthoconv_priv_cpu detected;
static const orthoconv_priv_cpu *fake;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void detect_once(void) { orthoconv_priv_cpu_detect(&detected); }

const orthoconv_priv_cpu *orthoconv_priv_cpu_get(void) {
  if (fake) return fake;
  pthread_once(&once, detect_once);
  return &detected;
}

void orthoconv_priv_cpu_fake(const orthoconv_priv_cpu *f) { fake = f; }

unsigned orthoconv_priv_build_isa_mask(void) {
  return (1u << ORTHOCONV_ISA_SCALAR) | ((unsigned)ORTHOCONV_HAVE_AVX2 << ORTHOCONV_ISA_AVX2) |
         ((unsigned)ORTHOCONV_HAVE_AVX512 << ORTHOCONV_ISA_AVX512) |
         ((unsigned)ORTHOCONV_HAVE_NEON << ORTHOCONV_ISA_NEON);
}
