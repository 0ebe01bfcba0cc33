/* NEON int8 forward microkernel for cores with dot products (HWCAP_ASIMDDP;
 * compiled with +dotprod): sdot sums four s8 x s8 products into each int32 lane.
 * q is unsigned, so it enters as q - 128 (an xor of the sign bit) and the shift
 * comes back with the zero point through the column sums. The dot frame: 2 rows
 * x 10 filters, 20 accumulators; per 16 k one load per row and per filter
 * (KBLK, blocks of 16 k), 20 sdot. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/neon_lp.h"

#define OC_LOADX(p) vreinterpretq_s8_u8(veorq_u8(vld1q_u8(p), vdupq_n_u8(0x80)))
#define OC_TAILX(p, n) vreinterpretq_s8_u8(veorq_u8(oc_lp_tail16(p, n), vdupq_n_u8(0x80)))
#define OC_MAC(a0, a1, x0, x1, w, MR, h)                                       \
  do {                                                                         \
    const int8x16_t wv = vld1q_s8(w);                                          \
    a0 = vdotq_s32(a0, x0, wv);                                                \
    if (MR > 1) a1 = vdotq_s32(a1, x1, wv);                                    \
  } while (0)
#define OC_STORE(v, y, j0, c, t) oc_lp_store4_q8(v, y, j0, c, t, 128)
OC_LP_ROW10(row10, int32x4_t, vpaddq_s32, vdupq_n_s32(0), OC_STORE)
OC_LP_DOT_NEON(orthoconv_q8_ukernel_2x10__neon_sdot, int32x4_t, vdupq_n_s32(0), uint8_t, OC_LOADX, OC_TAILX, int8_t,
    OC_MAC, 16, 1, 1, row10)
