/* AVX2+FMA backward weights: dw = X^T dy for trainable filters, 0 for frozen ones,
 * dbias in a pass of its own over dy. The AVX-512 design (kernels/bwd_weights/
 * avx512.c) on 16 registers: a tile is 16 k (2 vectors) x up to 6 trainable
 * filters, 12 accumulators + 2 x + 1 broadcast. X is walked in L2 blocks of mb
 * rows with the next block prefetched, sums restart every block, totals live in
 * a [filter][k] stack buffer. Tails use vmaskmov, which touches no memory under
 * a clear lane. N > 6 trainable filters: X goes through L2 once per 6. */
#include "frozen.h"
#include "ukernel_decls.h"
#include "avx2_ops.h"

#define OC_INLINE ORTHOCONV_AVX2_OPS_INLINE
#define BW_NT 6
#define BW_KC 512 /* largest k block: 12 KiB of totals on the stack (a call may use 16) */

static const float bw_zeros[16];

typedef struct bw_args {
  size_t M, mlo, mhi, ldx, lddy, pfd;
  const float *x, *dy;
  const size_t *cols;
  __m256i k0, k1;
  int pf;
  const float *tin; /* the totals a tile adds to: its own, or zeros (bw_zeros) */
  size_t tin_ld;    /* their row stride: BW_KC, or 0 for the zeros */
} bw_args;

OC_INLINE void bw_tile(const int NT, const int CONTIG, const bw_args *a, float *tot) {
  __m256 acc[BW_NT][2];
  size_t col[BW_NT];
#pragma GCC unroll 6
  for (int j = 0; j < NT; j++) {
    acc[j][0] = acc[j][1] = _mm256_setzero_ps();
    col[j] = a->cols[j];
  }
  const __m256i k0 = a->k0, k1 = a->k1;
  const size_t ldx = a->ldx, lddy = a->lddy;
  const float *dy0 = a->dy + (CONTIG ? col[0] : 0);
  const size_t mpf = a->pf && a->M > a->pfd ? a->M - a->pfd : 0;
  for (size_t m = a->mlo; m < a->mhi; m++) {
    /* Row pointers from m, not stepped: a step past the last row may overflow
     * (with M == 1 any row stride is valid). */
    const float *xr = a->x + m * ldx, *dr = dy0 + m * lddy;
    const __m256 x0 = _mm256_maskload_ps(xr, k0);
    const __m256 x1 = _mm256_maskload_ps(xr + 8, k1);
    if (m < mpf) _mm_prefetch((const char *)(xr + a->pfd * ldx), _MM_HINT_T1);
#pragma GCC unroll 6
    for (int j = 0; j < NT; j++) {
      const __m256 d = _mm256_broadcast_ss(dr + (CONTIG ? (size_t)j : col[j]));
      acc[j][0] = _mm256_fmadd_ps(x0, d, acc[j][0]);
      acc[j][1] = _mm256_fmadd_ps(x1, d, acc[j][1]);
    }
  }
#pragma GCC unroll 6
  for (int j = 0; j < NT; j++) {
    float *t = tot + (size_t)j * BW_KC;
    const float *ti = a->tin + (size_t)j * a->tin_ld;
    _mm256_storeu_ps(t, _mm256_add_ps(_mm256_loadu_ps(ti), acc[j][0]));
    _mm256_storeu_ps(t + 8, _mm256_add_ps(_mm256_loadu_ps(ti + 8), acc[j][1]));
  }
}

typedef void bw_tile_fn(const bw_args *, float *);
#define BW_TILE(NT, C) \
  static void bw_tile_##NT##_##C(const bw_args *a, float *tot) { bw_tile(NT, C, a, tot); }
#define BW_TILES(NT) BW_TILE(NT, 0) BW_TILE(NT, 1)
BW_TILES(1) BW_TILES(2) BW_TILES(3) BW_TILES(4) BW_TILES(5) BW_TILES(6)
#define BW_ROW(NT) { bw_tile_##NT##_0, bw_tile_##NT##_1 }
/* [nt - 1][contig] */
static bw_tile_fn *const bw_tiles[BW_NT][2] = {
  BW_ROW(1), BW_ROW(2), BW_ROW(3), BW_ROW(4), BW_ROW(5), BW_ROW(6),
};

/* t[0] = k block, t[1] = m block (rows per L2 block), t[2] = prefetch on/off. */
void orthoconv_bwd_weights_ukernel_16x6__avx2_mblk(size_t M, size_t K, size_t N,
    const float *x, size_t ldx, const float *dy, size_t lddy,
    const unsigned char *trainable, float *dw, float *dbias, const int *t) {
  if (M == 0) { /* no m block: nothing would start the totals */
    orthoconv_priv_bwd_weights_zero_all(K, N, dw, dbias);
    return;
  }
  const size_t kc = t[0] >= 16 && t[0] <= BW_KC ? (size_t)t[0] & ~(size_t)15 : BW_KC;
  const size_t mb = t[1] >= 1 ? (size_t)t[1] : 64;
  orthoconv_priv_bwd_weights_zero_frozen(K, N, trainable, dw, dbias);
  float tot[BW_NT][BW_KC];
  size_t cols[BW_NT];
  bw_args a;
  a.M = M;
  a.ldx = ldx;
  a.lddy = lddy;
  a.dy = dy;
  a.cols = cols;
  a.pfd = mb;
  a.pf = t[2] != 0;
  size_t next = 0;
  for (;;) {
    size_t nt = 0;
    while (next < N && nt < BW_NT) {
      if (!trainable || trainable[next]) cols[nt++] = next;
      next++;
    }
    if (nt == 0) break;
    const int contig = cols[nt - 1] - cols[0] == nt - 1;
    if (dbias) orthoconv_priv_bwd_weights_bias(M, mb, dy, lddy, cols, nt, dbias);
    for (size_t k0 = 0; k0 < K; k0 += kc) {
      const size_t kb = K - k0 < kc ? K - k0 : kc;
      for (size_t m0 = 0; m0 < M; m0 += mb) {
        a.mlo = m0;
        a.mhi = M - m0 < mb ? M : m0 + mb;
        for (size_t kk = 0; kk < kb; kk += 16) {
          a.x = x + k0 + kk;
          a.k0 = orthoconv_avx2_ops_tail(kb - kk);
          a.k1 = orthoconv_avx2_ops_tail(kb - kk > 8 ? kb - kk - 8 : 0);
          /* the first m block adds to zeros: no memset of the totals */
          a.tin = m0 == 0 ? bw_zeros : &tot[0][kk];
          a.tin_ld = m0 == 0 ? 0 : BW_KC;
          bw_tiles[nt - 1][contig](&a, &tot[0][kk]);
        }
      }
      for (size_t kk = 0; kk < kb; kk++) {
        float *d = dw + (k0 + kk) * N;
        for (size_t j = 0; j < nt; j++) d[cols[j]] = tot[j][kk];
      }
    }
  }
}
