/* AVX-512 forward microkernel for exactly N = 10 on W as the caller gives it
 * (K x 10 rows, contiguous): 8 consecutive rows of W (8 k x 10 filters) are 80
 * contiguous floats = exactly 5 zmm, so W is read with full vectors and no lane
 * is idle. Vector j lane i holds w[k0 + (16j+i)/10][(16j+i)%10]; the matching x
 * lane is x[k0 + (16j+i)/10], one vpermps of the 8 x values. Each row keeps 5
 * accumulators whose 80 lanes fold to the 10 outputs once at the end (lane p
 * belongs to filter p % 10). 4 rows share each W vector: 20 accumulators + 5 W
 * registers. No packing and no set-up: the small-M raw-W path. */
#include <immintrin.h>
#include "ukernel_decls.h"
#include "avx512_act.h"
#include "act/act.h"

#define OC_INLINE static inline __attribute__((always_inline))
#define OC_FMR 4

/* The activation over the stored tile, by the act module's row pass (one copy of
 * the SLEEF epilogue for every AVX-512 tile); N = 10 is a whole row, softmax
 * included. */
static void act_rows(const orthoconv_fwd_tile *t) { orthoconv_act_rows__avx512(t->mr, 10, t->y, t->ldy, t->act); }

OC_INLINE void flat_tile(const int mr, const orthoconv_fwd_tile *tl, const __m512i *idx) {
  const size_t K = tl->kc, ldx = tl->ldx, ldy = tl->ldy;
  const float *x = tl->x, *w = tl->w;
  float *y = tl->y;
  __m512 a[OC_FMR][5];
#pragma GCC unroll 4
  for (int r = 0; r < (mr > 1 ? mr : 2); r++)
#pragma GCC unroll 5
    for (int j = 0; j < 5; j++) a[r][j] = _mm512_setzero_ps();
  const float *wk = w;
  size_t k = 0;
  if (mr == 1)
    /* One row has 5 sums: alone they would wait on the FMA latency each step,
     * so odd steps go to a second set (a[1]), added in before the fold. */
    for (; k + 16 <= K; k += 16, wk += 160) {
      const __m512 x0 = _mm512_castps256_ps512(_mm256_loadu_ps(x + k));
      const __m512 x1 = _mm512_castps256_ps512(_mm256_loadu_ps(x + k + 8));
#pragma GCC unroll 5
      for (int j = 0; j < 5; j++) {
        a[0][j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(idx[j], x0), _mm512_loadu_ps(wk + 16 * j), a[0][j]);
        a[1][j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(idx[j], x1), _mm512_loadu_ps(wk + 80 + 16 * j), a[1][j]);
      }
    }
  for (; k + 8 <= K; k += 8, wk += 80) {
    __m512 wv[5];
#pragma GCC unroll 5
    for (int j = 0; j < 5; j++) {
      wv[j] = _mm512_loadu_ps(wk + 16 * j);
      /* one load feeds every row: keep it in a register */
      if (mr > 1) __asm__("" : "+v"(wv[j]));
    }
#pragma GCC unroll 4
    for (int r = 0; r < mr; r++) {
      const __m512 xv = _mm512_castps256_ps512(_mm256_loadu_ps(x + r * ldx + k));
#pragma GCC unroll 5
      for (int j = 0; j < 5; j++) a[r][j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(idx[j], xv), wv[j], a[r][j]);
    }
  }
  if (k < K) {
    /* last K % 8 rows of W: 10 (K - k) floats, read masked; x masked too */
    const size_t kt = K - k, nf = 10 * kt;
    __m512 wv[5];
#pragma GCC unroll 5
    for (int j = 0; j < 5; j++)
      wv[j] = _mm512_maskz_loadu_ps(orthoconv_avx512_mask(nf > 16u * j ? nf - 16u * j : 0), wk + 16 * j);
    const __mmask16 xm = orthoconv_avx512_mask(kt);
#pragma GCC unroll 4
    for (int r = 0; r < mr; r++) {
      const __m512 xv = _mm512_maskz_loadu_ps(xm, x + r * ldx + k);
#pragma GCC unroll 5
      for (int j = 0; j < 5; j++) a[r][j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(idx[j], xv), wv[j], a[r][j]);
    }
  }
  if (mr == 1)
#pragma GCC unroll 5
    for (int j = 0; j < 5; j++) a[0][j] = _mm512_add_ps(a[0][j], a[1][j]);
  const __mmask16 m10 = orthoconv_avx512_mask(10);
  const unsigned f = tl->flags;
  const __m512 b = tl->bias && (f & ORTHOCONV_TILE_LAST) ? _mm512_maskz_loadu_ps(m10, tl->bias) : _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int r = 0; r < mr; r++) {
    /* fold: lane p of the 80 belongs to filter p % 10; 8 overlapping reads */
    float t[80];
#pragma GCC unroll 5
    for (int j = 0; j < 5; j++) _mm512_storeu_ps(t + 16 * j, a[r][j]);
    __m512 s0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m10, t), _mm512_maskz_loadu_ps(m10, t + 10));
    __m512 s1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m10, t + 20), _mm512_maskz_loadu_ps(m10, t + 30));
    s0 = _mm512_add_ps(s0, _mm512_add_ps(_mm512_maskz_loadu_ps(m10, t + 40), _mm512_maskz_loadu_ps(m10, t + 50)));
    s1 = _mm512_add_ps(s1, _mm512_add_ps(_mm512_maskz_loadu_ps(m10, t + 60), _mm512_maskz_loadu_ps(m10, t + 70)));
    __m512 v = _mm512_add_ps(_mm512_add_ps(s0, s1), b);
    if (!(f & ORTHOCONV_TILE_FIRST)) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m10, y + r * ldy));
    _mm512_mask_storeu_ps(y + r * ldy, m10, v);
  }
  if ((f & ORTHOCONV_TILE_LAST) && tl->act != ORTHOCONV_ACT_NONE) act_rows(tl);
}

void orthoconv_fwd_ukernel_4x10__avx512_flat(const orthoconv_fwd_tile *t) {
  __m512i idx[5];
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int j = 0; j < 5; j++) {
    /* (16j + i) / 10 without a vector division: exact for 0 <= p < 80 */
    const __m512i p = _mm512_add_epi32(lane, _mm512_set1_epi32(16 * j));
    idx[j] = _mm512_srli_epi32(_mm512_mullo_epi32(p, _mm512_set1_epi32(205)), 11);
  }
  switch (t->mr) {
  case 1: flat_tile(1, t, idx); break;
  case 2: flat_tile(2, t, idx); break;
  case 3: flat_tile(3, t, idx); break;
  default: flat_tile(4, t, idx); break;
  }
}
