/* NEON bf16 forward microkernel for cores without the bf16 extension: X widened
 * to fp32 by shifting each bf16 into the upper half of a 32-bit lane (shll,
 * exact), W read already widened (KBLK_WIDE, blocks of 8 k), fmla. The dot
 * frame: 2 rows x 10 filters, 20 accumulators; per 8 k one 16-byte load per row
 * widened into two vectors, two W vectors per filter. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/neon_lp.h"

OC_LP_INLINE float32x4x2_t widen(uint16x8_t v) {
  const float32x4x2_t r = { { vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(v), 16)),
                              vreinterpretq_f32_u32(vshll_high_n_u16(v, 16)) } };
  return r;
}
#define OC_LOADX(p) widen(vld1q_u16(p))
#define OC_TAILX(p, n) widen(vreinterpretq_u16_u8(oc_lp_tail16(p, 2 * (n))))
#define OC_MAC(a0, a1, x0, x1, w, MR)                                          \
  do {                                                                         \
    const float32x4_t wl = vld1q_f32(w), wh = vld1q_f32((w) + 4);              \
    a0 = vfmaq_f32(vfmaq_f32(a0, x0.val[0], wl), x0.val[1], wh);               \
    if (MR > 1) a1 = vfmaq_f32(vfmaq_f32(a1, x1.val[0], wl), x1.val[1], wh);   \
  } while (0)
#define OC_ROW_STORE oc_lp_store4_f32
OC_LP_ROW10(row10, float32x4_t, vpaddq_f32, vdupq_n_f32(0.0f), OC_ROW_STORE)
OC_LP_DOT_NEON(orthoconv_bf16_ukernel_2x10__neon_wide, float32x4_t, vdupq_n_f32(0.0f), uint16_t, OC_LOADX, OC_TAILX,
    float, OC_MAC, 8, 3, row10)
