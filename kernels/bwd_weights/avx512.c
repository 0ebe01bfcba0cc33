/* AVX-512 backward weights: dw = X^T dy for trainable filters, 0 for frozen ones,
 * dbias from dy beside it.
 *
 * A tile is 48 k (3 vectors along a row of X) x 8 to 10 trainable filters, 32 k
 * x 7, 11 or 12, and wider for fewer (BW_KV: 64 k x 6 up to 192 k x 1): per row
 * of X, one load of x per vector, one broadcast of dy per filter and one FMA per vector and
 * filter, so a frozen filter costs nothing (the filters of a chunk are the
 * trainable ones only) and a thinned chunk keeps the FMA density.
 * The accumulators + the x vectors + 1 broadcast fit 32 registers.
 * X is walked in blocks of rows: a tile sweeps the block's rows at its
 * columns, then the next ones, and so on, while the same columns of the next
 * block are prefetched into L2. So X streams through L2 once, every load hits
 * L2, and the sums restart from zero every block ((mb + M/mb) eps of error growth
 * instead of M eps). A tile's totals are its columns' per filter, tile after
 * tile (in a stack buffer per k block, or in dw itself when rows go outermost:
 * see the variant), transposed into rows of dw: at N = 10, 16 rows of dw are 10 whole vectors
 * (plain stores), and with up to 8 trainable filters the transpose works on
 * pairs of rows of 8 totals (24 shuffles instead of 64), which is what lets the
 * cost of a call at small M fall with its frozen filters.
 * dbias: a scalar pass over dy's trainable columns, summed in the same m blocks
 * (it rode along the first tile once: the same additions in the same order, at
 * twice the code of every tile instance).
 * N > 12 trainable filters: X goes through L2 once per 12 of them. */
#include <string.h>
#include "frozen.h"
#include "tiles.h"
#include "ukernel_decls.h"
#include "avx512_ops.h"

#define OC_INLINE ORTHOCONV_AVX512_OPS_INLINE
#define BW_NT ORTHOCONV_BW512_NT
#define BW_KC 256 /* largest k block: 12 KiB of totals on the stack (a call may use 16) */
/* Vectors of 16 k per tile: as many as the registers allow (accumulators + x
 * vectors + a broadcast <= 32). X's rows are 4 KiB apart in the common case,
 * so every row of a tile's columns falls in the same L1 sets, and streaming
 * them from L2 costs per line 2.1, 1.3, 0.93 and 0.66 ns at 2, 4, 8 and 16
 * consecutive lines a row (0.8 at any width with rows 4160 bytes apart;
 * microbenchmark, Zen 5): the wider the tile, the fewer the filters' passes
 * lose to that. 8 to 10 filters take 3 vectors (30 accumulators at 10: the
 * compiler spills a little, and 10 filters at M = 3136 ran 386-397 -> 342-347 us
 * against 2, M = 49 5.39-5.47 -> 5.55). The widths are in tiles.h, which the
 * threaded call reads to cut K into whole tiles. */
#define BW_KV(nt) ORTHOCONV_BW512_KV(nt)
#define BW_KVMAX 12

typedef struct bw_args {
  size_t M, mlo, mhi, ldx, lddy, pfd;
  const float *x, *dy; /* x at column k of the tile, dy at row 0 */
  const size_t *cols;
  const __mmask16 *km; /* masks of the tile's vectors (K tail) */
  int pf;
  /* A tile's totals are 16 KV floats per filter, filter by filter, from tot;
   * they add to tin + j tin_ld: the totals themselves (tin_ld 16 KV), or zeros
   * for the first block of rows (tin_ld 0). */
  const float *tin;
  size_t tin_ld;
} bw_args;

/* tot[j][0..16 KV) += sum over rows [mlo, mhi) of x[m][k..k+16 KV) dy[m][cols[j]].
 * KV grows as the chunk thins (BW_KV), so that its cost falls with its filter
 * count: fewer passes over X, each reading more lines of a row. */
OC_INLINE void bw_tile(const int NT, const int KV, const int CONTIG, const bw_args *a, float *tot) {
  __m512 acc[BW_NT][BW_KVMAX];
  size_t col[BW_NT];
#pragma GCC unroll 12
  for (int j = 0; j < NT; j++) {
#pragma GCC unroll 12
    for (int v = 0; v < KV; v++) acc[j][v] = _mm512_setzero_ps();
    col[j] = a->cols[j];
  }
  __mmask16 km[BW_KVMAX];
#pragma GCC unroll 12
  for (int v = 0; v < KV; v++) km[v] = a->km[v];
  const size_t ldx = a->ldx, lddy = a->lddy;
  const float *dy0 = a->dy + (CONTIG ? col[0] : 0);
  /* rows whose prefetch target (pfd rows on) is still inside X */
  const size_t mpf = a->pf && a->M > a->pfd ? a->M - a->pfd : 0;
  for (size_t m = a->mlo; m < a->mhi; m++) {
    /* Row pointers from m, not stepped: a step past the last row may overflow
     * (with M == 1 any row stride is valid). */
    const float *xr = a->x + m * ldx, *dr = dy0 + m * lddy;
    __m512 xv[BW_KVMAX];
#pragma GCC unroll 12
    for (int v = 0; v < KV; v++) xv[v] = _mm512_maskz_loadu_ps(km[v], xr + 16 * v);
    if (m < mpf)
#pragma GCC unroll 12
      for (int v = 0; v < KV; v++) _mm_prefetch((const char *)(xr + a->pfd * ldx + 16 * v), _MM_HINT_T1);
#pragma GCC unroll 12
    for (int j = 0; j < NT; j++) {
      const __m512 d = _mm512_set1_ps(dr[CONTIG ? (size_t)j : col[j]]);
#pragma GCC unroll 12
      for (int v = 0; v < KV; v++) acc[j][v] = _mm512_fmadd_ps(xv[v], d, acc[j][v]);
    }
  }
#pragma GCC unroll 12
  for (int j = 0; j < NT; j++) {
    float *t = tot + (size_t)j * 16 * KV;
    const float *ti = a->tin + j * a->tin_ld;
#pragma GCC unroll 12
    for (int v = 0; v < KV; v++) _mm512_storeu_ps(t + 16 * v, _mm512_add_ps(_mm512_loadu_ps(ti + 16 * v), acc[j][v]));
  }
}

typedef void bw_tile_fn(const bw_args *, float *);
#define BW_TILE(NT, C) \
  static void bw_tile_##NT##_##C(const bw_args *a, float *tot) { bw_tile(NT, BW_KV(NT), C, a, tot); }
#define BW_TILES(NT) BW_TILE(NT, 0) BW_TILE(NT, 1)
/* Chunks of up to 6 filters broadcast dy through their column indices alone:
 * with 6 index registers and 24 accumulators nothing spills, and the contiguous
 * instances were no faster (M = 49 and 3136, 5 of 10 frozen), at 6 KiB of code.
 * From 7 filters the indices would spill: contiguous chunks keep their own. */
BW_TILE(1, 0) BW_TILE(2, 0) BW_TILE(3, 0) BW_TILE(4, 0) BW_TILE(5, 0) BW_TILE(6, 0)
/* 11 filters run the 12-filter tile with the last column twice (the driver
 * sets cols[11]): 12/11 of the FMAs, for a chunk no layer of ours has, and 2 KiB
 * of code less. The stores read 11 totals. */
BW_TILES(7) BW_TILES(8) BW_TILES(9) BW_TILES(10) BW_TILES(12)
#define BW_ROW(NT) { bw_tile_##NT##_0, bw_tile_##NT##_1 }
#define BW_ROW1(NT) { bw_tile_##NT##_0, bw_tile_##NT##_0 }
/* [nt - 1][contig] */
static bw_tile_fn *const bw_tiles[BW_NT][2] = {
  BW_ROW1(1), BW_ROW1(2), BW_ROW1(3), BW_ROW1(4), BW_ROW1(5), BW_ROW1(6),
  BW_ROW(7), BW_ROW(8), BW_ROW(9), BW_ROW(10), { bw_tile_12_0, bw_tile_12_0 }, BW_ROW(12),
};

/* out[i], out[i + d] <- the even, then the odd 128-bit blocks of in[i] and
 * in[i + d], for each i without bit d. */
OC_INLINE void bw_blocks(const int d, const __m512 in[16], __m512 out[16]) {
#pragma GCC unroll 16
  for (int i = 0; i < 16; i++)
    if (!(i & d)) {
      out[i] = _mm512_shuffle_f32x4(in[i], in[i + d], 0x88);
      out[i + d] = _mm512_shuffle_f32x4(in[i], in[i + d], 0xdd);
    }
}

/* r[i] <- column i of the 16 x 16 matrix of rows r[0..16): 4 stages of 16
 * two-source shuffles (in-lane pairs, in-lane quads, then 128-bit blocks twice). */
OC_INLINE void bw_transpose16(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  /* r[4 i + c], 128-bit block q: rows 4 i .. 4 i + 3 at column 4 q + c */
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
  }
  bw_blocks(4, r, t);
  bw_blocks(8, t, r);
}

/* d[0 .. 16 NF) <- rows r[0..16) of NF floats each, laid end to end: vector f
 * of the block (lanes 16 f .. 16 f + 15, row e / NF, column e % NF) gathers
 * its <= 3 rows with one or two permutes. NF is a constant: r stays in
 * registers and the index vectors are constants. */
OC_INLINE void bw_flat_rows(const int NF, const __m512 r[16], float *d) {
#pragma GCC unroll 16
  for (int f = 0; f < NF; f++) {
    const int ra = 16 * f / NF;
    int lo[16], hi[16];
    __mmask16 third = 0;
#pragma GCC unroll 16
    for (int l = 0; l < 16; l++) {
      const int e = 16 * f + l, rel = e / NF - ra, col = e % NF;
      lo[l] = col + 16 * (rel & 1);
      hi[l] = col;
      if (rel == 2) third |= (__mmask16)(1u << l);
    }
    __m512 v = _mm512_permutex2var_ps(r[ra], _mm512_loadu_si512(lo), r[ra + 1 < 16 ? ra + 1 : 15]);
    if (third) v = _mm512_mask_permutexvar_ps(v, third, _mm512_loadu_si512(hi), r[ra + 2 < 16 ? ra + 2 : 15]);
    _mm512_storeu_ps(d + 16 * f, v);
  }
}

/* p[i] <- rows 2 i and 2 i + 1 of the 16 x 8 block a[0..8) (8 chunk totals of 16
 * k), as 8 unpacks and two 4 x 4 transposes of 128-bit blocks: 24 shuffles
 * where the 16 x 16 transpose takes 64. Total j of row k sits in lane
 * 4 (j >> 1) + 2 (k & 1) + (j & 1) of p[k / 2]. */
OC_INLINE void bw_pairs(const __m512 a[8], __m512 p[8]) {
  __m512 u[8], s[8];
#pragma GCC unroll 4
  for (int g = 0; g < 4; g++) {
    u[g] = _mm512_unpacklo_ps(a[2 * g], a[2 * g + 1]);     /* rows 4 q, 4 q + 1 */
    u[4 + g] = _mm512_unpackhi_ps(a[2 * g], a[2 * g + 1]); /* rows 4 q + 2, 4 q + 3 */
  }
#pragma GCC unroll 2
  for (int h = 0; h < 2; h++) {
    __m512 *v = u + 4 * h, *t = s + 4 * h;
    t[0] = _mm512_shuffle_f32x4(v[0], v[1], 0x44);
    t[1] = _mm512_shuffle_f32x4(v[0], v[1], 0xee);
    t[2] = _mm512_shuffle_f32x4(v[2], v[3], 0x44);
    t[3] = _mm512_shuffle_f32x4(v[2], v[3], 0xee);
    p[h] = _mm512_shuffle_f32x4(t[0], t[2], 0x88);     /* q = 0 */
    p[2 + h] = _mm512_shuffle_f32x4(t[0], t[2], 0xdd); /* q = 1 */
    p[4 + h] = _mm512_shuffle_f32x4(t[1], t[3], 0x88);
    p[6 + h] = _mm512_shuffle_f32x4(t[1], t[3], 0xdd);
  }
}

/* At N = 10 with up to 8 trainable filters: 16 rows of dw are 10 vectors, each
 * made from 2 pairs of rows by one zero-masked permute (zeros in the frozen
 * columns) and written by a plain store. idx/live: per vector, from
 * bw_pair_tables. */
OC_INLINE void bw_store_pairs(const float *const src[BW_NT], size_t kw, size_t skip, size_t nt, const __m512i idx[10],
    const __mmask16 live[10], size_t kb, float *dw) {
  for (size_t kk = 0, at = 0, in = 0; kk + 16 <= kb; kk += 16, at += 16, in += 16) {
    if (in == kw) in = 0, at += skip; /* the next tile's totals */
    __m512 a[8], p[8];
#pragma GCC unroll 8
    for (size_t j = 0; j < 8; j++) a[j] = _mm512_maskz_loadu_ps(j < nt ? 0xffff : 0, src[j < nt ? j : 0] + at);
    bw_pairs(a, p);
    float *d = dw + kk * 10;
#pragma GCC unroll 10
    for (int f = 0; f < 10; f++) {
      const int pa = 16 * f / 10 / 2;
      _mm512_storeu_ps(d + 16 * f, _mm512_maskz_permutex2var_ps(live[f], p[pa], idx[f], p[pa < 7 ? pa + 1 : 7]));
    }
  }
}

/* The permutes of bw_store_pairs for the chunk's columns cols[0..nt), built in
 * vectors: 160 lanes of scalar divisions took 1 KiB of code and 0.1 us a call. */
static void bw_pair_tables(size_t nt, const size_t *cols, __m512i idx[10], __mmask16 live[10]) {
  int jof[16];
  for (size_t c = 0; c < 16; c++) jof[c] = -1;
  for (size_t j = 0; j < nt; j++) jof[cols[j]] = (int)j;
  const __m512i tot_of = _mm512_loadu_si512(jof), one = _mm512_set1_epi32(1);
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
#pragma GCC unroll 1
  for (int f = 0; f < 10; f++) {
    const __m512i e = _mm512_add_epi32(lane, _mm512_set1_epi32(16 * f));
    /* k = e / 10 ((205 e) >> 11 is exact for e < 1029), column e - 10 k */
    const __m512i k = _mm512_srli_epi32(_mm512_mullo_epi32(e, _mm512_set1_epi32(205)), 11);
    const __m512i j = _mm512_permutexvar_epi32(_mm512_sub_epi32(e, _mm512_mullo_epi32(k, _mm512_set1_epi32(10))), tot_of);
    /* bw_pairs's lane of (j, k), + 16 if row k is in the second pair */
    __m512i x = _mm512_add_epi32(_mm512_slli_epi32(_mm512_srli_epi32(j, 1), 2), _mm512_and_si512(j, one));
    x = _mm512_add_epi32(x, _mm512_slli_epi32(_mm512_and_si512(k, one), 1));
    x = _mm512_add_epi32(x, _mm512_slli_epi32(_mm512_sub_epi32(_mm512_srli_epi32(k, 1), _mm512_set1_epi32(16 * f / 10 / 2)), 4));
    idx[f] = x;
    live[f] = _mm512_cmpge_epi32_mask(j, _mm512_setzero_si512());
  }
}

/* Rows k0 .. k0 + kb of dw from the totals of the one chunk that holds every
 * trainable filter (N <= 16), 16 k at a time: chunk filter j's totals of k from
 * src[j] + k + (k / kw) skip (tile by tile), laid out by column (zeros for
 * frozen filters) and transposed in registers into 16 rows of dw.
 * At N = 10 those 16 rows are 10 whole vectors, written by plain stores: a
 * masked store per row (crossing a line 3 rows in 5) cost more than the whole
 * transpose. Other N, and a K tail, store row by row. */
__attribute__((noinline)) static void bw_store_rows(const float *const srcj[BW_NT], size_t kw, size_t skip, size_t nt,
    const size_t *cols, size_t N, size_t klo, size_t kb, float *dw) {
  const float *src[16];
  __mmask16 have = 0;
  for (size_t c = 0; c < 16; c++) src[c] = srcj[0];
  for (size_t j = 0; j < nt; j++) src[cols[j]] = srcj[j], have |= (__mmask16)(1u << cols[j]);
  const __mmask16 row = orthoconv_avx512_ops_tail(N);
  for (size_t kk = klo, at = klo + klo / kw * skip, in = klo % kw; kk < kb; kk += 16, at += 16, in += 16) {
    if (in == kw) in = 0, at += skip; /* the next tile's totals */
    __m512 r[16];
#pragma GCC unroll 16
    for (size_t c = 0; c < 16; c++) r[c] = _mm512_maskz_loadu_ps(have & (1u << c) ? 0xffff : 0, src[c] + at);
    bw_transpose16(r);
    const size_t nr = kb - kk < 16 ? kb - kk : 16;
    float *d = dw + kk * N;
    if (N == 10 && nr == 16) {
      bw_flat_rows(10, r, d);
      continue;
    }
    for (size_t i = 0; i < nr; i++) _mm512_mask_storeu_ps(d + i * N, row, r[i]);
  }
}

static const float bw_zeros[16 * BW_KVMAX];
static const __mmask16 bw_whole[BW_KVMAX] = { 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
                                               0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff };

/* One chunk's tiles (kw columns each) over columns [0, kb) of x, block of mbs
 * rows by block: the totals of columns kk.. at out + kk okm. One copy of the
 * loops: GCC unswitched them on the first block into four calls of the tile
 * (the library's code budget). */
#if defined(__clang__)
#define BW_ONE_LOOP __attribute__((noinline))
#else
#define BW_ONE_LOOP __attribute__((noinline, noclone, optimize("no-unswitch-loops")))
#endif
BW_ONE_LOOP static void bw_sweep(bw_args *a, bw_tile_fn *tile, const float *x, size_t kb, size_t kw,
    size_t mbs, float *out, size_t okm) {
  __mmask16 part[BW_KVMAX]; /* the last tile's, if kb is not whole tiles */
  const size_t last = (kb - 1) / kw * kw;
#pragma GCC unroll 1
  for (size_t v = 0, left = kb - last; v < kw / 16; v++, left = left > 16 ? left - 16 : 0)
    part[v] = orthoconv_avx512_ops_tail(left);
  for (size_t m0 = 0; m0 < a->M; m0 += mbs) {
    a->mlo = m0;
    a->mhi = a->M - m0 < mbs ? a->M : m0 + mbs;
    /* the first block starts the totals from zeros: no memset (a third of an M = 1 call) */
    a->tin_ld = m0 ? kw : 0;
    for (size_t kk = 0; kk < kb; kk += kw) {
      a->x = x + kk;
      a->km = kk == last ? part : bw_whole;
      a->tin = m0 ? out + kk * okm : bw_zeros;
      tile(a, out + kk * okm);
    }
  }
}

/* Rows [0, rows) of dw (from d) out of the totals of whole tiles (kw columns,
 * ntile filters each; chunk filter j's from base + j kw in the first):
 * transposed whole rows, or the chunk's columns alone. */
__attribute__((noinline, noclone)) static void bw_store_block(const float *base, size_t kw, size_t ntile, size_t rows,
    size_t nt, const size_t *cols, size_t N, int whole, int pairs, const __m512i pidx[10], const __mmask16 plive[10],
    float *d) {
  const float *src[BW_NT];
  const size_t skip = (ntile - 1) * kw;
  for (size_t j = 0; j < nt; j++) src[j] = base + j * kw;
  if (pairs) {
    const size_t kp = rows / 16 * 16; /* rows the pairs path writes */
    bw_store_pairs(src, kw, skip, nt, pidx, plive, kp, d);
    if (kp < rows) bw_store_rows(src, kw, skip, nt, cols, N, kp, rows, d);
  } else if (whole) {
    bw_store_rows(src, kw, skip, nt, cols, N, 0, rows, d);
  } else {
    for (size_t r0 = 0; r0 < rows; r0 += kw) /* tile by tile */
      for (size_t r = 0; r < kw && r0 + r < rows; r++)
        for (size_t j = 0; j < nt; j++) d[(r0 + r) * N + cols[j]] = src[j][r0 * ntile + r];
  }
}

/* t[0] = k block (columns of X per pass), t[1] = m block (rows per L2 block),
 * t[2] = prefetch of the next m block into L2 (0 off, 1 on). */
void orthoconv_bwd_weights_ukernel_32x12__avx512_mblk(size_t M, size_t K, size_t N,
    const float *x, size_t ldx, const float *dy, size_t lddy,
    const unsigned char *trainable, float *dw, float *dbias, const int *t) {
  if (M == 0) { /* no m block: nothing would start the totals */
    orthoconv_priv_bwd_weights_zero_all(K, N, dw, dbias);
    return;
  }
  const size_t kc = t[0] >= 32 && t[0] <= BW_KC ? (size_t)t[0] & ~(size_t)31 : BW_KC;
  const size_t mb = t[1] >= 1 ? (size_t)t[1] : 64;
  size_t trained = N;
  if (trainable)
    for (size_t n = trained = 0; n < N; n++) trained += trainable[n] != 0;
  /* one chunk of every trainable filter, N <= 16: rows of dw are written whole */
  const int whole_rows = N <= 16 && trained >= 1 && trained <= BW_NT;
  /* whole rows carry their frozen zeros: then only dbias's are left (no rows) */
  orthoconv_priv_bwd_weights_zero_frozen(whole_rows ? 0 : K, N, trainable, dw, dbias);
  float tot[BW_NT * BW_KC]; /* a k block's totals, or one tile's staged from dw */
  size_t cols[BW_NT];
  bw_args a;
  a.M = M;
  a.ldx = ldx;
  a.lddy = lddy;
  a.dy = dy;
  a.cols = cols;
  a.pfd = mb;
  a.pf = t[2] != 0;
  /* Rows of X outermost when the chunk is every trainable filter and X has more
   * than one block of rows: each block's rows are read whole, left to right,
   * where k blocks outermost read every row in K / kc pieces, one sweep of X
   * each. The totals then span K: they live in dw itself, a tile's k columns
   * (16 KV) per trainable filter where those columns' rows of dw will be, and
   * at the end each such piece goes through the stack buffer into its rows. The
   * columns past the last whole tile take the k-block walk. Its blocks are of
   * mb / 2 rows (32 at the default: about the row streams the L2 prefetcher
   * follows), and so are the sums' blocks of every call that could take it (N
   * <= 16, more than one block of rows), so that a filter's sums do not depend
   * on which others are frozen. Old and new side by side (Xeon model 207, K x N
   * = 1024 x 10, all filters trainable / 5 frozen): 1.40-1.43x / 1.19x with X
   * from DRAM (M = 50176), 1.21-1.30x / 1.09-1.10x from L3 (3136); at N = 16
   * (13 or more trainable: two chunks, the k-block walk in 32-row sums) 1.02x;
   * one block of rows takes the k-block walk as before, 1.00x / 0.96-0.97x at
   * M = 49 and 0.98x / 0.89-0.90x at M = 1 (its tiles' totals now tile by tile,
   * a call more per k block). */
  const int rows_outer = whole_rows && M > mb;
  const size_t mbs = M > mb && N <= 16 ? (mb / 2 < 8 ? 8 : mb / 2) : mb; /* rows per block of sums */
  size_t next = 0; /* first filter not yet given to a chunk */
  for (;;) {
    size_t nt = 0;
    while (next < N && nt < BW_NT) {
      if (!trainable || trainable[next]) cols[nt++] = next;
      next++;
    }
    if (nt == 0) break;
    if (nt == 11) cols[11] = cols[10]; /* the 12-filter tile's twelfth column */
    const int contig = cols[nt - 1] - cols[0] == nt - 1;
    const int pairs = whole_rows && N == 10 && nt <= 8;
    __m512i pidx[10];
    __mmask16 plive[10];
    if (pairs) bw_pair_tables(nt, cols, pidx, plive);
    if (dbias) orthoconv_priv_bwd_weights_bias(M, mb, dy, lddy, cols, nt, dbias);
    const size_t kw = 16 * BW_KV(nt), ntile = nt == 11 ? 12 : nt; /* k and filters per tile */
    bw_tile_fn *const tile = bw_tiles[nt - 1][contig];
    const size_t kwalk = rows_outer && ntile <= N ? K / kw * kw : 0;
    if (kwalk) {
      /* prefetch 128 KB of rows ahead or so: 32 whole rows of K = 1024 (1.02-1.06x
       * over 64), but 64 rows of a 96-column slice of a threaded call (two
       * threads: 1.02-1.04x over 32); the distance changes no bit */
      a.pfd = kwalk >= 512 ? mbs : mb;
      bw_sweep(&a, tile, x, kwalk, kw, mbs, dw, N);
      a.pfd = mb;
      for (size_t kk = 0; kk < kwalk; kk += kw) {
        memcpy(tot, dw + kk * N, ntile * kw * sizeof(float)); /* <= 12 x 192 floats: within tot */
        bw_store_block(tot, kw, ntile, kw, nt, cols, N, 1, pairs, pidx, plive, dw + kk * N);
      }
    }
    /* A chunk of 6 filters or fewer has wider tiles: a k block tuned for 32-k
     * tiles (all 10 filters trainable) would run them partly masked, more passes
     * over X (5 of 10 frozen took 1.3x the all-trainable time under such a profile). */
    const size_t kcc = kc < kw ? kw : kc / kw * kw;
    for (size_t k0 = kwalk; k0 < K; k0 += kcc) {
      const size_t kb = K - k0 < kcc ? K - k0 : kcc;
      bw_sweep(&a, tile, x + k0, kb, kw, mbs, tot, ntile);
      bw_store_block(tot, kw, ntile, kb, nt, cols, N, whole_rows, pairs, pidx, plive, dw + k0 * N);
    }
  }
}
