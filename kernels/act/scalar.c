#include <sleef.h>
#include "act.h"

void orthoconv_priv_act_row_scalar(float *y, size_t N, orthoconv_activation act) {
  switch (act) {
  case ORTHOCONV_ACT_NONE:
    return;
  case ORTHOCONV_ACT_RELU:
    /* x < 0 ? 0 : x, as torch: NaN stays NaN (a diverging model must show it), -0 stays -0 */
    for (size_t n = 0; n < N; n++) y[n] = y[n] < 0.0f ? 0.0f : y[n];
    return;
  case ORTHOCONV_ACT_SIGMOID:
    /* 1/(1+e^-x): for very negative x, e^-x = inf and the result is an exact 0. */
    for (size_t n = 0; n < N; n++) y[n] = 1.0f / (1.0f + Sleef_expf_u10(-y[n]));
    return;
  case ORTHOCONV_ACT_TANH:
    for (size_t n = 0; n < N; n++) y[n] = Sleef_tanhf_u10(y[n]);
    return;
  case ORTHOCONV_ACT_GELU:
    /* -Inf: the limit -0 (the formula gives -Inf * 0 = NaN; -0 is also what it
     * gives for every finite x below about -10) */
    for (size_t n = 0; n < N; n++)
      y[n] = y[n] == -__builtin_inff() ? -0.0f : 0.5f * y[n] * (1.0f + Sleef_erff_u10(y[n] * 0.70710678118654752f));
    return;
  case ORTHOCONV_ACT_SOFTMAX: {
    /* Subtracting the row maximum keeps every exponent <= 0: no overflow. */
    float mx = y[0];
    for (size_t n = 1; n < N; n++) mx = y[n] > mx ? y[n] : mx;
    float sum = 0.0f;
    for (size_t n = 0; n < N; n++) {
      y[n] = Sleef_expf_u10(y[n] - mx);
      sum += y[n];
    }
    const float inv = 1.0f / sum;
    for (size_t n = 0; n < N; n++) y[n] *= inv;
    return;
  }
  }
}
