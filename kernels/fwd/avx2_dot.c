/* AVX2+FMA forward microkernel on the K16 packed layout, dot-product formulation.
 *
 * As in the AVX-512 variant every lane accumulates partial sums along k, so no
 * lane is wasted for N = 10; with 16 ymm registers the register tile is 2 rows x
 * 5 filters (10 accumulators, 2 X vectors, 1 W vector): per 8 k it loads 7
 * vectors for 10 FMAs. The microkernel's tile is 2 rows x 10 filters, as two
 * register tiles of 5 that reuse the 2 X rows while they are in L1. Packed W
 * holds 10 filters per tile (zero past nc). */
#include <immintrin.h>
#include "ukernel_decls.h"
#include "pf_cursor.h"
#include "avx2_act.h"
#include "avx2_ops.h"

#define OC_INLINE static inline __attribute__((always_inline))
#define OC_NT 5 /* filters per register tile */

/* 8 k of one half (h = 0, 1) of a 16-k block. */
#define OC_HALF(XL0, XL1, h)                                                   \
  do {                                                                         \
    const __m256 xv0 = XL0;                                                    \
    const __m256 xv1 = MR > 1 ? XL1 : xv0;                                     \
    _Pragma("GCC unroll 5") for (int n = 0; n < OC_NT; n++) {                  \
      __m256 wv = _mm256_loadu_ps(wb + 16 * n + 8 * (h));                      \
      /* one load feeds both rows: keep the compiler from folding it twice */  \
      if (MR > 1) __asm__("" : "+x"(wv));                                      \
      a0[n] = _mm256_fmadd_ps(xv0, wv, a0[n]);                                 \
      if (MR > 1) a1[n] = _mm256_fmadd_ps(xv1, wv, a1[n]);                     \
    }                                                                          \
  } while (0)

OC_INLINE void epilogue(__m256 v, float *y, size_t nc, const orthoconv_fwd_tile *t, const float *bias) {
  const __m256i m = orthoconv_avx2_mask(nc);
  if (!(t->flags & ORTHOCONV_TILE_FIRST)) v = _mm256_add_ps(v, _mm256_maskload_ps(y, m));
  if ((t->flags & ORTHOCONV_TILE_LAST) && bias) v = _mm256_add_ps(v, _mm256_maskload_ps(bias, m));
  _mm256_maskstore_ps(y, m, v);
}

/* MR rows x 5 filters (nc of them stored) of the block. */
OC_INLINE void tile5(const int MR, const orthoconv_fwd_tile *t, const float *w, float *y, size_t nc,
    const float *bias, orthoconv_pf_cursor *pf) {
  __m256 a0[OC_NT], a1[OC_NT];
#pragma GCC unroll 5
  for (int n = 0; n < OC_NT; n++) a0[n] = a1[n] = _mm256_setzero_ps();
  const float *x0 = t->x, *x1 = MR > 1 ? t->x + t->ldx : t->x;
  const float *wb = w;
  const size_t kl = t->kc / 16 * 16, ktail = t->kc % 16;
  for (size_t kb = 0; kb < kl / 16; kb++, wb += t->ldw) {
    const float *p0 = x0 + 16 * kb, *p1 = x1 + 16 * kb;
    OC_HALF(_mm256_loadu_ps(p0), _mm256_loadu_ps(p1), 0);
    OC_HALF(_mm256_loadu_ps(p0 + 8), _mm256_loadu_ps(p1 + 8), 1);
    if (pf) orthoconv_pf_advance(pf);
  }
  if (ktail) {
    /* X rows are not padded: masked loads. The packed W block is zero-padded. */
    const float *p0 = x0 + kl, *p1 = x1 + kl;
    const __m256i m0 = orthoconv_avx2_mask(ktail), m1 = orthoconv_avx2_mask(ktail > 8 ? ktail - 8 : 0);
    OC_HALF(_mm256_maskload_ps(p0, m0), _mm256_maskload_ps(p1, m0), 0);
    OC_HALF(_mm256_maskload_ps(p0 + 8, m1), _mm256_maskload_ps(p1 + 8, m1), 1);
  }
  epilogue(orthoconv_avx2_ops_hsum_many(a0, OC_NT), y, nc, t, bias);
  if (MR > 1) epilogue(orthoconv_avx2_ops_hsum_many(a1, OC_NT), y + t->ldy, nc, t, bias);
}

OC_INLINE void tile10(const int MR, const orthoconv_fwd_tile *t) {
  const size_t nc0 = t->nc < OC_NT ? t->nc : OC_NT;
  tile5(MR, t, t->w, t->y, nc0, t->bias, t->pf);
  if (t->nc > OC_NT) tile5(MR, t, t->w + 16 * OC_NT, t->y + OC_NT, t->nc - OC_NT, t->bias ? t->bias + OC_NT : NULL, NULL);
  if ((t->flags & ORTHOCONV_TILE_LAST) && t->act != ORTHOCONV_ACT_NONE &&
      (t->act != ORTHOCONV_ACT_SOFTMAX || (t->flags & ORTHOCONV_TILE_ROW)))
    for (int r = 0; r < MR; r++) orthoconv_avx2_bias_act_row(t->y + (size_t)r * t->ldy, NULL, t->nc, t->act);
}

void orthoconv_fwd_ukernel_2x10__avx2_dot(const orthoconv_fwd_tile *t) {
  if (t->mr > 1) tile10(2, t);
  else tile10(1, t);
}
