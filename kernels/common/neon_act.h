/* Fused activation epilogues for the NEON kernels, with SLEEF's AdvSIMD u10
 * functions (the ISA-suffixed ones: no dispatch inside a kernel). */
#ifndef ORTHOCONV_NEON_ACT_H
#define ORTHOCONV_NEON_ACT_H
#include <sleef.h>
#include "neon_util.h"
#include "orthoconv.h"

/* Element-wise activations; SOFTMAX is left to orthoconv_neon_softmax_row. The
 * forms match the scalar reference: relu is v < 0 ? 0 : v, so NaN and -0 pass
 * through (FMAX would also keep NaN, but turn -0 into +0). */
ORTHOCONV_NEON_INLINE float32x4_t orthoconv_neon_act(float32x4_t v, orthoconv_activation act) {
  switch (act) {
  case ORTHOCONV_ACT_RELU:
    return vbslq_f32(vcltq_f32(v, vdupq_n_f32(0.0f)), vdupq_n_f32(0.0f), v);
  case ORTHOCONV_ACT_SIGMOID:
    /* e^-x = inf for very negative x gives an exact 0, as in the reference. */
    return vdivq_f32(vdupq_n_f32(1.0f), vaddq_f32(vdupq_n_f32(1.0f), Sleef_expf4_u10advsimd(vnegq_f32(v))));
  case ORTHOCONV_ACT_TANH:
    return Sleef_tanhf4_u10advsimd(v);
  case ORTHOCONV_ACT_GELU: {
    const float32x4_t e = Sleef_erff4_u10advsimd(vmulq_n_f32(v, 0.70710678118654752f));
    const float32x4_t r = vmulq_f32(vmulq_n_f32(v, 0.5f), vaddq_f32(vdupq_n_f32(1.0f), e));
    /* -Inf: the limit -0, not the formula's -Inf * 0 = NaN */
    return vbslq_f32(vceqq_f32(v, vdupq_n_f32(-__builtin_inff())), vdupq_n_f32(-0.0f), r);
  }
  default:
    return v;
  }
}

/* Softmax of the n floats at y, in place. The row maximum is subtracted first so
 * that every exponent is <= 0 (no overflow). Partial vectors read and write only
 * the row's own floats. */
static inline void orthoconv_neon_softmax_row(float *y, size_t n) {
  float32x4_t mx = vdupq_n_f32(y[0]);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) mx = vmaxq_f32(mx, vld1q_f32(y + i));
  float m = vmaxvq_f32(mx);
  for (; i < n; i++) m = y[i] > m ? y[i] : m;
  const float32x4_t vm = vdupq_n_f32(m);
  float32x4_t vs = vdupq_n_f32(0.0f);
  for (i = 0; i < n; i += 4) {
    const size_t c = orthoconv_neon_lanes(n, i);
    /* Lanes past the row are zero before exp: they become 1 and must not count. */
    float32x4_t e = Sleef_expf4_u10advsimd(vsubq_f32(orthoconv_neon_ld_part(y + i, c), vm));
    if (c < 4) {
      const uint32x4_t lane = { 0, 1, 2, 3 };
      e = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(e), vcltq_u32(lane, vdupq_n_u32((uint32_t)c))));
    }
    vs = vaddq_f32(vs, e);
    orthoconv_neon_st_part(y + i, e, c);
  }
  const float inv = 1.0f / vaddvq_f32(vs);
  for (i = 0; i < n; i += 4) {
    const size_t c = orthoconv_neon_lanes(n, i);
    orthoconv_neon_st_part(y + i, vmulq_n_f32(orthoconv_neon_ld_part(y + i, c), inv), c);
  }
}

/* Bias (may be NULL) and an element-wise activation on a vector of outputs
 * starting at column n0; c = valid lanes, for the bias load. */
ORTHOCONV_NEON_INLINE float32x4_t orthoconv_neon_epilogue(float32x4_t v, const float *bias,
    size_t n0, size_t c, orthoconv_activation act) {
  if (bias) v = vaddq_f32(v, orthoconv_neon_ld_part(bias + n0, c));
  return act == ORTHOCONV_ACT_SOFTMAX ? v : orthoconv_neon_act(v, act);
}
#endif
