/* AVX-512 bf16 forward microkernel for CPUs without AVX512-BF16: X widened to
 * fp32 by a zero-extension and a 16-bit shift (exact: a bf16 is the upper half of
 * a float), W read already widened (KBLK_WIDE: the layer packs the bf16 values as
 * floats, blocks of 16 k), fp32 FMA. The fp32 dot tile's shape: 2 rows x 10
 * filters, 20 accumulators, per 16 k 2 X loads of 32 bytes and 10 W vectors. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/avx512_lp.h"

OC_LP_INLINE __m512 widen(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
#define OC_LOADX(p) widen(_mm256_loadu_si256((const __m256i *)(p)))
#define OC_TAILX(p, n) widen(_mm256_maskz_loadu_epi16(orthoconv_avx512_mask(n), p))
#define OC_LOADW(p) _mm512_loadu_ps(p)
#define OC_MAC(a, x, w) _mm512_fmadd_ps(x, w, a)
OC_LP_DOT512(orthoconv_bf16_ukernel_2x10__avx512_wide, __m512, _mm512_setzero_ps(), uint16_t, OC_LOADX, OC_TAILX,
    float, OC_LOADW, OC_MAC, 16, 1, oc_lp_hsum10_ps, oc_lp_store_f32)
