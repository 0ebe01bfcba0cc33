/* AVX2 helpers of the bf16 and int8 dot-product tiles (16 ymm registers: a tile
 * of 2 rows x 10 filters runs as two register tiles of 5 filters). Include only
 * from files compiled with the AVX2 flags (plus their extension). */
#ifndef ORTHOCONV_AVX2_LP_H
#define ORTHOCONV_AVX2_LP_H
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "avx2_act.h"
#include "ukernel.h"

#define OC_LP_INLINE static inline __attribute__((always_inline))
#define OC_LP_NT 5 /* filters per register tile */

/* Lane n (n < 5) = the sum of the 8 lanes of v[n]; lanes 5..7 = 0. */
#define OC_LP_HSUM5(NAME, T, HADD, ADD, PERM2, ZERO)                               \
  OC_LP_INLINE T NAME(const T *v) {                                                \
    const T z = ZERO;                                                              \
    const T lo = HADD(HADD(v[0], v[1]), HADD(v[2], v[3]));                         \
    const T hi = HADD(HADD(v[4], z), z);                                           \
    return ADD(PERM2(lo, hi, 0x20), PERM2(lo, hi, 0x31));                          \
  }
OC_LP_HSUM5(oc_lp_hsum5_ps, __m256, _mm256_hadd_ps, _mm256_add_ps, _mm256_permute2f128_ps, _mm256_setzero_ps())
OC_LP_HSUM5(oc_lp_hsum5_epi32, __m256i, _mm256_hadd_epi32, _mm256_add_epi32, _mm256_permute2x128_si256,
    _mm256_setzero_si256())

/* The last bytes of a row's k block: AVX2 has no byte-masked load, so the tail
 * (n < 16 or 32 bytes) is copied into zeros first. */
OC_LP_INLINE __m128i oc_lp_tail16(const void *p, size_t n) {
  unsigned char b[16] = { 0 };
  memcpy(b, p, n);
  return _mm_loadu_si128((const __m128i *)b);
}
OC_LP_INLINE __m256i oc_lp_tail32(const void *p, size_t n) {
  unsigned char b[32] = { 0 };
  memcpy(b, p, n);
  return _mm256_loadu_si256((const __m256i *)b);
}

/* bf16: partial sums of 5 filters of a row (nc of them stored; j0: the first
 * one's index in the tile), bias on LAST; the activation runs over the whole row
 * afterwards (oc_lp_act_rows). */
OC_LP_INLINE void oc_lp_store5_f32(__m256 v, float *y, size_t nc, const orthoconv_lp_tile *t, size_t j0) {
  const __m256i m = orthoconv_avx2_mask(nc);
  if (!(t->flags & ORTHOCONV_TILE_FIRST)) v = _mm256_add_ps(v, _mm256_maskload_ps(y, m));
  if ((t->flags & ORTHOCONV_TILE_LAST) && t->bias) v = _mm256_add_ps(v, _mm256_maskload_ps(t->bias + j0, m));
  _mm256_maskstore_ps(y, m, v);
}

/* int8: as oc_lp_store_q8 of avx512_lp.h for 5 filters (j0: the first one's
 * index in the tile); the activation afterwards. */
OC_LP_INLINE void oc_lp_store5_q8(__m256i v, float *y, size_t nc, const orthoconv_lp_tile *t, size_t j0, int32_t off) {
  const __m256i m = orthoconv_avx2_mask(nc);
  if (t->flags & ORTHOCONV_TILE_FIRST)
    v = _mm256_add_epi32(v, _mm256_mullo_epi32(_mm256_set1_epi32(off - t->zp), _mm256_maskload_epi32(t->colsum + j0, m)));
  else
    v = _mm256_add_epi32(v, _mm256_maskload_epi32((const int *)(const void *)y, m));
  if (!(t->flags & ORTHOCONV_TILE_LAST)) {
    _mm256_maskstore_epi32((int *)(void *)y, m, v);
    return;
  }
  const __m256 s = _mm256_mul_ps(_mm256_set1_ps(t->x_scale), _mm256_maskload_ps(t->w_scale + j0, m));
  const __m256 f = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(v), s), _mm256_maskload_ps(t->bias + j0, m));
  _mm256_maskstore_ps(y, m, f);
}

/* The activation over the tile's rows once both register tiles are stored
 * (softmax only when the tile holds whole rows). */
OC_LP_INLINE void oc_lp_act_rows(const orthoconv_lp_tile *t, int rows) {
  if ((t->flags & ORTHOCONV_TILE_LAST) && t->act != ORTHOCONV_ACT_NONE &&
      (t->act != ORTHOCONV_ACT_SOFTMAX || (t->flags & ORTHOCONV_TILE_ROW)))
    for (int r = 0; r < rows; r++) orthoconv_avx2_bias_act_row(t->y + (size_t)r * t->ldy, NULL, t->nc, t->act);
}

/* The frame of every AVX2 dot tile of 2 rows x 10 filters: two register tiles of
 * 5 filters (10 accumulators, 2 X vectors, 1 W vector of the 16 registers) that
 * reuse the two X rows while they are in L1, then the activation over the rows.
 * Per block of B k: LOADX (TAILX for the kc % B tail) per row, LOADW per filter
 * (B elements a filter: the KBLK layouts), MAC; HSUM reduces a row's 5
 * accumulators, STORE5(v, y, nc, t, j0) finishes and stores them. The prefetch cursor advances on every
 * block whose index has PFMASK's bits set (once per 128 bytes of X). */
#define OC_LP_DOT256_STEP(XV0, XV1, MAC, LOADW, WP, B)                                             \
  do {                                                                                             \
    const __typeof__(XV0) xv0 = XV0, xv1 = MR > 1 ? XV1 : xv0;                                     \
    _Pragma("GCC unroll 5") for (int n = 0; n < OC_LP_NT; n++) {                                   \
      __typeof__(LOADW(WP)) wv = LOADW(WP + (B) * n);                                              \
      if (MR > 1) __asm__("" : "+x"(wv));                                                          \
      a0[n] = MAC(a0[n], xv0, wv);                                                                 \
      if (MR > 1) a1[n] = MAC(a1[n], xv1, wv);                                                     \
    }                                                                                              \
  } while (0)
#define OC_LP_DOT256(FN, ACC, ZERO, XE, LOADX, TAILX, WE, LOADW, MAC, B, PFMASK, HSUM, STORE5)         \
  OC_LP_INLINE void FN##_five(const int MR, const orthoconv_lp_tile *t, const WE *w, float *y, size_t nc, \
      size_t j0, orthoconv_lp_pf *pf) {                                                            \
    ACC a0[OC_LP_NT], a1[OC_LP_NT];                                                                \
    _Pragma("GCC unroll 5") for (int n = 0; n < OC_LP_NT; n++) a0[n] = a1[n] = ZERO;              \
    const XE *x0 = t->x, *x1 = MR > 1 ? x0 + t->ldx : x0;                                          \
    const size_t nkb = t->kc / (B), tail = t->kc % (B);                                            \
    for (size_t kb = 0; kb < nkb; kb++) {                                                          \
      const WE *wk = w + kb * t->ldw;                                                              \
      OC_LP_DOT256_STEP(LOADX(x0 + (B) * kb), LOADX(x1 + (B) * kb), MAC, LOADW, wk, B);            \
      if (pf && (kb & (PFMASK)) == (PFMASK)) orthoconv_lp_pf_advance(pf);                          \
    }                                                                                              \
    if (tail) {                                                                                    \
      const WE *wk = w + nkb * t->ldw;                                                             \
      OC_LP_DOT256_STEP(TAILX(x0 + (B) * nkb, tail), TAILX(x1 + (B) * nkb, tail), MAC, LOADW, wk, B); \
    }                                                                                              \
    const __typeof__(HSUM(a0)) r0 = HSUM(a0), r1 = MR > 1 ? HSUM(a1) : r0;                        \
    STORE5(r0, y, nc, t, j0);                                                                      \
    if (MR > 1) STORE5(r1, y + t->ldy, nc, t, j0);                                                 \
  }                                                                                                \
  OC_LP_INLINE void FN##_rows(const int MR, const orthoconv_lp_tile *t) {                          \
    const WE *w = t->w;                                                                            \
    FN##_five(MR, t, w, t->y, t->nc < OC_LP_NT ? t->nc : OC_LP_NT, 0, t->pf);                      \
    if (t->nc > OC_LP_NT) FN##_five(MR, t, w + (B) * OC_LP_NT, t->y + OC_LP_NT, t->nc - OC_LP_NT, OC_LP_NT, NULL); \
    oc_lp_act_rows(t, MR);                                                                         \
  }                                                                                                \
  void FN(const orthoconv_lp_tile *t) {                                                            \
    if (t->mr > 1) FN##_rows(2, t);                                                                \
    else FN##_rows(1, t);                                                                          \
  }

#define OC_LP_STORE5_Q8(v, y, nc, t, j0) oc_lp_store5_q8(v, y, nc, t, j0, 0)
#endif
