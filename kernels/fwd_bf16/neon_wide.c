/* NEON bf16 forward microkernel for cores without the bf16 extension: X widened
 * to fp32 by shifting each bf16 into the upper half of a 32-bit lane (shll,
 * exact), W read already widened (KBLK_WIDE, blocks of 8 k), fmla. The dot
 * frame: 2 rows x 10 filters, 20 accumulators; per 8 k one 16-byte load per row
 * widened into two vectors, two W vectors per filter. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/neon_lp.h"

#define OC_LOADX(p) vld1q_u16(p)
#define OC_TAILX(p, n) vreinterpretq_u16_u8(oc_lp_tail16(p, 2 * (n)))
/* Phase h: the low (h = 0) or high four bf16 of the block as fp32, against the
 * filter's matching four widened weights (the compiler widens each once). */
#define OC_WIDEN(v, h) vreinterpretq_f32_u32((h) ? vshll_high_n_u16(v, 16) : vshll_n_u16(vget_low_u16(v), 16))
#define OC_MAC(a0, a1, x0, x1, w, MR, h)                                       \
  do {                                                                         \
    const float32x4_t wv = vld1q_f32((w) + 4 * (h));                           \
    const float32x4_t xw0 = OC_WIDEN(x0, h), xw1 = OC_WIDEN(x1, h);            \
    ORTHOCONV_NEON_FMA(a0, xw0, wv);                                           \
    if (MR > 1) ORTHOCONV_NEON_FMA(a1, xw1, wv);                               \
  } while (0)
#define OC_ROW_STORE oc_lp_store4_f32
OC_LP_ROW10(row10, float32x4_t, vpaddq_f32, vdupq_n_f32(0.0f), OC_ROW_STORE)
OC_LP_DOT_NEON(orthoconv_bf16_ukernel_2x10__neon_wide, float32x4_t, vdupq_n_f32(0.0f), uint16_t, OC_LOADX, OC_TAILX,
    float, OC_MAC, 8, 2, 3, row10)
