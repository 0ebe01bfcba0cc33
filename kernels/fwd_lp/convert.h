/* bf16 <-> float, one value (baseline code). */
#ifndef ORTHOCONV_FWD_LP_CONVERT_H
#define ORTHOCONV_FWD_LP_CONVERT_H
#include <stdint.h>
#include <string.h>

/* Round to nearest even; NaN stays NaN (the quiet bit set, so that a payload in
 * the dropped bits cannot turn it into infinity). */
static inline uint16_t orthoconv_priv_bf16_of(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

static inline float orthoconv_priv_f32_of_bf16(uint16_t b) {
  const uint32_t u = (uint32_t)b << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
#endif
