#include "act/act.h"
#include "neon_act.h"

void orthoconv_act_rows__neon(size_t M, size_t N, float *y, size_t ldy, orthoconv_activation act) {
  for (size_t m = 0; m < M; m++) {
    float *r = y + m * ldy;
    if (act == ORTHOCONV_ACT_SOFTMAX) {
      orthoconv_neon_softmax_row(r, N);
      continue;
    }
    for (size_t n = 0; n < N; n += 4) {
      const size_t c = orthoconv_neon_lanes(N, n);
      orthoconv_neon_st_part(r + n, orthoconv_neon_act(orthoconv_neon_ld_part(r + n, c), act), c);
    }
  }
}
