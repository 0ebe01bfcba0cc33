#include "act/act.h"
#include "avx2_act.h"

void orthoconv_act_rows__avx2(size_t M, size_t N, float *y, size_t ldy, orthoconv_activation act) {
  for (size_t m = 0; m < M; m++) orthoconv_avx2_bias_act_row(y + m * ldy, NULL, N, act);
}
