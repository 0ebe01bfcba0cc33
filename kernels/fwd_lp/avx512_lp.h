/* AVX-512 helpers of the bf16 and int8 dot-product tiles: the horizontal sums
 * of 10 accumulators and the two epilogues. Include only from files compiled with
 * the AVX-512 flags (plus their extension): static, so no code compiled under one
 * flag set reaches another's. */
#ifndef ORTHOCONV_AVX512_LP_H
#define ORTHOCONV_AVX512_LP_H
#include <immintrin.h>
#include <stdint.h>
#include "avx512_act.h"
#include "ukernel.h"

#define OC_LP_INLINE static inline __attribute__((always_inline))
#define OC_LP_NR 10 /* filters per tile of the dot kernels */

/* Folding two vectors that hold m sources each, in groups of 2g lanes, into one
 * that holds 2m sources in groups of g (g = 8, 4, 2, 1): lane r of the result is
 * group s = r / g, from the first vector if s < m; A takes each group's first g
 * lanes, B its last g. */
static const int32_t oc_lp_fold_idx[4][2][16] = {
  { { 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23 }, { 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31 } },
  { { 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27 }, { 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31 } },
  { { 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29 }, { 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31 } },
  { { 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30 }, { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31 } },
};

/* Lane n (n < 10) = the sum of the 16 lanes of v[n]; lanes 10..15 = 0. Four
 * levels of folds: 10 -> 5 -> 3 -> 2 -> 1 vectors, sources left in order. */
#define OC_LP_HSUM10(NAME, T, PERM, ADD, ZERO)                                              \
  OC_LP_INLINE T NAME(const T *v) {                                                         \
    T a[5], b[3], c[2];                                                                     \
    const __m512i i0 = _mm512_loadu_si512(oc_lp_fold_idx[0][0]), j0 = _mm512_loadu_si512(oc_lp_fold_idx[0][1]); \
    _Pragma("GCC unroll 5") for (int p = 0; p < 5; p++)                                     \
      a[p] = ADD(PERM(v[2 * p], i0, v[2 * p + 1]), PERM(v[2 * p], j0, v[2 * p + 1]));       \
    const __m512i i1 = _mm512_loadu_si512(oc_lp_fold_idx[1][0]), j1 = _mm512_loadu_si512(oc_lp_fold_idx[1][1]); \
    _Pragma("GCC unroll 3") for (int p = 0; p < 3; p++) {                                   \
      const T y = p < 2 ? a[2 * p + 1] : ZERO;                                              \
      b[p] = ADD(PERM(a[2 * p], i1, y), PERM(a[2 * p], j1, y));                             \
    }                                                                                       \
    const __m512i i2 = _mm512_loadu_si512(oc_lp_fold_idx[2][0]), j2 = _mm512_loadu_si512(oc_lp_fold_idx[2][1]); \
    c[0] = ADD(PERM(b[0], i2, b[1]), PERM(b[0], j2, b[1]));                                 \
    c[1] = ADD(PERM(b[2], i2, ZERO), PERM(b[2], j2, ZERO));                                 \
    const __m512i i3 = _mm512_loadu_si512(oc_lp_fold_idx[3][0]), j3 = _mm512_loadu_si512(oc_lp_fold_idx[3][1]); \
    return ADD(PERM(c[0], i3, c[1]), PERM(c[0], j3, c[1]));                                 \
  }
OC_LP_HSUM10(oc_lp_hsum10_ps, __m512, _mm512_permutex2var_ps, _mm512_add_ps, _mm512_setzero_ps())
OC_LP_HSUM10(oc_lp_hsum10_epi32, __m512i, _mm512_permutex2var_epi32, _mm512_add_epi32, _mm512_setzero_si512())

/* bf16: the sums so far (unless FIRST), then on LAST bias and activation (softmax
 * when the tile holds whole rows), stored to the tile's nc filters of a row. */
OC_LP_INLINE void oc_lp_store_f32(__m512 v, float *y, const orthoconv_lp_tile *t) {
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

/* int8: dot sums v of q (or of q - off, for kernels that shift q, off = 128 then)
 * times w: FIRST adds (off - zp) colsum, the zero point folded in; later blocks add
 * the partial sums y holds. Not LAST: stored back as int32 bits; LAST: the
 * header's formula, one rounding per operation, then the activation. */
OC_LP_INLINE void oc_lp_store_q8(__m512i v, float *y, const orthoconv_lp_tile *t, int32_t off) {
  const __mmask16 m = orthoconv_avx512_mask(t->nc);
  if (t->flags & ORTHOCONV_TILE_FIRST)
    v = _mm512_add_epi32(v, _mm512_mullo_epi32(_mm512_set1_epi32(off - t->zp), _mm512_maskz_loadu_epi32(m, t->colsum)));
  else
    v = _mm512_add_epi32(v, _mm512_maskz_loadu_epi32(m, y));
  if (!(t->flags & ORTHOCONV_TILE_LAST)) {
    _mm512_mask_storeu_epi32(y, m, v);
    return;
  }
  const __m512 s = _mm512_mul_ps(_mm512_set1_ps(t->x_scale), _mm512_maskz_loadu_ps(m, t->w_scale));
  __m512 f = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(v), s), _mm512_maskz_loadu_ps(m, t->bias));
  if (t->act == ORTHOCONV_ACT_SOFTMAX) {
    if (t->flags & ORTHOCONV_TILE_ROW) f = orthoconv_avx512_softmax16(f, m);
  } else if (t->act != ORTHOCONV_ACT_NONE) {
    f = orthoconv_avx512_act_elem(f, t->act);
  }
  _mm512_mask_storeu_ps(y, m, f);
}

/* The frame of every AVX-512 dot tile of 2 rows x 10 filters (a 1-row instance
 * for M = 1 and odd M): per block of B k, one X vector per row (LOADX; TAILX for
 * the last kc % B k: X rows are not padded) reused by all 10 filters, one W
 * vector per filter (LOADW at B elements a filter: the KBLK layouts), MAC into
 * the (row, filter) accumulator; the prefetch cursor advances on every block
 * whose index has PFMASK's bits set (once per 128 bytes of X of the two rows);
 * HSUM reduces a row's accumulators, STORE(v, y, t) finishes and stores it. */
#define OC_LP_DOT512_STEP(XV0, XV1, MAC, LOADW, WP, B)                                             \
  do {                                                                                             \
    const __typeof__(XV0) xv0 = XV0, xv1 = MR > 1 ? XV1 : xv0;                                     \
    _Pragma("GCC unroll 10") for (int n = 0; n < OC_LP_NR; n++) {                                  \
      __typeof__(LOADW(WP)) wv = LOADW(WP + (B) * n);                                              \
      /* one load feeds both rows: keep the compiler from folding it twice */                      \
      if (MR > 1) __asm__("" : "+v"(wv));                                                          \
      a0[n] = MAC(a0[n], xv0, wv);                                                                 \
      if (MR > 1) a1[n] = MAC(a1[n], xv1, wv);                                                     \
    }                                                                                              \
  } while (0)
#define OC_LP_DOT512(FN, ACC, ZERO, XE, LOADX, TAILX, WE, LOADW, MAC, B, PFMASK, HSUM, STORE)          \
  OC_LP_INLINE void FN##_rows(const int MR, const orthoconv_lp_tile *t) {                          \
    ACC a0[OC_LP_NR], a1[OC_LP_NR];                                                                \
    _Pragma("GCC unroll 10") for (int n = 0; n < OC_LP_NR; n++) a0[n] = a1[n] = ZERO;             \
    const XE *x0 = t->x, *x1 = MR > 1 ? x0 + t->ldx : x0;                                          \
    const WE *w = t->w;                                                                            \
    orthoconv_lp_pf *pf = t->pf;                                                                   \
    const size_t nkb = t->kc / (B), tail = t->kc % (B);                                            \
    for (size_t kb = 0; kb < nkb; kb++) {                                                          \
      const WE *wk = w + kb * t->ldw;                                                              \
      OC_LP_DOT512_STEP(LOADX(x0 + (B) * kb), LOADX(x1 + (B) * kb), MAC, LOADW, wk, B);            \
      if (pf && (kb & (PFMASK)) == (PFMASK)) orthoconv_lp_pf_advance(pf);                          \
    }                                                                                              \
    if (tail) {                                                                                    \
      const WE *wk = w + nkb * t->ldw;                                                             \
      OC_LP_DOT512_STEP(TAILX(x0 + (B) * nkb, tail), TAILX(x1 + (B) * nkb, tail), MAC, LOADW, wk, B); \
    }                                                                                              \
    /* Both rows reduced before any store: the epilogue may call SLEEF, which       \
     * clobbers every vector register, and 20 live accumulators would spill. */     \
    const __typeof__(HSUM(a0)) r0 = HSUM(a0), r1 = MR > 1 ? HSUM(a1) : r0;                        \
    STORE(r0, t->y, t);                                                                            \
    if (MR > 1) STORE(r1, t->y + t->ldy, t);                                                       \
  }                                                                                                \
  void FN(const orthoconv_lp_tile *t) {                                                            \
    if (t->mr > 1) FN##_rows(2, t);                                                                \
    else FN##_rows(1, t);                                                                          \
  }

#define OC_LP_STORE_Q8(v, y, t) oc_lp_store_q8(v, y, t, 0)
#endif
