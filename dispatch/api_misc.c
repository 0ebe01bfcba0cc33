#include "orthoconv.h"
#include "orthoconv_config.h"

const char *orthoconv_version(void) { return ORTHOCONV_VERSION_STRING; }

const char *orthoconv_strerror(orthoconv_status s) {
  switch (s) {
  case ORTHOCONV_OK: return "success";
  case ORTHOCONV_EINVAL: return "invalid argument (NULL pointer, zero size, short stride, size overflow, bad enum or hyper-parameter)";
  case ORTHOCONV_EOVERLAP: return "an output buffer overlaps another buffer";
  case ORTHOCONV_ENOMEM: return "out of memory";
  case ORTHOCONV_EUNSUPPORTED: return "not supported by this CPU, OS or build";
  case ORTHOCONV_EPROFILE: return "tuning profile rejected";
  }
  return "unknown status";
}

const char *orthoconv_isa_name(orthoconv_isa isa) {
  switch (isa) {
  case ORTHOCONV_ISA_SCALAR: return "scalar";
  case ORTHOCONV_ISA_AVX2: return "avx2";
  case ORTHOCONV_ISA_AVX512: return "avx512";
  case ORTHOCONV_ISA_NEON: return "neon";
  }
  return "unknown";
}
