/* AVX-512 Gram matrix and regularizer-gradient product.
 *
 * Gram, G = W^T W, outer product per row of W: filters go in blocks of 16 (one
 * masked vector of a W row); block pair (ib, jb) accumulates, for each filter i
 * of ib, w[k][i] (a broadcast) times the jb vector of row k. Only pairs ib <= jb
 * are computed (G is symmetric) and each value is written to both (i, j) and
 * (j, i), so G is exactly symmetric. For N <= 16 (N = 10) that is one pass over
 * W with N accumulators; below 9 filters two or four row sets run side by side
 * to cover the FMA latency. Sums restart every 256 rows of W and are added into
 * totals ((256 + K/256) eps of error growth instead of K eps).
 *
 * REG_GRAD, grad += W A: 8 rows of W x 16 columns of A per tile, A's rows loaded
 * as masked vectors, W's entries broadcast; only trainable lanes of grad are
 * loaded and stored (masked), so a frozen column is never written. */
#include "ukernel_decls.h"
#include "avx512_ops.h"

#define OC_INLINE ORTHOCONV_AVX512_OPS_INLINE
#define GR_KB 256

/* ---------------------------------------------------------------------- Gram -- */

/* tot[i][0..16) = sum_k w[k][i0 + i] * w[k][j0 .. j0 + 16), lanes masked by cm. */
OC_INLINE void gram_blk(const int NR, size_t K, size_t N, const float *w, size_t i0,
    size_t j0, __mmask16 cm, float tot[16][16]) {
  const int S = NR <= 4 ? 4 : NR <= 8 ? 2 : 1;
  __m512 t[16], acc[4][16];
#pragma GCC unroll 16
  for (int i = 0; i < NR; i++) t[i] = _mm512_setzero_ps();
  for (size_t kb = 0; kb < K; kb += GR_KB) {
    const size_t ke = K - kb < GR_KB ? K : kb + GR_KB;
#pragma GCC unroll 4
    for (int s = 0; s < S; s++)
#pragma GCC unroll 16
      for (int i = 0; i < NR; i++) acc[s][i] = _mm512_setzero_ps();
    size_t k = kb;
    for (; k + S <= ke; k += S) {
#pragma GCC unroll 4
      for (int s = 0; s < S; s++) {
        const float *wr = w + (k + s) * N;
        const __m512 r = _mm512_maskz_loadu_ps(cm, wr + j0);
#pragma GCC unroll 16
        for (int i = 0; i < NR; i++) acc[s][i] = _mm512_fmadd_ps(_mm512_set1_ps(wr[i0 + i]), r, acc[s][i]);
      }
    }
    for (; k < ke; k++) {
      const float *wr = w + k * N;
      const __m512 r = _mm512_maskz_loadu_ps(cm, wr + j0);
#pragma GCC unroll 16
      for (int i = 0; i < NR; i++) acc[0][i] = _mm512_fmadd_ps(_mm512_set1_ps(wr[i0 + i]), r, acc[0][i]);
    }
#pragma GCC unroll 16
    for (int i = 0; i < NR; i++) {
      __m512 s = acc[0][i];
#pragma GCC unroll 4
      for (int q = 1; q < S; q++) s = _mm512_add_ps(s, acc[q][i]);
      t[i] = _mm512_add_ps(t[i], s);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < NR; i++) _mm512_storeu_ps(tot[i], t[i]);
}

typedef void gram_blk_fn(size_t, size_t, const float *, size_t, size_t, __mmask16, float (*)[16]);
#define GRAM_BLK(NR)                                                                \
  static void gram_blk_##NR(size_t K, size_t N, const float *w, size_t i0, size_t j0, \
      __mmask16 cm, float tot[16][16]) {                                            \
    gram_blk(NR, K, N, w, i0, j0, cm, tot);                                         \
  }
GRAM_BLK(1) GRAM_BLK(2) GRAM_BLK(3) GRAM_BLK(4) GRAM_BLK(5) GRAM_BLK(6) GRAM_BLK(7) GRAM_BLK(8)
GRAM_BLK(9) GRAM_BLK(10) GRAM_BLK(11) GRAM_BLK(12) GRAM_BLK(13) GRAM_BLK(14) GRAM_BLK(15) GRAM_BLK(16)
static gram_blk_fn *const gram_blks[16] = {
  gram_blk_1, gram_blk_2, gram_blk_3, gram_blk_4, gram_blk_5, gram_blk_6, gram_blk_7, gram_blk_8,
  gram_blk_9, gram_blk_10, gram_blk_11, gram_blk_12, gram_blk_13, gram_blk_14, gram_blk_15, gram_blk_16,
};

void orthoconv_gram_ukernel_16x16__avx512_syrk(size_t K, size_t N, const float *w, float *g,
    const int *t) {
  (void)t;
  float tot[16][16];
  for (size_t i0 = 0; i0 < N; i0 += 16) {
    const size_t ni = N - i0 < 16 ? N - i0 : 16;
    for (size_t j0 = i0; j0 < N; j0 += 16) {
      const size_t nj = N - j0 < 16 ? N - j0 : 16;
      gram_blks[ni - 1](K, N, w, i0, j0, orthoconv_avx512_ops_tail(nj), tot);
      for (size_t i = 0; i < ni; i++)
        for (size_t j = j0 == i0 ? i : 0; j < nj; j++)
          g[(i0 + i) * N + j0 + j] = g[(j0 + j) * N + i0 + i] = tot[i][j];
    }
  }
}

/* N <= 16 with 8-lane rotations ("rot"). Filters 0-7 (part A) of two rows k,
 * k + 1 share one vector Z = [w[k][0..8) | w[k+1][0..8)] (two masked loads, no
 * shuffle); Z times Z rotated by r lanes within each half accumulates
 * G[l][(l + r) mod 8] in lane l, and r = 0..4 covers every pair of A once: 5
 * FMAs + 4 permutes per 2 rows instead of 16 FMAs. Filters 8..N-1 (part B, nb
 * of them) use the outer product, nb FMAs per row. N = 10: 4.5 FMAs per row of
 * W instead of 10. The two halves of a lane are added at the end. */
OC_INLINE void gram_rot(const int NB, size_t K, size_t N, const float *w, float *g) {
  const size_t na = N < 8 ? N : 8;
  const __mmask16 lo = orthoconv_avx512_ops_tail(na), hi = (__mmask16)(lo << 8);
  const __mmask16 rowm = orthoconv_avx512_ops_tail(N);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i idx[5];
#pragma GCC unroll 5
  for (int r = 0; r < 5; r++)
    idx[r] = _mm512_or_si512(_mm512_and_si512(lane, _mm512_set1_epi32(8)),
                             _mm512_and_si512(_mm512_add_epi32(lane, _mm512_set1_epi32(r)), _mm512_set1_epi32(7)));
  __m512 ta[5], tb[8];
#pragma GCC unroll 5
  for (int r = 0; r < 5; r++) ta[r] = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int b = 0; b < NB; b++) tb[b] = _mm512_setzero_ps();
  for (size_t kb = 0; kb < K; kb += GR_KB) {
    const size_t ke = K - kb < GR_KB ? K : kb + GR_KB;
    __m512 aa[5], ab[8];
#pragma GCC unroll 5
    for (int r = 0; r < 5; r++) aa[r] = _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int b = 0; b < NB; b++) ab[b] = _mm512_setzero_ps();
    size_t k = kb;
    for (; k < ke; k += 2) {
      const float *p = w + k * N;
      const int two = k + 1 < ke;
      /* lane 8 + c reads p[N + c]: column c of row k + 1 */
      const __m512 z0 = _mm512_maskz_loadu_ps(lo, p);
      const __m512 z = two ? _mm512_mask_loadu_ps(z0, hi, p + N - 8) : z0;
      aa[0] = _mm512_fmadd_ps(z, z, aa[0]);
#pragma GCC unroll 4
      for (int r = 1; r < 5; r++) aa[r] = _mm512_fmadd_ps(z, _mm512_permutexvar_ps(idx[r], z), aa[r]);
      if (NB) {
        const __m512 r0 = _mm512_maskz_loadu_ps(rowm, p);
#pragma GCC unroll 8
        for (int b = 0; b < NB; b++) ab[b] = _mm512_fmadd_ps(_mm512_set1_ps(p[8 + b]), r0, ab[b]);
        if (two) {
          const __m512 r1 = _mm512_maskz_loadu_ps(rowm, p + N);
#pragma GCC unroll 8
          for (int b = 0; b < NB; b++) ab[b] = _mm512_fmadd_ps(_mm512_set1_ps(p[N + 8 + b]), r1, ab[b]);
        }
      }
    }
#pragma GCC unroll 5
    for (int r = 0; r < 5; r++) ta[r] = _mm512_add_ps(ta[r], aa[r]);
#pragma GCC unroll 8
    for (int b = 0; b < NB; b++) tb[b] = _mm512_add_ps(tb[b], ab[b]);
  }
  float t[16];
  for (int r = 0; r < 5; r++) {
    _mm512_storeu_ps(t, ta[r]);
    for (size_t l = 0; l < na; l++) {
      const size_t j = (l + (size_t)r) & 7;
      if (j < na) g[l * N + j] = g[j * N + l] = t[l] + t[l + 8];
    }
  }
  for (int b = 0; b < NB; b++) {
    const size_t i = 8 + (size_t)b;
    _mm512_storeu_ps(t, tb[b]);
    for (size_t j = 0; j < N; j++)
      if (j < 8 || j >= i) g[i * N + j] = g[j * N + i] = t[j];
  }
}

typedef void gram_rot_fn(size_t, size_t, const float *, float *);
#define GRAM_ROT(NB) \
  static void gram_rot_##NB(size_t K, size_t N, const float *w, float *g) { gram_rot(NB, K, N, w, g); }
GRAM_ROT(0) GRAM_ROT(1) GRAM_ROT(2) GRAM_ROT(3) GRAM_ROT(4) GRAM_ROT(5) GRAM_ROT(6) GRAM_ROT(7) GRAM_ROT(8)
static gram_rot_fn *const gram_rots[9] = { gram_rot_0, gram_rot_1, gram_rot_2, gram_rot_3, gram_rot_4,
                                           gram_rot_5, gram_rot_6, gram_rot_7, gram_rot_8 };

void orthoconv_gram_ukernel_16x16__avx512_rot(size_t K, size_t N, const float *w, float *g,
    const int *t) {
  (void)t; /* the list line's rule keeps N <= 16 */
  gram_rots[N > 8 ? N - 8 : 0](K, N, w, g);
}

/* ------------------------------------------------------------------ REG_GRAD -- */

#define RG_MR 8

OC_INLINE void reg_tile(const int MR, size_t N, const float *w, const float *a, size_t n0,
    __mmask16 cm, __mmask16 live, float *grad) {
  /* The old rows of grad are read before any store: a masked store of row r
   * overlaps the 64 bytes a load of row r + 1 would read, and that stalls the
   * load until the store retires. */
  __m512 acc[RG_MR], old[RG_MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++) {
    acc[r] = _mm512_setzero_ps();
    old[r] = _mm512_maskz_loadu_ps(live, grad + r * N + n0);
  }
  for (size_t j = 0; j < N; j++) {
    const __m512 av = _mm512_maskz_loadu_ps(cm, a + j * N + n0);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(w[r * N + j]), av, acc[r]);
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++) {
    _mm512_mask_storeu_ps(grad + r * N + n0, live, _mm512_add_ps(old[r], acc[r]));
  }
}

typedef void reg_tile_fn(size_t, const float *, const float *, size_t, __mmask16, __mmask16, float *);
#define REG_TILE(MR)                                                                       \
  static void reg_tile_##MR(size_t N, const float *w, const float *a, size_t n0,            \
      __mmask16 cm, __mmask16 live, float *grad) {                                         \
    reg_tile(MR, N, w, a, n0, cm, live, grad);                                             \
  }
REG_TILE(1) REG_TILE(2) REG_TILE(3) REG_TILE(4) REG_TILE(5) REG_TILE(6) REG_TILE(7)
static reg_tile_fn *const reg_tiles[RG_MR - 1] = { reg_tile_1, reg_tile_2, reg_tile_3, reg_tile_4,
                                                    reg_tile_5, reg_tile_6, reg_tile_7 };

/* nt whole tiles of 8 rows, software-pipelined: the next tile's old rows are
 * read before this tile's stores, so no load waits on an overlapping store. */
static void reg_run8(size_t nt, size_t N, const float *w, const float *a, size_t n0,
    __mmask16 cm, __mmask16 live, float *grad) {
  __m512 old[RG_MR];
#pragma GCC unroll 8
  for (int r = 0; r < RG_MR; r++) old[r] = _mm512_maskz_loadu_ps(live, grad + r * N + n0);
  for (size_t i = 0; i < nt; i++, w += RG_MR * N, grad += RG_MR * N) {
    __m512 acc[RG_MR];
#pragma GCC unroll 8
    for (int r = 0; r < RG_MR; r++) acc[r] = _mm512_setzero_ps();
    for (size_t j = 0; j < N; j++) {
      const __m512 av = _mm512_maskz_loadu_ps(cm, a + j * N + n0);
#pragma GCC unroll 8
      for (int r = 0; r < RG_MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(w[r * N + j]), av, acc[r]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < RG_MR; r++) acc[r] = _mm512_add_ps(old[r], acc[r]);
    if (i + 1 < nt)
#pragma GCC unroll 8
      for (int r = 0; r < RG_MR; r++) old[r] = _mm512_maskz_loadu_ps(live, grad + (RG_MR + r) * N + n0);
#pragma GCC unroll 8
    for (int r = 0; r < RG_MR; r++) _mm512_mask_storeu_ps(grad + r * N + n0, live, acc[r]);
  }
}

void orthoconv_reg_grad_ukernel_8x16__avx512_bcast(size_t K, size_t N, const float *w,
    const float *a, const unsigned char *trainable, float *grad, const int *t) {
  (void)t;
  for (size_t n0 = 0; n0 < N; n0 += 16) {
    const size_t nc = N - n0 < 16 ? N - n0 : 16;
    const __mmask16 live = orthoconv_avx512_ops_live(trainable, n0, nc);
    if (!live) continue; /* all 16 filters frozen: no work at all */
    const __mmask16 cm = orthoconv_avx512_ops_tail(nc);
    const size_t nt = K / RG_MR, k = nt * RG_MR;
    if (nt) reg_run8(nt, N, w, a, n0, cm, live, grad);
    if (k < K) reg_tiles[K - k - 1](N, w + k * N, a, n0, cm, live, grad + k * N);
  }
}
