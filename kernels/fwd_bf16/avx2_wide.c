/* AVX2+FMA bf16 forward microkernel: X widened to fp32 (zero-extend, shift left
 * 16: exact), W read already widened (KBLK_WIDE, blocks of 8 k), fp32 FMA, in the
 * fp32 AVX2 dot tile's shape: 2 rows x 10 filters as two register tiles of 5; per
 * 8 k, 2 X loads of 16 bytes and 5 W vectors for 10 FMAs. X rows end without
 * padding: the k tail is copied into zeros before it is widened. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/avx2_lp.h"

OC_LP_INLINE __m256 widen(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }
#define OC_LOADX(p) widen(_mm_loadu_si128((const __m128i *)(p)))
#define OC_TAILX(p, n) widen(oc_lp_tail16(p, 2 * (n)))
#define OC_MAC(a, x, w) _mm256_fmadd_ps(x, w, a)
OC_LP_DOT256(orthoconv_bf16_ukernel_2x10__avx2_wide, __m256, _mm256_setzero_ps(), uint16_t, OC_LOADX, OC_TAILX, float,
    _mm256_loadu_ps, OC_MAC, 8, 3, oc_lp_hsum5_ps, oc_lp_store5_f32)
