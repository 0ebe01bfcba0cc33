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
#include "rank1.h"

#define OC_INLINE ORTHOCONV_AVX512_OPS_INLINE
#define GR_KB 256

/* A broadcast of *p as a load of its own: folded into an FMA at an indexed
 * address (row + i0, row + r N), an Intel core splits the FMA into two uops. */
OC_INLINE __m512 oc_bcast(const float *p) {
  __m512 v = _mm512_set1_ps(*p);
  __asm__("" : "+v"(v));
  return v;
}

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
        /* Row k + s at filter i0 as a pointer of its own, hidden from GCC by an
         * empty asm (else it indexes one pointer again): each FMA takes its
         * broadcast at base + displacement, one fused uop (see oc_bcast). */
        const float *wi = wr + i0;
        __asm__("" : "+r"(wi));
#pragma GCC unroll 16
        for (int i = 0; i < NR; i++) acc[s][i] = _mm512_fmadd_ps(_mm512_set1_ps(wi[i]), r, acc[s][i]);
      }
    }
    for (; k < ke; k++) {
      const float *wr = w + k * N;
      const __m512 r = _mm512_maskz_loadu_ps(cm, wr + j0);
#pragma GCC unroll 16
      for (int i = 0; i < NR; i++) acc[0][i] = _mm512_fmadd_ps(oc_bcast(wr + i0 + i), r, acc[0][i]);
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
/* A block of 5 to 15 filters runs as 8 or 4 and the rest: two passes over W for
 * it, and 10 instances (10 KB of code) fewer. */
GRAM_BLK(1) GRAM_BLK(2) GRAM_BLK(3) GRAM_BLK(4) GRAM_BLK(8) GRAM_BLK(16)
static gram_blk_fn *const gram_blks[4] = { gram_blk_1, gram_blk_2, gram_blk_3, gram_blk_4 };

void orthoconv_gram_ukernel_16x16__avx512_syrk(size_t K, size_t N, const float *w, float *g,
    const int *t) {
  (void)t;
  float tot[16][16];
  for (size_t i0 = 0; i0 < N; i0 += 16) {
    const size_t ni = N - i0 < 16 ? N - i0 : 16;
    for (size_t j0 = i0; j0 < N; j0 += 16) {
      const size_t nj = N - j0 < 16 ? N - j0 : 16;
      const __mmask16 cm = orthoconv_avx512_ops_tail(nj);
      size_t done = 0;
      if (ni == 16) gram_blk_16(K, N, w, i0, j0, cm, tot), done = 16;
      else if (ni >= 8) gram_blk_8(K, N, w, i0, j0, cm, tot), done = 8;
      else if (ni > 4) gram_blk_4(K, N, w, i0, j0, cm, tot), done = 4;
      for (; done < ni; done += 4) { /* the rest, 4 at a time */
        const size_t r = ni - done < 4 ? ni - done : 4;
        gram_blks[r - 1](K, N, w, i0 + done, j0, cm, tot + done);
      }
      for (size_t i = 0; i < ni; i++)
        for (size_t j = j0 == i0 ? i : 0; j < nj; j++)
          g[(i0 + i) * N + j0 + j] = g[(j0 + j) * N + i0 + i] = tot[i][j];
    }
  }
}

/* N <= 16 with 8-lane rotations ("rot"). A vector Z holds 8 filters of row k in
 * lanes 0-7 and 8 filters of row k + 1 in lanes 8-15; Z times Z rotated by r
 * lanes within each half accumulates G[l][(l + r) mod 8] of that half's filters
 * in lane l, and r = 0..4 covers every pair of the 8 once: 5 FMAs + 4 permutes
 * per 2 rows instead of 16 FMAs.
 * N <= 8: both halves hold filters 0..N-1 (masked loads), added at the end.
 * 8 < N <= 16 (nb = N - 8 more filters): one plain load at column nb of row k
 * gives Z = [w[k][nb..N) | w[k+1][0..8)]. Row k's pairs not among its 8 are
 * those with a filter below nb, row k+1's those with a filter from 8: an outer
 * product of nb broadcasts with the row each (the row k + 1 one loaded so that
 * it ends where the row ends: no load leaves the pair of rows). N = 10: 4.5
 * FMAs and 2 permutes per row, no masked load.
 * Four rows per step with two or more sets of sums, so that no sum takes two
 * dependent FMAs per step: the FMA latency never paces the loop. */
OC_INLINE void rot_idx(__m512i idx[5]) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#pragma GCC unroll 5
  for (int r = 0; r < 5; r++)
    idx[r] = _mm512_or_si512(_mm512_and_si512(lane, _mm512_set1_epi32(8)),
                             _mm512_and_si512(_mm512_add_epi32(lane, _mm512_set1_epi32(r)), _mm512_set1_epi32(7)));
}

OC_INLINE void rot_acc(const __m512i idx[5], __m512 z, __m512 aa[5]) {
  aa[0] = _mm512_fmadd_ps(z, z, aa[0]);
#pragma GCC unroll 4
  for (int r = 1; r < 5; r++) aa[r] = _mm512_fmadd_ps(z, _mm512_permutexvar_ps(idx[r], z), aa[r]);
}

/* Sum of w_l w_m over the rows of half h, from the rotation sums t (l, m < 8). */
static float rot_get(const float t[5][16], int h, int l, int m) {
  const int r = (m - l) & 7;
  return r <= 4 ? t[r][8 * h + l] : t[(l - m) & 7][8 * h + m];
}

/* Adds the block sums of one 256-row block into the totals. */
OC_INLINE void rot_fold(const int S, __m512 aa[][5], __m512 ta[5]) {
#pragma GCC unroll 5
  for (int r = 0; r < 5; r++) {
    __m512 v = aa[0][r];
    if (S > 1) v = _mm512_add_ps(v, aa[1][r]);
    ta[r] = _mm512_add_ps(ta[r], v);
  }
}

static void gram_rot8(size_t K, size_t N, const float *w, float *g) {
  const __mmask16 lo = orthoconv_avx512_ops_tail(N), hi = (__mmask16)(lo << 8);
  __m512i idx[5];
  rot_idx(idx);
  __m512 ta[5];
  for (int r = 0; r < 5; r++) ta[r] = _mm512_setzero_ps();
  for (size_t kb = 0; kb < K; kb += GR_KB) {
    const size_t ke = K - kb < GR_KB ? K : kb + GR_KB;
    __m512 aa[2][5];
    for (int h = 0; h < 2; h++)
      for (int r = 0; r < 5; r++) aa[h][r] = _mm512_setzero_ps();
    for (size_t k = kb; k < ke; k += 2) {
      const float *p = w + k * N;
      /* lane 8 + c reads p[N + c]: column c of the next row */
      const __m512 z0 = _mm512_maskz_loadu_ps(lo, p);
      const __m512 z = k + 1 < ke ? _mm512_mask_loadu_ps(z0, hi, p + N - 8) : z0;
      rot_acc(idx, z, aa[(k >> 1) & 1]);
    }
    rot_fold(2, aa, ta);
  }
  float t[5][16];
  for (int r = 0; r < 5; r++) _mm512_storeu_ps(t[r], ta[r]);
  for (int a = 0; a < (int)N; a++)
    for (int c = a; c < (int)N; c++)
      g[a * N + c] = g[c * N + a] = rot_get(t, 0, a, c) + rot_get(t, 1, a, c);
}

/* One pair of rows k (its filters nb..N-1 in Z's low half), k + 1 (0..7, high
 * half); two = 0: row k alone (the last of W). */
OC_INLINE void rot16_pair(const int NB, const float *p, int two, const int tail, const __m512i idx[5],
    __m512 aa[5], __m512 be[8], __m512 bo[8]) {
  const int N = 8 + NB;
  const __m512 z = tail ? _mm512_maskz_loadu_ps(two ? 0xffff : 0x00ff, p + NB) : _mm512_loadu_ps(p + NB);
  rot_acc(idx, z, aa);
  /* row k with every filter of index < nb */
  __m512 x = tail ? _mm512_maskz_loadu_ps(orthoconv_avx512_ops_tail((size_t)N), p) : _mm512_loadu_ps(p);
  /* In a register: GCC would otherwise fold this load into each FMA below and
   * load the broadcast separately, twice the loads, most of them across lines. */
  __asm__("" : "+v"(x));
#pragma GCC unroll 8
  for (int b = 0; b < NB; b++) be[b] = _mm512_fmadd_ps(_mm512_set1_ps(p[b]), x, be[b]);
  if (two) { /* row k + 1 with every filter from 8; its column c in lane 16 - N + c */
    __m512 y = _mm512_loadu_ps(p + 2 * N - 16);
    __asm__("" : "+v"(y));
#pragma GCC unroll 8
    for (int b = 0; b < NB; b++) bo[b] = _mm512_fmadd_ps(_mm512_set1_ps(p[N + 8 + b]), y, bo[b]);
  }
}

OC_INLINE void gram_rot16(const int NB, size_t K, const float *w, float *g) {
  const int N = 8 + NB;
  const int SA = NB > 4 ? 1 : 2, SB = NB <= 2 ? 2 : 1; /* sets of sums (registers) */
  __m512i idx[5];
  rot_idx(idx);
  __m512 ta[5], tbe[8], tbo[8];
#pragma GCC unroll 5
  for (int r = 0; r < 5; r++) ta[r] = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int b = 0; b < NB; b++) tbe[b] = tbo[b] = _mm512_setzero_ps();
  for (size_t kb = 0; kb < K; kb += GR_KB) {
    const size_t ke = K - kb < GR_KB ? K : kb + GR_KB;
    __m512 aa[2][5], be[2][8], bo[2][8];
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
#pragma GCC unroll 5
      for (int r = 0; r < 5; r++) aa[h][r] = _mm512_setzero_ps();
#pragma GCC unroll 8
      for (int b = 0; b < NB; b++) be[h][b] = bo[h][b] = _mm512_setzero_ps();
    }
    size_t k = kb;
    for (; k + 4 <= ke; k += 4) {
      const float *p = w + k * (size_t)N;
      rot16_pair(NB, p, 1, 0, idx, aa[0], be[0], bo[0]);
      rot16_pair(NB, p + 2 * N, 1, 0, idx, aa[SA - 1], be[SB - 1], bo[SB - 1]);
    }
    for (; k < ke; k += 2) rot16_pair(NB, w + k * (size_t)N, k + 1 < ke, 1, idx, aa[0], be[0], bo[0]);
    rot_fold(SA, aa, ta);
#pragma GCC unroll 8
    for (int b = 0; b < NB; b++) {
      tbe[b] = _mm512_add_ps(tbe[b], SB > 1 ? _mm512_add_ps(be[0][b], be[1][b]) : be[0][b]);
      tbo[b] = _mm512_add_ps(tbo[b], SB > 1 ? _mm512_add_ps(bo[0][b], bo[1][b]) : bo[0][b]);
    }
  }
  float t[5][16], e[8][16], o[8][16];
  for (int r = 0; r < 5; r++) _mm512_storeu_ps(t[r], ta[r]);
  for (int b = 0; b < NB; b++) _mm512_storeu_ps(e[b], tbe[b]), _mm512_storeu_ps(o[b], tbo[b]);
  for (int a = 0; a < N; a++)
    for (int c = a; c < N; c++) {
      /* rows k: pairs among nb..N-1 in the low half, the others in e; rows k + 1:
       * pairs among 0..7 in the high half, the others in o */
      const float ev = a >= NB ? rot_get(t, 0, a - NB, c - NB) : e[a][c];
      const float ov = c < 8 ? rot_get(t, 1, a, c) : o[c - 8][16 - N + a];
      g[a * N + c] = g[c * N + a] = ev + ov;
    }
}

typedef void gram_rot_fn(size_t, const float *, float *);
#define GRAM_ROT(NB) \
  static void gram_rot_##NB(size_t K, const float *w, float *g) { gram_rot16(NB, K, w, g); }
GRAM_ROT(1) GRAM_ROT(2) GRAM_ROT(3) GRAM_ROT(4) GRAM_ROT(5) GRAM_ROT(6) GRAM_ROT(7) GRAM_ROT(8)
static gram_rot_fn *const gram_rots[8] = { gram_rot_1, gram_rot_2, gram_rot_3, gram_rot_4,
                                           gram_rot_5, gram_rot_6, gram_rot_7, gram_rot_8 };

void orthoconv_gram_ukernel_16x16__avx512_rot(size_t K, size_t N, const float *w, float *g,
    const int *t) {
  (void)t; /* the list line's rule keeps N <= 16 */
  if (N <= 8) gram_rot8(K, N, w, g);
  else gram_rots[N - 9](K, w, g);
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
    for (int r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(oc_bcast(w + r * N + j), av, acc[r]);
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
REG_TILE(1) REG_TILE(2) REG_TILE(4)

/* The last R < 8 rows as tiles of 4, 2 and 1: a tail of up to 7 rows once per
 * call costs a few dozen cycles more than one tile of R would, and saves the
 * 1.4 KB of code four more tile sizes took. */
static void reg_tail(size_t R, size_t N, const float *w, const float *a, size_t n0, __mmask16 cm,
    __mmask16 live, float *grad) {
  static reg_tile_fn *const tiles[3] = { reg_tile_1, reg_tile_2, reg_tile_4 };
  for (int b = 2; b >= 0; b--)
    if (R & ((size_t)1 << b)) {
      tiles[b](N, w, a, n0, cm, live, grad);
      w += ((size_t)1 << b) * N, grad += ((size_t)1 << b) * N;
    }
}

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
      for (int r = 0; r < RG_MR; r++) acc[r] = _mm512_fmadd_ps(oc_bcast(w + r * N + j), av, acc[r]);
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

/* N = 10 at 15 of 16 lanes ("flat"). Six rows of grad are 60 floats, four
 * vectors of 16, 14, 16 and 14 lanes, each within two rows: lane l of vector v
 * holds grad[r][n] with 10 r + n = o_v + l (o_v = 0, 16, 30, 46). Its sum over j
 * of W[r][j] A[j][n] takes, per j, one FMA of two vectors: A[j][n(l)] (a pattern
 * fixed per (v, j), built once per call) and W[r(l)][j], gathered by one
 * one-source permute of a 16-float window of the vector's two W rows (j < 6 at
 * the rows' start, j >= 6 six floats on). 40 FMAs + 40 permutes per 6 rows
 * instead of 60 FMAs on 10 of 16 lanes, and grad is read and written as 4
 * vectors, not 6 masked rows. (Eight rows in five whole vectors put two of them
 * across three rows: two-source permutes, which on Zen 5 take an FMA pipe.) */
#define RF_N 10
#define RF_ROWS 6
#define RF_VECS 4

typedef struct reg_flat {
  __m512 ap[RF_VECS][RF_N];   /* A[j][n(l)] of vector v, zero in frozen and unused lanes */
  __mmask16 live[RF_VECS];    /* lanes of trainable columns */
} reg_flat;

OC_INLINE int rf_off(int v) { return v * 15 + (v & 1); } /* 0, 16, 30, 46 */
OC_INLINE int rf_row0(int v) { return 3 * (v >> 1) + (v & 1); } /* 0, 1, 3, 4 */
OC_INLINE __mmask16 rf_lanes(int v) { return v & 1 ? 0x3fff : 0xffff; }

static void reg_flat_setup(const float *a, const unsigned char *trainable, reg_flat *f) {
  const __m512i live10 = _mm512_set1_epi32((int)orthoconv_avx512_ops_live(trainable, 0, RF_N));
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i col[RF_VECS];
  for (int v = 0; v < RF_VECS; v++) {
    /* column (o_v + l) mod 10 */
    const __m512i pos = _mm512_add_epi32(lane, _mm512_set1_epi32(rf_off(v) - RF_N * rf_row0(v)));
    col[v] = _mm512_mask_sub_epi32(pos, _mm512_cmpge_epi32_mask(pos, _mm512_set1_epi32(RF_N)), pos,
                                   _mm512_set1_epi32(RF_N));
    f->live[v] = _mm512_mask_test_epi32_mask(rf_lanes(v), _mm512_sllv_epi32(_mm512_set1_epi32(1), col[v]),
                                             live10);
  }
  for (int j = 0; j < RF_N; j++) {
    const __m512 row = _mm512_maskz_loadu_ps(0x3ff, a + j * RF_N);
    for (int v = 0; v < RF_VECS; v++) f->ap[v][j] = _mm512_maskz_permutexvar_ps(f->live[v], col[v], row);
  }
}

/* Vector v of every whole 6-row tile, one pass: its 10 A patterns and 10 window
 * indices stay in registers for the whole pass (all four vectors' would not fit). */
OC_INLINE void reg_flat_pass(const int v, const reg_flat *f, size_t nt, const float *w, float *grad) {
  const int r0 = rf_row0(v);
  /* lane l reads row r(l) - r0 of the window: offset 10 (r(l) - r0) + j */
  const __m512i pos = _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                       _mm512_set1_epi32(rf_off(v) - RF_N * r0));
  const __m512i ten = _mm512_set1_epi32(RF_N);
  const __m512i off = _mm512_maskz_mov_epi32(_mm512_cmpge_epi32_mask(pos, ten), ten);
  __m512 ap[RF_N];
  __m512i idx[RF_N];
#pragma GCC unroll 10
  for (int j = 0; j < RF_N; j++) {
    ap[j] = f->ap[v][j];
    /* j >= 6 read the second window, 6 floats on, at j - 6 */
    idx[j] = _mm512_add_epi32(off, _mm512_set1_epi32(j < 6 ? j : j - 6));
  }
  const __mmask16 live = f->live[v];
  /* the second window must not read past the tile's 60 floats */
  const __mmask16 hi2 = orthoconv_avx512_ops_tail((size_t)(RF_ROWS * RF_N - (RF_N * r0 + 6)));
  w += RF_N * r0;
  grad += rf_off(v);
  for (size_t i = 0; i < nt; i++, w += RF_ROWS * RF_N, grad += RF_ROWS * RF_N) {
    __m512 acc0 = _mm512_maskz_loadu_ps(live, grad), acc1 = _mm512_setzero_ps();
    const __m512 lo = _mm512_loadu_ps(w), hi = _mm512_maskz_loadu_ps(hi2, w + 6);
#pragma GCC unroll 10
    for (int j = 0; j < RF_N; j++) {
      const __m512 wf = _mm512_permutexvar_ps(idx[j], j < 6 ? lo : hi);
      if (j & 1) acc1 = _mm512_fmadd_ps(wf, ap[j], acc1);
      else acc0 = _mm512_fmadd_ps(wf, ap[j], acc0);
    }
    _mm512_mask_storeu_ps(grad, live, _mm512_add_ps(acc0, acc1));
  }
}

static void reg_flat10(size_t K, const float *w, const float *a, const unsigned char *trainable,
    float *grad) {
  reg_flat f;
  reg_flat_setup(a, trainable, &f);
  const size_t nt = K / RF_ROWS;
  reg_flat_pass(0, &f, nt, w, grad);
  reg_flat_pass(1, &f, nt, w, grad);
  reg_flat_pass(2, &f, nt, w, grad);
  reg_flat_pass(3, &f, nt, w, grad);
  const size_t k = nt * RF_ROWS;
  const __mmask16 live = orthoconv_avx512_ops_live(trainable, 0, RF_N);
  reg_tail(K - k, RF_N, w + k * RF_N, a, 0, orthoconv_avx512_ops_tail(RF_N), live, grad + k * RF_N);
}

void orthoconv_reg_grad_ukernel_8x16__avx512_bcast(size_t K, size_t N, const float *w,
    const float *a, const unsigned char *trainable, float *grad, const int *t) {
  (void)t;
  if (N == RF_N && K >= RF_ROWS) {
    if (orthoconv_avx512_ops_live(trainable, 0, RF_N)) reg_flat10(K, w, a, trainable, grad);
    return;
  }
  for (size_t n0 = 0; n0 < N; n0 += 16) {
    const size_t nc = N - n0 < 16 ? N - n0 : 16;
    const __mmask16 live = orthoconv_avx512_ops_live(trainable, n0, nc);
    if (!live) continue; /* all 16 filters frozen: no work at all */
    const __mmask16 cm = orthoconv_avx512_ops_tail(nc);
    const size_t nt = K / RG_MR, k = nt * RG_MR;
    if (nt) reg_run8(nt, N, w, a, n0, cm, live, grad);
    reg_tail(K - k, N, w + k * N, a, n0, cm, live, grad + k * N);
  }
}

/* N = 10 with W's entries as broadcast operands of the FMAs (loads, no shuffle):
 * a row of grad is one vector of 10 lanes, 8 rows per tile, A's 10 rows in
 * registers for the whole call. 10 FMAs per row at 10 of 16 lanes against the
 * flat tile's 6.7 FMAs and 6.7 permutes: faster where permutes share the FMA
 * ports (Intel's port 5), slower where they have their own (AMD): the default
 * on Intel's cores (dispatch/prefer.c), the tuner's choice elsewhere. */
#define RB_N 10

void orthoconv_reg_grad_ukernel_8x10__avx512_bcast(size_t K, size_t N, const float *w,
    const float *a, const unsigned char *trainable, float *grad, const int *t) {
  (void)N, (void)t; /* the list line's rule keeps N = 10 */
  const __mmask16 live = orthoconv_avx512_ops_live(trainable, 0, RB_N);
  if (!live) return;
  __m512 av[RB_N];
#pragma GCC unroll 10
  for (int j = 0; j < RB_N; j++) av[j] = _mm512_maskz_loadu_ps(live, a + RB_N * j);
  const size_t nt = K / RG_MR;
  __m512 old[RG_MR];
#pragma GCC unroll 8
  for (int r = 0; r < RG_MR; r++) old[r] = nt ? _mm512_maskz_loadu_ps(live, grad + RB_N * r) : _mm512_setzero_ps();
  for (size_t i = 0; i < nt; i++, w += RG_MR * RB_N, grad += RG_MR * RB_N) {
    __m512 acc[RG_MR];
#pragma GCC unroll 8
    for (int r = 0; r < RG_MR; r++) acc[r] = old[r];
#pragma GCC unroll 10
    for (int j = 0; j < RB_N; j++)
#pragma GCC unroll 8
      for (int r = 0; r < RG_MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(w[RB_N * r + j]), av[j], acc[r]);
    /* the next tile's old rows before this tile's stores, as in reg_run8 */
    if (i + 1 < nt)
#pragma GCC unroll 8
      for (int r = 0; r < RG_MR; r++) old[r] = _mm512_maskz_loadu_ps(live, grad + RB_N * (RG_MR + r));
#pragma GCC unroll 8
    for (int r = 0; r < RG_MR; r++) _mm512_mask_storeu_ps(grad + RB_N * r, live, acc[r]);
  }
  reg_tail(K - nt * RG_MR, RB_N, w, a, 0, orthoconv_avx512_ops_tail(RB_N), live, grad);
}

/* ------------------------------------------------------------------- rank one -- */

/* grad += (W v) cv^T a row at a time: its dot over all N, one reduction, then
 * one FMA per 16 columns. N = 10 has the flat path below (rows of 10 floats
 * make masked loads and stores across cache lines, slow on AMD cores, and one
 * reduction per row costs more than the FMAs); this one serves the other N and
 * the last rows. */
static void rank1_rows(size_t R, size_t N, const float *w, const float *v, const float *cv,
    const unsigned char *trainable, float *grad) {
  for (size_t r = 0; r < R; r++) {
    __m512 p = _mm512_setzero_ps();
    for (size_t j = 0; j < N; j += 16) {
      const __mmask16 m = orthoconv_avx512_ops_tail(N - j);
      p = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + r * N + j), _mm512_maskz_loadu_ps(m, v + j), p);
    }
    const __m512 u = _mm512_set1_ps(_mm512_reduce_add_ps(p));
    for (size_t n0 = 0; n0 < N; n0 += 16) {
      const __mmask16 live = orthoconv_avx512_ops_live(trainable, n0, N - n0);
      float *g = grad + r * N + n0;
      _mm512_mask_storeu_ps(g, live, _mm512_fmadd_ps(u, _mm512_maskz_loadu_ps(live, cv + n0), _mm512_maskz_loadu_ps(live, g)));
    }
  }
}

/* N = 10, 16 rows = 160 floats = 10 whole vectors. W v: row r's 10 products from
 * one unmasked load at its start (its 6 other lanes, of row r + 1, zeroed by the
 * masked multiply), summed by the transpose-add tree. The update in flat
 * vectors, as reg_flat: lane l of vector i is grad[r][n] with 10 r + n = 16 i + l;
 * u[r(l)] by a one-source permute, cv[n(l)] a pattern fixed per i mod 5 (zero,
 * and the store masked, in frozen columns). Only blocks with a row after them
 * (the loads read 6 floats past the block) come here. */
static const int rf1_row[10][16] = {
  { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3 },
  { 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4 }, { 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6 },
  { 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 }, { 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9 },
  { 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 11, 11 },
  { 11, 11, 11, 11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12 },
  { 12, 12, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 14, 14, 14, 14 },
  { 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15 },
};

typedef struct rank1_flat { /* the columns of vector i repeat with i mod 5 (80 floats) */
  __m512 cv[5];        /* cv[n(l)] of vector i mod 5, zero in frozen lanes */
  __mmask16 live[5];
} rank1_flat;

OC_INLINE void rank1_flat_block(const rank1_flat *f, const float *w, __m512 vv, float *grad) {
  __m512 p[16];
#pragma GCC unroll 16
  for (int r = 0; r < 16; r++) p[r] = _mm512_maskz_mul_ps(0x3ff, _mm512_loadu_ps(w + RF_N * r), vv);
  const __m512 u = orthoconv_avx512_ops_hsum_many(p, 16);
#pragma GCC unroll 10
  for (int i = 0; i < 10; i++) {
    const __m512 ur = _mm512_permutexvar_ps(_mm512_loadu_si512(rf1_row[i]), u);
    const __m512 g = _mm512_fmadd_ps(ur, f->cv[i % 5], _mm512_loadu_ps(grad + 16 * i));
    _mm512_mask_storeu_ps(grad + 16 * i, f->live[i % 5], g);
  }
}

void orthoconv_rank1__avx512(size_t K, size_t N, const float *w, const float *v, const float *cv,
    const unsigned char *trainable, float *grad) {
  size_t k = 0;
  if (N == RF_N) {
    const __mmask16 live10 = orthoconv_avx512_ops_live(trainable, 0, RF_N);
    if (!live10) return;
    rank1_flat f;
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 c10 = _mm512_maskz_loadu_ps(live10, cv);
    for (int i = 0; i < 5; i++) { /* column (16 i + l) mod 10 */
      __m512i col = _mm512_add_epi32(lane, _mm512_set1_epi32((16 * i) % RF_N));
      col = _mm512_mask_sub_epi32(col, _mm512_cmpge_epi32_mask(col, _mm512_set1_epi32(RF_N)), col,
                                  _mm512_set1_epi32(RF_N));
      col = _mm512_mask_sub_epi32(col, _mm512_cmpge_epi32_mask(col, _mm512_set1_epi32(RF_N)), col,
                                  _mm512_set1_epi32(RF_N));
      f.live[i] = _mm512_test_epi32_mask(_mm512_sllv_epi32(_mm512_set1_epi32(1), col), _mm512_set1_epi32(live10));
      f.cv[i] = _mm512_maskz_permutexvar_ps(f.live[i], col, c10);
    }
    const __m512 vv = _mm512_maskz_loadu_ps(0x3ff, v);
    for (; k + 17 <= K; k += 16) rank1_flat_block(&f, w + k * RF_N, vv, grad + k * RF_N);
  }
  rank1_rows(K - k, N, w + k * N, v, cv, trainable, grad + k * N);
}
