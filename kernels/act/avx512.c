#include "act/act.h"
#include "avx512_act.h"

void orthoconv_act_rows__avx512(size_t M, size_t N, float *y, size_t ldy, orthoconv_activation act) {
  for (size_t m = 0; m < M; m++) orthoconv_avx512_act_row(y + m * ldy, N, act);
}
