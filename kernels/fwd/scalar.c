/* Reference forward: accumulates in double so that it meets the error bound for
 * any K, and so that tests can trust it as a second oracle. */
#include "ukernel_decls.h"
#include "act/act.h"

void orthoconv_fwd_ukernel_1x1__scalar_ref(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  (void)t;
  for (size_t m = 0; m < M; m++) {
    const float *xr = x + m * ldx;
    float *yr = y + m * ldy;
    for (size_t n = 0; n < N; n++) {
      double acc = bias ? (double)bias[n] : 0.0;
      for (size_t k = 0; k < K; k++) acc += (double)xr[k] * (double)w[k * N + n];
      yr[n] = (float)acc;
    }
    orthoconv_priv_act_row_scalar(yr, N, act);
  }
}
