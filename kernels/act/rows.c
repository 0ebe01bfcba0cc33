#include "act.h"
#include "orthoconv_config.h"

void orthoconv_act_rows__scalar(size_t M, size_t N, float *y, size_t ldy, orthoconv_activation act) {
  for (size_t m = 0; m < M; m++) orthoconv_priv_act_row_scalar(y + m * ldy, N, act);
}

orthoconv_act_rows_fn *orthoconv_priv_act_rows(orthoconv_isa isa) {
  switch (isa) {
#if ORTHOCONV_HAVE_AVX2
  case ORTHOCONV_ISA_AVX2: return orthoconv_act_rows__avx2;
#endif
#if ORTHOCONV_HAVE_AVX512
  case ORTHOCONV_ISA_AVX512: return orthoconv_act_rows__avx512;
#endif
#if ORTHOCONV_HAVE_NEON
  case ORTHOCONV_ISA_NEON: return orthoconv_act_rows__neon;
#endif
  default: return orthoconv_act_rows__scalar;
  }
}
