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

const char *orthoconv_priv_ext_name(unsigned ext_bit) {
  switch (ext_bit) {
  case ORTHOCONV_EXT_AVX512_BF16: return "avx512_bf16";
  case ORTHOCONV_EXT_AVX512_VNNI: return "avx512_vnni";
  case ORTHOCONV_EXT_AVX_VNNI: return "avx_vnni";
  case ORTHOCONV_EXT_NEON_DOTPROD: return "asimddp";
  case ORTHOCONV_EXT_NEON_BF16: return "bf16";
  case ORTHOCONV_EXT_NEON_I8MM: return "i8mm";
  default: return NULL;
  }
}

unsigned orthoconv_priv_build_ext_mask(void) {
  return (ORTHOCONV_HAVE_AVX512_BF16 ? ORTHOCONV_EXT_AVX512_BF16 : 0u) |
         (ORTHOCONV_HAVE_AVX512_VNNI ? ORTHOCONV_EXT_AVX512_VNNI : 0u) |
         (ORTHOCONV_HAVE_AVX_VNNI ? ORTHOCONV_EXT_AVX_VNNI : 0u) |
         (ORTHOCONV_HAVE_NEON_DOTPROD ? ORTHOCONV_EXT_NEON_DOTPROD : 0u) |
         (ORTHOCONV_HAVE_NEON_BF16 ? ORTHOCONV_EXT_NEON_BF16 : 0u) |
         (ORTHOCONV_HAVE_NEON_I8MM ? ORTHOCONV_EXT_NEON_I8MM : 0u);
}
