/* AVX-512 forward microkernel on the K16 packed layout, dot-product formulation.
 *
 * For N around 10 an outer product along N fills 10 of 16 lanes; along K every
 * lane is useful. Each (row, filter) pair owns one zmm accumulator holding 16
 * partial sums over k; the tile is 2 rows x 10 filters = 20 accumulators (3 rows
 * would spill). Per 16 k it loads 2 X vectors and 10 W vectors for 20 FMAs, so it
 * is FMA-bound, not load-bound, while the W block stays in L1 (the driver sizes
 * it). The horizontal sums run once per tile and k block, as a transpose-add tree
 * that leaves the 10 results of a row in one vector for the fused epilogue and a
 * single masked store. Packed W holds 10 filters per tile (zero past nc), so the
 * loop has no filter tail; a one-row tile (M = 1, odd M) has its own instance
 * rather than computing a duplicate row. */
#include <immintrin.h>
#include <stdint.h>
#include "ukernel_decls.h"
#include "pf_cursor.h"
#include "avx512_act.h"
#include "avx512_ops.h"

#define OC_INLINE static inline __attribute__((always_inline))
#define OC_NR 10

/* One step of 16 k for MR rows x 10 filters. */
#define OC_STEP(XLOAD0, XLOAD1)                                                  \
  do {                                                                           \
    const __m512 xv0 = XLOAD0;                                                   \
    const __m512 xv1 = MR > 1 ? XLOAD1 : xv0;                                    \
    _Pragma("GCC unroll 10") for (int n = 0; n < OC_NR; n++) {                   \
      __m512 wv = _mm512_loadu_ps(wb + 16 * n);                                  \
      /* one load feeds both rows: keep the compiler from folding it twice */    \
      if (MR > 1) __asm__("" : "+v"(wv));                                        \
      a0[n] = _mm512_fmadd_ps(xv0, wv, a0[n]);                                   \
      if (MR > 1) a1[n] = _mm512_fmadd_ps(xv1, wv, a1[n]);                       \
    }                                                                            \
  } while (0)

OC_INLINE void epilogue(__m512 v, float *y, const orthoconv_fwd_tile *t) {
  const __mmask16 m = orthoconv_avx512_mask(t->nc);
  if (!(t->flags & ORTHOCONV_TILE_FIRST)) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, y));
  if (t->flags & ORTHOCONV_TILE_LAST) {
    if (t->bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, t->bias));
    if (t->act == ORTHOCONV_ACT_SOFTMAX) {
      if (t->flags & ORTHOCONV_TILE_ROW) v = orthoconv_avx512_softmax16(v, m);
    } else if (t->act != ORTHOCONV_ACT_NONE) {
      v = orthoconv_avx512_act_elem(v, t->act);
    }
  }
  _mm512_mask_storeu_ps(y, m, v);
}

OC_INLINE void dot_tile(const int MR, const orthoconv_fwd_tile *t) {
  __m512 a0[OC_NR], a1[OC_NR];
#pragma GCC unroll 10
  for (int n = 0; n < OC_NR; n++) {
    a0[n] = _mm512_setzero_ps();
    a1[n] = _mm512_setzero_ps();
  }
  const float *x0 = t->x, *x1 = MR > 1 ? t->x + t->ldx : t->x;
  const float *wb = t->w;
  orthoconv_pf_cursor *pf = t->pf;
  const size_t nkb = t->kc / 16;
  for (size_t kb = 0; kb < nkb; kb++, wb += t->ldw) {
    OC_STEP(_mm512_loadu_ps(x0 + 16 * kb), _mm512_loadu_ps(x1 + 16 * kb));
    if (pf) orthoconv_pf_advance(pf);
  }
  if (t->kc % 16) {
    /* X rows are not padded: masked loads. The packed W block is zero-padded. */
    const __mmask16 m = orthoconv_avx512_mask(t->kc % 16);
    OC_STEP(_mm512_maskz_loadu_ps(m, x0 + 16 * nkb), _mm512_maskz_loadu_ps(m, x1 + 16 * nkb));
  }
  epilogue(orthoconv_avx512_ops_hsum_many(a0, OC_NR), t->y, t);
  if (MR > 1) epilogue(orthoconv_avx512_ops_hsum_many(a1, OC_NR), t->y + t->ldy, t);
}

/* One row at a time: X is then read as one sequential stream (two rows read k by
 * k are two streams 4 KiB apart, which DRAM serves worse), at 11 loads per 10 FMAs
 * (L1-bound where two 512-bit loads issue per cycle). For the DRAM-bound case on
 * cores whose L1d holds W; the tuner decides. */
void orthoconv_fwd_ukernel_1x10__avx512_dot(const orthoconv_fwd_tile *t) { dot_tile(1, t); }

/* A one-row tile (M = 1, odd M) through the variant above: one copy of its code. */
void orthoconv_fwd_ukernel_2x10__avx512_dot(const orthoconv_fwd_tile *t) {
  if (t->mr > 1) dot_tile(2, t);
  else orthoconv_fwd_ukernel_1x10__avx512_dot(t);
}
