/* AVX512-BF16 bf16 forward microkernel: dot products along K with vdpbf16ps.
 *
 * As the fp32 dot tile, each (row, filter) pair owns a zmm accumulator, now of 16
 * float lanes each summing pairs of adjacent k (vdpbf16ps multiplies 32 bf16 of x
 * by 32 of w and adds each pair's two products into one lane): 2 rows x 10
 * filters = 20 accumulators; per 32 k it loads 2 X vectors and 10 W vectors (KBLK
 * layout, blocks of 32 k per filter, zero past K and nc) for 20 vdpbf16ps, twice
 * the k of an fp32 FMA per instruction and half the bytes of X. The X tail is a
 * masked 16-bit load. vdpbf16ps treats subnormal inputs and results as zero. */
#include "ukernel_decls.h"
#include "lp_pf.h"
#include "fwd_lp/avx512_lp.h"

#define OC_LOADX(p) ((__m512bh)_mm512_loadu_si512(p))
#define OC_TAILX(p, n) ((__m512bh)_mm512_maskz_loadu_epi16((__mmask32)((1u << (n)) - 1u), p))
#define OC_LOADW(p) _mm512_loadu_si512(p)
#define OC_MAC(a, x, w) _mm512_dpbf16_ps(a, x, (__m512bh)(w))
OC_LP_DOT512(orthoconv_bf16_ukernel_2x10__avx512_bf16dot, __m512, _mm512_setzero_ps(), uint16_t, OC_LOADX, OC_TAILX,
    uint16_t, OC_LOADW, OC_MAC, 32, 0, oc_lp_hsum10_ps, oc_lp_store_f32)
