/* AVX-VNNI int8 forward microkernel: vpdpbusd on ymm (VEX encoded, for CPUs with
 * AVX-VNNI and no AVX-512, or under an AVX2 cap), u8 q times s8 w, four exact
 * products per int32 lane. Two register tiles of 5 filters per 2 x 10 tile; W
 * in KBLK blocks of 32 k; per 32 k, 2 X loads and 5 W loads for 10 vpdpbusd. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/avx2_lp.h"

#define OC_LOADX(p) _mm256_loadu_si256((const __m256i *)(p))
#define OC_LOADW(p) _mm256_loadu_si256((const __m256i *)(p))
/* In place, as in avx512_vnni.c (GCC 12's intrinsic copies the accumulator each
 * time); {vex}: the AVX-VNNI encoding, ymm0-15 only ("x"), never the EVEX form
 * that would need AVX512-VNNI. */
OC_LP_INLINE __m256i dpbusd(__m256i acc, __m256i q, __m256i w) {
  __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(q), "x"(w));
  return acc;
}
OC_LP_DOT256(orthoconv_q8_ukernel_2x10__avx_vnni, __m256i, _mm256_setzero_si256(), uint8_t, OC_LOADX, oc_lp_tail32,
    int8_t, OC_LOADW, dpbusd, 32, 1, oc_lp_hsum5_epi32, OC_LP_STORE5_Q8)
