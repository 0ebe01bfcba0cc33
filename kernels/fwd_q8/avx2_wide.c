/* AVX2 int8 forward microkernel for CPUs without VNNI. vpmaddubsw would
 * saturate here (two products of u8 255 and s8 -128 exceed int16), so nothing is
 * multiplied in 16 bits: q is zero-extended to int16, W read already widened to
 * int16 (KBLK_WIDE, blocks of 16 k), and vpmaddwd sums pairs of 16-bit products
 * into int32 lanes, exactly (|pair| <= 2 * 255 * 128). Two register tiles of 5
 * filters per 2 x 10 tile, as the fp32 AVX2 dot tile; the zero point is folded
 * in through the column sums at the end. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/avx2_lp.h"

#define OC_LOADX(p) _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(p)))
#define OC_TAILX(p, n) _mm256_cvtepu8_epi16(oc_lp_tail16(p, n))
#define OC_LOADW(p) _mm256_loadu_si256((const __m256i *)(p))
#define OC_MAC(a, x, w) _mm256_add_epi32(a, _mm256_madd_epi16(x, w))
OC_LP_DOT256(orthoconv_q8_ukernel_2x10__avx2_wide, __m256i, _mm256_setzero_si256(), uint8_t, OC_LOADX, OC_TAILX,
    int16_t, OC_LOADW, OC_MAC, 16, 3, oc_lp_hsum5_epi32, OC_LP_STORE5_Q8)
