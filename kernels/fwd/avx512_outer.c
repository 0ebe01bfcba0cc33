/* AVX-512 forward microkernel, outer-product (broadcast) formulation, on W as K x N
 * rows (the caller's layout, any row stride): the GEMM libraries' tile, for N well
 * past 10, where every lane of a W row vector is a filter.
 *
 * Per k: NV vectors of one W row (masked past nc only where a whole vector would
 * leave the tile's block of W) and one broadcast x per row, MR x NV FMAs. 8 x 32
 * is 16 accumulators + 2 W vectors + 1 broadcast, 10 loads per 16 FMAs, at the
 * FMA pipes' rate while the kc x 32 block of W stays in L1 (88-90% of the
 * measured FMA peak at K=512 N=64 and K=2048 N=1000, Zen 5 class; 0.93-0.97 on
 * an Intel Xeon since the plain W loads). More rows (14 x 32 fills 31 registers)
 * lose when rows of X are 4 KiB apart or a multiple of it (K = 1024, 2048):
 * 14 rows' lines share one L1 set of 12 ways, and the broadcasts miss every k
 * (measured 0.6-0.8x of 8 rows at K = 2048). Shorter tiles (M tails, small M) use the narrowest
 * instance that holds them, rows past mr aliased to the last real row. Enough
 * sums in flight for the FMA latency: fewer than 4 rows split k over 4 chains
 * (8 for one row one vector wide: 1.04-1.06x at M = 1, N = 16); 4 and 8 rows one
 * vector wide over 2 (8 chains of one FMA per k sat at the latency's limit; with
 * the shorter tile end below, 1.07-1.09x at K x N = 64 x 16 on the Xeon); 12 rows
 * and the wide tiles are enough alone. The driver keeps
 * kc <= 256 (the list line's range), so each accumulator sums at most 256 terms
 * and the partial sums meet in y: the rounding error grows like kc + K / kc. */
#include <immintrin.h>
#include <stdint.h>
#include "ukernel_decls.h"
#include "avx512_act.h"
#include "act/act.h"
#include "pf_cursor.h"

#define OC_INLINE static inline __attribute__((always_inline))

/* The activation over the stored tile, row by row while it is in L1, by the act
 * module's row pass: one copy of the SLEEF epilogue for every AVX-512 tile. */
static void act_rows(const orthoconv_fwd_tile *t) { orthoconv_act_rows__avx512(t->mr, t->nc, t->y, t->ldy, t->act); }

/* The driver's prefetch of the next block of rows (tunable pf): n lines, at the
 * rate the tile reads X (a line of each of its rows per 16 k). Out of line: once
 * per 16 k, not worth a copy in every instance. */
__attribute__((noinline, noclone)) static void pf_lines(orthoconv_pf_cursor *c, int n) {
  for (int i = 0; i < n; i += 2) orthoconv_pf_advance(c);
}

/* S k of whole W rows from k (S a multiple of CH or CH itself): sums into chain
 * u mod CH, one vector wide through the row pointers xp (then stepped), else at
 * xk + the row offsets xo. */
OC_INLINE void outer_step(const int MR, const int NV, const int CH, const int S, size_t k,
    orthoconv_pf_cursor *pf, const float *xk, const size_t *xo, const float **xp, uintptr_t *wk,
    size_t ldw, __m512 (*acc)[12][4]) {
  if (MR >= 6 && pf && (k & 15) == 0) pf_lines(pf, MR);
#pragma GCC unroll 16
  for (int u = 0; u < S; u++, *wk += ldw * sizeof(float)) {
    __m512 wv[4];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) wv[v] = _mm512_loadu_ps((const float *)*wk + 16 * v);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512 xb = _mm512_set1_ps(NV == 1 ? xp[r][u] : xk[xo[r] + u]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[u % CH][r][v] = _mm512_fmadd_ps(xb, wv[v], acc[u % CH][r][v]);
    }
  }
  if (NV == 1)
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      xp[r] += S;
      __asm__("" : "+r"(xp[r]));
    }
}

/* kfull: the W rows read whole (see the dispatcher below). FULL: the tile has
 * exactly MR rows (no aliasing code). */
OC_INLINE void outer_tile(const int MR, const int NV, const int FULL, const orthoconv_fwd_tile *t, size_t kfull) {
  const int CH = MR > 8 ? 1 : MR >= 4 ? (NV == 1 ? 2 : 1) : NV >= 4 ? 2 : MR * NV == 1 ? 8 : 4;
  const size_t kc = t->kc, ldw = t->ldw, nc = t->nc, mr = FULL ? (size_t)MR : t->mr;
  __mmask16 m[4];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) m[v] = orthoconv_avx512_mask(nc > 16u * v ? nc - 16u * v : 0);
  const float *xr[12];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) xr[r] = t->x + ((size_t)r < mr ? (size_t)r : mr - 1) * t->ldx;
  /* The tile's fields in locals: a masked store may alias anything, and GCC
   * read them again from *t for every row. y and the bias start the first
   * chain, so that the end of the tile is sums and stores alone. */
  const unsigned f = t->flags;
  float *const y0 = t->y;
  const size_t ldy = t->ldy;
  const float *const bias = f & ORTHOCONV_TILE_LAST ? t->bias : NULL;
  __m512 b[4];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) b[v] = bias ? _mm512_maskz_loadu_ps(m[v], bias + 16 * v) : _mm512_setzero_ps();
  __m512 acc[8][12][4];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    const float *yr = y0 + ((size_t)r < mr ? (size_t)r : mr - 1) * ldy;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++)
      acc[0][r][v] = f & ORTHOCONV_TILE_FIRST ? b[v] : _mm512_add_ps(b[v], _mm512_maskz_loadu_ps(m[v], yr + 16 * v));
  }
#pragma GCC unroll 8
  for (int c = 1; c < CH; c++)
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[c][r][v] = _mm512_setzero_ps();
  /* W's row as an address: after a block's last row it lies past W's end when
   * the block starts n0 > 0 floats into a row of W as given, which a pointer
   * may not (C: past one past the end). */
  uintptr_t wk = (uintptr_t)t->w;
  size_t k = 0;
  /* x as one pointer along k plus fixed row offsets: one increment a step (with
   * a pointer per row GCC advanced all 8) */
  size_t xo[12];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) xo[r] = (size_t)(xr[r] - t->x);
  const float *xk = t->x;
  orthoconv_pf_cursor *const pf = t->pf;
  /* One vector wide, each broadcast feeds one FMA and GCC folds it in. At x +
   * row offset (one pointer, an index) an Intel core splits such an FMA into
   * two uops; with a pointer per row (hidden from GCC's induction-variable
   * merging, which would make them offsets again) the FMA is one: 1.12-1.30x
   * at K x N = 64 x 16 to 1024 x 16 (Xeon), and 1.10-1.13x before that with
   * the broadcast as a load of its own. Wider tiles share each broadcast among
   * their FMAs: a separate load, where the index costs nothing. */
  const float *xp[12];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) xp[r] = xr[r];
  /* Several k a step (16 for the 12-row tile, 8 for the other one-vector ones,
   * else 4): the loop's control, the
   * prefetch test and, one vector wide, the row pointers' adds once a step. They
   * take FMA ports' issue slots too: at 1 k a step the 6x64 tile had 9 other
   * uops per 24 FMAs, and one vector wide 2 k a step had 13 per 16. Old and new
   * tile side by side, Xeon: one vector wide 1.02-1.10x at K x N = 100 x 7,
   * 1.15x at 512 x 16; 6x64 1.02-1.08x at M = 3136 (1.00x at 49), 8x32 at
   * K x N = 512 x 32 1.10x, level with libxsmm's kernel (0.97-1.06x). 16 k a
   * step for 12 rows halves its 12 pointer adds again: 1.02-1.06x at K x N =
   * 64 x 16, 1.06-1.08x at 100 x 7 (0.84 -> 0.88x and 0.88 -> 0.95x of
   * libxsmm's kernel), 1.05x at 256 x 16, for 0.8 KB of code. */
  const int U = NV == 1 ? (MR >= 12 ? 16 : 8) : 4;
  if (NV == 1 ? MR >= 4 : MR >= 6) /* not the 4-row tails of wide tiles: code */
    for (; k + U <= kfull; k += U, xk += U) outer_step(MR, NV, CH, U, k, pf, xk, xo, xp, &wk, ldw, acc);
  /* The steps' remainder and the masked rows: loops, not peeled copies (code). */
#pragma GCC unroll 1
  for (; k + CH <= kfull; k += CH, xk += CH) outer_step(MR, NV, CH, CH, k, pf, xk, xo, xp, &wk, ldw, acc);
#pragma GCC unroll 1
  for (; k < kc; k++, wk += ldw * sizeof(float)) {
    __m512 wv[4];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) wv[v] = _mm512_maskz_loadu_ps(m[v], (const float *)wk + 16 * v);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512 xb = _mm512_set1_ps(xr[r][k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[0][r][v] = _mm512_fmadd_ps(xb, wv[v], acc[0][r][v]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    if ((size_t)r >= mr) break;
    float *y = y0 + (size_t)r * ldy;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      __m512 s = acc[0][r][v];
#pragma GCC unroll 7
      for (int c = 1; c < CH; c++) s = _mm512_add_ps(s, acc[c][r][v]);
      _mm512_mask_storeu_ps(y + 16 * v, m[v], s);
    }
  }
  if ((f & ORTHOCONV_TILE_LAST) && t->act != ORTHOCONV_ACT_NONE &&
      (t->act != ORTHOCONV_ACT_SOFTMAX || (f & ORTHOCONV_TILE_ROW)))
    act_rows(t);
}

/* Instances: outer_RxV for tiles of at most R rows, outer_full_RxV for exactly R. */
#define OC_OUTER(MR, NV) \
  static void outer_##MR##x##NV(const orthoconv_fwd_tile *t, size_t kfull) { outer_tile(MR, NV, 0, t, kfull); }
#define OC_OUTER_FULL(MR, NV) \
  static void outer_full_##MR##x##NV(const orthoconv_fwd_tile *t, size_t kfull) { outer_tile(MR, NV, 1, t, kfull); }
OC_OUTER(1, 1) OC_OUTER(2, 1) OC_OUTER(4, 1) OC_OUTER(8, 1)
OC_OUTER(1, 2) OC_OUTER(2, 2) OC_OUTER(4, 2) OC_OUTER(8, 2)

/* W rows whose whole span of floats lies inside the tile's block, [w, w + (kc -
 * 1) ldw + nc), are read with plain loads (lanes past nc are never stored); only
 * the last rows of a narrow tile need masks. A masked load costs an Intel core a
 * uop on its FMA ports: 0.87 of the FMA peak with masks on every row, 0.93-0.97
 * without (8x32 alone, Xeon model 207). */
static size_t rows_whole(const orthoconv_fwd_tile *t) {
  const size_t span = t->nc > 16 ? 32 : 16;
  const size_t back = span > t->nc ? (span - t->nc + t->ldw - 1) / t->ldw : 0;
  return t->kc > back ? t->kc - back : 0;
}

void orthoconv_fwd_ukernel_8x32__avx512_outer(const orthoconv_fwd_tile *t) {
  static void (*const by_rows[2][4])(const orthoconv_fwd_tile *, size_t) = {
    { outer_1x1, outer_2x1, outer_4x1, outer_8x1 }, { outer_1x2, outer_2x2, outer_4x2, outer_8x2 } };
  const size_t mr = t->mr;
  by_rows[t->nc > 16][mr <= 1 ? 0 : mr <= 2 ? 1 : mr <= 4 ? 2 : 3](t, rows_whole(t));
}

/* N <= 16, 12 rows: each x feeds one FMA, so the tile's height is what shares
 * its W row and its fixed costs; 12 row pointers are as many as the registers
 * hold (GCC keeps W's pointers and the loop counter on the stack instead). One k
 * chain of 12 sums covers the FMA latency. Layers alternated in one process with
 * libxsmm's JIT kernel (Xeon model 207), 12 rows against 8: K x N = 100 x 7
 * 0.85x of libxsmm against 0.74-0.76x at M = 784 and 3136, 0.71x against 0.65x
 * at M = 49; 64 x 16 0.84x against 0.80x, 256 x 16 1.00x against 0.92x (at
 * 8 k a step; 16 k: see outer_tile). Rows 4 KiB apart (K a multiple of 1024) would fill an L1 set with the 12
 * rows' lines, so such tiles and shorter ones run as 8-row tiles. */
OC_OUTER_FULL(12, 1)

void orthoconv_fwd_ukernel_12x16__avx512_outer(const orthoconv_fwd_tile *t) {
  if (t->mr == 12 && t->ldx % 1024) {
    outer_full_12x1(t, rows_whole(t));
    return;
  }
  orthoconv_fwd_tile part = *t;
  for (size_t r = 0; r < t->mr; r += 8) {
    part.mr = t->mr - r < 8 ? t->mr - r : 8;
    part.x = t->x + r * t->ldx;
    part.y = t->y + r * t->ldy;
    orthoconv_fwd_ukernel_8x32__avx512_outer(&part);
  }
}

/* N >= 64: 6 rows x 4 vectors, 24 accumulators and 10 loads per 24 FMAs (8 x 32:
 * per 16). Whole tiles only; M tails and a last, narrower panel go through the
 * 8 x 32 tile, 32 filters at a time (its instances: no code for them here, the
 * library's budget being nearly spent). Against 8 x 32 in one process (two
 * layers bound under two profiles, alternated), Xeon model 207, M = 49 and
 * 3136, K x N = 256 x 64 to 2048 x 1000: 1.00-1.06x while the VM was quiet,
 * 1.01-1.15x in a contended spell, where the core's load ports are scarcer;
 * at M = 1 through the 8 x 32 tile 0.96-0.98x, so one row has a 1 x 64 instance
 * (W's 64-wide panel read in one pass, not two half-row passes): 1.17-1.21x over
 * the halves at K x N = 256 x 64, 512 x 64, 512 x 128 (1.04x at 2048 x 1000). */
OC_OUTER_FULL(6, 4) OC_OUTER_FULL(1, 4)

void orthoconv_fwd_ukernel_6x64__avx512_outer(const orthoconv_fwd_tile *t) {
  if (t->nc == 64 && (t->mr == 6 || t->mr == 1)) {
    (t->mr == 6 ? outer_full_6x4 : outer_full_1x4)(t, t->kc);
    return;
  }
  orthoconv_fwd_tile part = *t;
  part.act = ORTHOCONV_ACT_NONE;
  for (size_t n = 0; n < t->nc; n += 32) {
    part.nc = t->nc - n < 32 ? t->nc - n : 32;
    part.w = t->w + n;
    part.y = t->y + n;
    part.bias = t->bias ? t->bias + n : NULL;
    orthoconv_fwd_ukernel_8x32__avx512_outer(&part);
  }
  if ((t->flags & ORTHOCONV_TILE_LAST) && t->act != ORTHOCONV_ACT_NONE &&
      (t->act != ORTHOCONV_ACT_SOFTMAX || (t->flags & ORTHOCONV_TILE_ROW)))
    act_rows(t);
}
