/* NEON bf16 forward microkernels for cores with the bf16 extension (HWCAP2_BF16;
 * compiled with +bf16, run only where the kernel reports it).
 *
 * 2x10 bfdot: the dot frame, 20 accumulators of 4 lanes, each lane summing pairs
 * of adjacent k; per 8 k one load of 8 bf16 per row and one per filter (KBLK,
 * blocks of 8 k), 20 bfdot.
 * 4x10 bfmmla: each instruction multiplies 2 rows x 4 k by 4 k x 2 filters into a
 * 2 x 2 block: 10 accumulators for 4 rows x 10 filters; per 8 k 4 row loads
 * zipped into 4 operands, 10 W loads (MMLA layout), 20 bfmmla: twice the products
 * of bfdot per instruction, and half the W loads per product.
 * Both treat subnormal inputs as zero and may round their internal sums
 * differently from IEEE (Arm's FEAT_BF16 rules), within the error bound. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/neon_lp.h"

#define OC_LOADX(p) vreinterpretq_bf16_u16(vld1q_u16(p))
#define OC_TAILX(p, n) vreinterpretq_bf16_u8(oc_lp_tail16(p, 2 * (n)))
#define OC_MAC(a0, a1, x0, x1, w, MR, h)                                       \
  do {                                                                         \
    const bfloat16x8_t wv = vreinterpretq_bf16_u16(vld1q_u16(w));              \
    a0 = vbfdotq_f32(a0, x0, wv);                                              \
    if (MR > 1) a1 = vbfdotq_f32(a1, x1, wv);                                  \
  } while (0)
OC_LP_ROW10(row10, float32x4_t, vpaddq_f32, vdupq_n_f32(0.0f), oc_lp_store4_f32)
OC_LP_DOT_NEON(orthoconv_bf16_ukernel_2x10__neon_bfdot, float32x4_t, vdupq_n_f32(0.0f), uint16_t, OC_LOADX, OC_TAILX,
    uint16_t, OC_MAC, 8, 1, 3, row10)

#define OC_TOAV(v) vreinterpretq_bf16_u64(v)
#define OC_LOADW(p) vreinterpretq_bf16_u16(vld1q_u16(p))
OC_LP_MMLA_NEON(orthoconv_bf16_ukernel_4x10__neon_bfmmla, float32x4_t, vdupq_n_f32(0.0f), uint16_t, bfloat16x8_t,
    OC_TOAV, uint16_t, bfloat16x8_t, OC_LOADW, vbfmmlaq_f32, 8, 1, f32)
