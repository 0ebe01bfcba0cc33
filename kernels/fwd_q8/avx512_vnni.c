/* AVX512-VNNI int8 forward microkernel: dot products along K with vpdpbusd (u8
 * q times s8 w, four products per int32 lane, exact: no saturation in this
 * form). 2 rows x 10 filters = 20 accumulators of 16 int32 lanes; per 64 k it
 * loads 2 X vectors and 10 W vectors (KBLK, blocks of 64 k, zero past K and nc)
 * for 20 vpdpbusd: 4 k a lane per instruction, a quarter of fp32's bytes of X.
 * The zero point is folded in at the end (q - zp) w = q w - zp colsum. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/avx512_lp.h"

#define OC_LOADX(p) _mm512_loadu_si512(p)
#define OC_TAILX(p, n) _mm512_maskz_loadu_epi8(((__mmask64)1 << (n)) - 1, p)
#define OC_LOADW(p) _mm512_loadu_si512(p)
/* vpdpbusd accumulates in place. GCC 12's _mm512_dpbusd_epi32 in this loop keeps
 * a second copy of each accumulator (register moves and a stack store per
 * instruction, half the speed); the asm names the one register to update. */
OC_LP_INLINE __m512i dpbusd(__m512i acc, __m512i q, __m512i w) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(q), "v"(w));
  return acc;
}
OC_LP_DOT512(orthoconv_q8_ukernel_2x10__avx512_vnni, __m512i, _mm512_setzero_si512(), uint8_t, OC_LOADX, OC_TAILX,
    int8_t, OC_LOADW, dpbusd, 64, 0, oc_lp_hsum10_epi32, OC_LP_STORE_Q8)
