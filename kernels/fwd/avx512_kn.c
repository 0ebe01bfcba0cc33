/* AVX-512 forward on W as the caller gives it (K x N row-major), for
 * orthoconv_forward, which must not pack. Broadcast outer product: per k one
 * (masked) W row of up to 16 filters and one broadcast x per row of the tile,
 * 8 rows x 16 columns = 8 accumulators (two per FMA latency slot). For N = 10
 * only 10 of 16 lanes work, so this tops out near 10/16 of the FMA peak; its
 * merits are no setup cost (M = 1 latency), any N, and no packing.
 * Rows are read k by k in 8 streams; while a block of 8 rows is computed, the
 * next one is prefetched front to back as one sequential stream. */
#include <immintrin.h>
#include <stdint.h>
#include "ukernel_decls.h"
#include "avx512_act.h"

#define OC_INLINE static inline __attribute__((always_inline))
#define OC_MR 8
#define OC_KCH 256 /* k per separately summed chunk (a multiple of 4) */

OC_INLINE void tile_kn(const int mr, const int pf, size_t K, size_t N, size_t n0, __mmask16 cm,
    const float *x, size_t ldx, const float *w, const float *bias, orthoconv_activation act,
    int whole, float *y, size_t ldy, const float *pfx, size_t pf_rows) {
  /* Fewer than 4 rows cannot hide the FMA latency: they split k over 4 chains. */
  const int ch = mr >= 4 ? 1 : 4;
  /* One chain over all of K would grow its rounding error with K; chunks of
   * OC_KCH k are summed apart, then added up (error ~ OC_KCH + K / OC_KCH). */
  __m512 acc[4][OC_MR], tot[OC_MR];
#pragma GCC unroll 8
  for (int r = 0; r < mr; r++) tot[r] = _mm512_setzero_ps();
  const float *wk = w + n0;
  /* prefetch cursor over the next block: pf_rows rows of K floats */
  const float *prow = pfx;
  size_t pcol = 0, prows = pf_rows;
  size_t k = 0;
  for (size_t k0 = 0; k0 < K; k0 += OC_KCH) {
    const size_t kend = K - k0 < OC_KCH ? K : k0 + OC_KCH;
#pragma GCC unroll 4
    for (int c = 0; c < ch; c++)
#pragma GCC unroll 8
      for (int r = 0; r < mr; r++) acc[c][r] = _mm512_setzero_ps();
    for (; k + ch <= kend; k += ch) {
#pragma GCC unroll 4
      for (int c = 0; c < ch; c++, wk += N) {
        const __m512 wv = _mm512_maskz_loadu_ps(cm, wk);
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++)
          acc[c][r] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * ldx + k + c]), wv, acc[c][r]);
      }
      /* the block consumes mr lines of X per 16 k: prefetch as many ahead */
      if (pf && (k & 15) == 15 && prows) {
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) {
          if (!prows) break;
          _mm_prefetch((const char *)(prow + pcol), _MM_HINT_T1);
          pcol += 16;
          if (pcol >= K) {
            pcol = 0;
            prow += ldx;
            prows--;
          }
        }
      }
    }
    for (; k < kend; k++, wk += N) {
      const __m512 wv = _mm512_maskz_loadu_ps(cm, wk);
#pragma GCC unroll 8
      for (int r = 0; r < mr; r++) acc[0][r] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * ldx + k]), wv, acc[0][r]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
      for (int c = 0; c < ch; c++) tot[r] = _mm512_add_ps(tot[r], acc[c][r]);
  }
  const __m512 b = bias ? _mm512_maskz_loadu_ps(cm, bias + n0) : _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int r = 0; r < mr; r++) {
    __m512 v = _mm512_add_ps(tot[r], b);
    if (act == ORTHOCONV_ACT_SOFTMAX) {
      if (whole) v = orthoconv_avx512_softmax16(v, cm);
    } else if (act != ORTHOCONV_ACT_NONE) {
      v = orthoconv_avx512_act_elem(v, act);
    }
    _mm512_mask_storeu_ps(y + r * ldy + n0, cm, v);
  }
}

void orthoconv_fwd_ukernel_8x16__avx512_bcast(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  const int pf = t[0] != 0;
  const int whole = N <= 16;
  for (size_t m = 0; m < M; m += OC_MR) {
    const size_t mr = M - m < OC_MR ? M - m : OC_MR;
    const float *xb = x + m * ldx;
    float *yb = y + m * ldy;
    const size_t nxt = m + OC_MR < M ? M - m - OC_MR : 0;
    const size_t pr = nxt < OC_MR ? nxt : OC_MR;
    for (size_t n0 = 0; n0 < N; n0 += 16) {
      const __mmask16 cm = orthoconv_avx512_mask(N - n0);
      const int p = pf && n0 == 0 && pr > 0;
      const float *pfx = p ? xb + OC_MR * ldx : xb; /* a row of X only if there is one */
      switch (mr) {
#define OC_CASE(c)                                                                               \
  case c:                                                                                        \
    if (p) tile_kn(c, 1, K, N, n0, cm, xb, ldx, w, bias, act, whole, yb, ldy, pfx, pr);          \
    else tile_kn(c, 0, K, N, n0, cm, xb, ldx, w, bias, act, whole, yb, ldy, pfx, 0);             \
    break;
        OC_CASE(1) OC_CASE(2) OC_CASE(3) OC_CASE(4) OC_CASE(5) OC_CASE(6) OC_CASE(7) OC_CASE(8)
#undef OC_CASE
      default:
        break;
      }
    }
    if (act == ORTHOCONV_ACT_SOFTMAX && !whole)
      for (size_t r = 0; r < mr; r++) orthoconv_avx512_act_row(yb + r * ldy, N, act);
  }
}

/* ---- N = 10 on W as given, flat ----------------------------------------------
 * 8 consecutive rows of W (8 k x 10 filters) are 80 contiguous floats = exactly
 * 5 zmm, so W is read with full vectors and no lane is idle. Vector j lane i
 * holds w[k0 + (16j+i)/10][(16j+i)%10]; the matching x lane is x[k0 + (16j+i)/10],
 * one vpermps of the 8 x values. Each row keeps 5 accumulators whose 80 lanes
 * fold to the 10 outputs once at the end (lane p belongs to filter p % 10).
 * 4 rows share each W vector: 20 accumulators + 5 W registers.
 * Other N: the broadcast kernel. */

#define OC_FMR 4

OC_INLINE void flat_tile(const int mr, size_t K, const float *x, size_t ldx, const float *w,
    const float *bias, orthoconv_activation act, float *y, size_t ldy, const __m512i *idx) {
  __m512 a[OC_FMR][5];
#pragma GCC unroll 4
  for (int r = 0; r < mr; r++)
#pragma GCC unroll 5
    for (int j = 0; j < 5; j++) a[r][j] = _mm512_setzero_ps();
  const float *wk = w;
  size_t k = 0;
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
  const __mmask16 m10 = orthoconv_avx512_mask(10);
  const __m512 b = bias ? _mm512_maskz_loadu_ps(m10, bias) : _mm512_setzero_ps();
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
    if (act == ORTHOCONV_ACT_SOFTMAX) v = orthoconv_avx512_softmax16(v, m10);
    else if (act != ORTHOCONV_ACT_NONE) v = orthoconv_avx512_act_elem(v, act);
    _mm512_mask_storeu_ps(y + r * ldy, m10, v);
  }
}

void orthoconv_fwd_ukernel_4x10__avx512_flat(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  if (N != 10) {
    static const int bt[3] = { 1, 0, 0 };
    orthoconv_fwd_ukernel_8x16__avx512_bcast(M, K, N, x, ldx, w, bias, act, y, ldy, bt);
    return;
  }
  (void)t;
  __m512i idx[5];
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int j = 0; j < 5; j++) {
    /* (16j + i) / 10 without a vector division: exact for 0 <= p < 80 */
    const __m512i p = _mm512_add_epi32(lane, _mm512_set1_epi32(16 * j));
    idx[j] = _mm512_srli_epi32(_mm512_mullo_epi32(p, _mm512_set1_epi32(205)), 11);
  }
  size_t m = 0;
  for (; m + OC_FMR <= M; m += OC_FMR)
    flat_tile(OC_FMR, K, x + m * ldx, ldx, w, bias, act, y + m * ldy, ldy, idx);
  switch (M - m) {
  case 1: flat_tile(1, K, x + m * ldx, ldx, w, bias, act, y + m * ldy, ldy, idx); break;
  case 2: flat_tile(2, K, x + m * ldx, ldx, w, bias, act, y + m * ldy, ldy, idx); break;
  case 3: flat_tile(3, K, x + m * ldx, ldx, w, bias, act, y + m * ldy, ldy, idx); break;
  default: break;
  }
}
