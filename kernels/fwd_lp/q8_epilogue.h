/* The int8 layer's output formula, one value, as every ISA computes it:
 * y = ((float)acc * s) + bias with s = x_scale * w_scale, each operation rounded
 * on its own. Separate statements: no compiler may contract them into an FMA
 * (ISO C mode already forbids it across statements; this keeps it so under
 * clang's per-expression default too). */
#ifndef ORTHOCONV_Q8_EPILOGUE_H
#define ORTHOCONV_Q8_EPILOGUE_H
#include <stdint.h>

static inline float orthoconv_priv_q8_out(int32_t acc, float x_scale, float w_scale, float bias) {
  const float s = x_scale * w_scale;
  const float p = (float)acc * s;
  const float y = p + bias;
  return y;
}
#endif
