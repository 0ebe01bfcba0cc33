/* NEON int8 forward microkernel for cores without dot products: q - 128 as s8
 * (an xor of the sign bit), s8 x s8 products widened to 16 bits by smull (exact:
 * |product| <= 128 * 128), pairs added into int32 lanes by sadalp. The dot
 * frame: 2 rows x 10 filters, 20 accumulators; per 16 k one load per row and
 * one per filter (KBLK, blocks of 16 k). The shift of q by 128 and the zero
 * point come back through the column sums: sum (q - zp) w = sum (q - 128) w +
 * (128 - zp) colsum. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/neon_lp.h"

#define OC_LOADX(p) vreinterpretq_s8_u8(veorq_u8(vld1q_u8(p), vdupq_n_u8(0x80)))
#define OC_TAILX(p, n) vreinterpretq_s8_u8(veorq_u8(oc_lp_tail16(p, n), vdupq_n_u8(0x80)))
/* Phase h: products of the low (h = 0) or high 8 k of the block, pairs added in. */
#define OC_MUL8(x, wv, h) ((h) ? vmull_high_s8(x, wv) : vmull_s8(vget_low_s8(x), vget_low_s8(wv)))
#define OC_MAC(a0, a1, x0, x1, w, MR, h)                                                           \
  do {                                                                                             \
    const int8x16_t wv = vld1q_s8(w);                                                              \
    a0 = vpadalq_s16(a0, OC_MUL8(x0, wv, h));                                                      \
    if (MR > 1) a1 = vpadalq_s16(a1, OC_MUL8(x1, wv, h));                                          \
  } while (0)
#define OC_STORE(v, y, j0, c, t) oc_lp_store4_q8(v, y, j0, c, t, 128)
OC_LP_ROW10(row10, int32x4_t, vpaddq_s32, vdupq_n_s32(0), OC_STORE)
OC_LP_DOT_NEON(orthoconv_q8_ukernel_2x10__neon_wide, int32x4_t, vdupq_n_s32(0), uint8_t, OC_LOADX, OC_TAILX, int8_t,
    OC_MAC, 16, 2, 1, row10)
