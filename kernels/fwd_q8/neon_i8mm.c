/* NEON int8 forward microkernel for cores with the int8 matrix extension
 * (HWCAP2_I8MM; compiled with +i8mm): usmmla multiplies 2 rows x 8 k of u8 q by
 * 8 k x 2 filters of s8 w into a 2 x 2 block of int32, 32 exact products per
 * instruction and no shift of q (mixed signs). The matrix-product frame: 4 rows
 * x 10 filters, 10 accumulators; per 16 k 4 row loads zipped into 4 operands,
 * 10 W loads (MMLA layout), 20 usmmla. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/neon_lp.h"

#define OC_TOAV(v) vreinterpretq_u8_u64(v)
OC_LP_MMLA_NEON(orthoconv_q8_ukernel_4x10__neon_usmmla, int32x4_t, vdupq_n_s32(0), uint8_t, uint8x16_t, OC_TOAV,
    int8_t, int8x16_t, vld1q_s8, vusmmlaq_s32, 16, 0, s32)
