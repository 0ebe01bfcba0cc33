/* AVX2+FMA forward on W as the caller gives it (K x N row-major), for
 * orthoconv_forward, which must not pack. Broadcast outer product: per k one
 * W row of up to 16 filters (two ymm, vmaskmov so that no byte past the row
 * block is read) and one broadcast x per row, 4 rows x 16 columns = 8
 * accumulators. For N = 10 only 10 of 16 lanes work: the cost of reading W as
 * is. Tiles of fewer than 4 rows split k over 4 chains to hide FMA latency. */
#include <immintrin.h>
#include <stdint.h>
#include "ukernel_decls.h"
#include "avx2_act.h"

#define OC_INLINE static inline __attribute__((always_inline))
#define OC_MR 4
#define OC_KCH 256 /* k per separately summed chunk (a multiple of 4) */

OC_INLINE void tile_kn(const int mr, size_t K, size_t N, size_t n0, const float *x, size_t ldx,
    const float *w, float *y, size_t ldy) {
  const int ch = mr >= 4 ? 1 : 4;
  const size_t nv = N - n0 < 16 ? N - n0 : 16;
  const __m256i m0 = orthoconv_avx2_mask(nv), m1 = orthoconv_avx2_mask(nv > 8 ? nv - 8 : 0);
  /* One chain over all of K would grow its rounding error with K; chunks of
   * OC_KCH k are summed apart, then added up (error ~ OC_KCH + K / OC_KCH).
   * The running totals live on the stack: the tile already needs 11 ymm. */
  __m256 a[4][OC_MR][2], tot[OC_MR][2];
#pragma GCC unroll 4
  for (int r = 0; r < mr; r++) tot[r][0] = tot[r][1] = _mm256_setzero_ps();
  const float *wk = w + n0;
  size_t k = 0;
  for (size_t k0 = 0; k0 < K; k0 += OC_KCH) {
    const size_t kend = K - k0 < OC_KCH ? K : k0 + OC_KCH;
#pragma GCC unroll 4
    for (int c = 0; c < ch; c++)
#pragma GCC unroll 4
      for (int r = 0; r < mr; r++) a[c][r][0] = a[c][r][1] = _mm256_setzero_ps();
    for (; k + ch <= kend; k += ch) {
#pragma GCC unroll 4
      for (int c = 0; c < ch; c++, wk += N) {
        const __m256 w0 = _mm256_maskload_ps(wk, m0), w1 = _mm256_maskload_ps(wk + 8, m1);
#pragma GCC unroll 4
        for (int r = 0; r < mr; r++) {
          const __m256 xv = _mm256_broadcast_ss(x + r * ldx + k + c);
          a[c][r][0] = _mm256_fmadd_ps(xv, w0, a[c][r][0]);
          a[c][r][1] = _mm256_fmadd_ps(xv, w1, a[c][r][1]);
        }
      }
    }
    for (; k < kend; k++, wk += N) {
      const __m256 w0 = _mm256_maskload_ps(wk, m0), w1 = _mm256_maskload_ps(wk + 8, m1);
#pragma GCC unroll 4
      for (int r = 0; r < mr; r++) {
        const __m256 xv = _mm256_broadcast_ss(x + r * ldx + k);
        a[0][r][0] = _mm256_fmadd_ps(xv, w0, a[0][r][0]);
        a[0][r][1] = _mm256_fmadd_ps(xv, w1, a[0][r][1]);
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < mr; r++)
      for (int c = 0; c < ch; c++) {
        tot[r][0] = _mm256_add_ps(tot[r][0], a[c][r][0]);
        tot[r][1] = _mm256_add_ps(tot[r][1], a[c][r][1]);
      }
  }
#pragma GCC unroll 4
  for (int r = 0; r < mr; r++) {
    _mm256_maskstore_ps(y + r * ldy + n0, m0, tot[r][0]);
    _mm256_maskstore_ps(y + r * ldy + n0 + 8, m1, tot[r][1]);
  }
}

void orthoconv_fwd_ukernel_4x16__avx2_bcast(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  (void)t;
  for (size_t m = 0; m < M; m += OC_MR) {
    const size_t mr = M - m < OC_MR ? M - m : OC_MR;
    const float *xb = x + m * ldx;
    float *yb = y + m * ldy;
    for (size_t n0 = 0; n0 < N; n0 += 16) {
      switch (mr) {
      case 1: tile_kn(1, K, N, n0, xb, ldx, w, yb, ldy); break;
      case 2: tile_kn(2, K, N, n0, xb, ldx, w, yb, ldy); break;
      case 3: tile_kn(3, K, N, n0, xb, ldx, w, yb, ldy); break;
      default: tile_kn(4, K, N, n0, xb, ldx, w, yb, ldy); break;
      }
    }
    /* bias and activation while the rows are in L1 */
    for (size_t r = 0; r < mr; r++) orthoconv_avx2_bias_act_row(yb + r * ldy, bias, N, act);
  }
}
