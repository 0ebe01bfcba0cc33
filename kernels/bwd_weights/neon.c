/* NEON backward weights: dw = X^T dy for trainable filters, 0 for frozen ones.
 *
 * A tile is 8 k (2 vectors along a row of X) x up to 12 trainable filters; each
 * filter owns its own 2 accumulators, so a frozen filter costs nothing at all
 * (skipping is per filter, not per vector of 4 filters). 24 accumulators + 2 x +
 * 3 dy quads = 29 registers. Per row of X: 2 x loads, then either 3 dy quads used
 * in place as FMLA-by-element lanes (when the tile's filters are consecutive, the
 * usual case) or one scalar load per filter (a scattered trainable set).
 * Rows go in chunks of 512, outermost: X is read from memory once, and the chunk
 * sums are added in dw, which keeps fp32 error growth at ~(512 + M/512) eps
 * instead of ~M eps for M in the tens of thousands.
 * dbias is a separate pass over dy (M x N, small next to X).
 * Unmeasured on Arm hardware. */
#include "ukernel_decls.h"
#include "neon_util.h"

#define BWW_MCHUNK 512
#define BWW_NCMAX 12

/* tot[j][0..8) = sum over rows [0, M) of x[m][0..8) * dy[m][cols[j]].
 * CONTIG: cols[j] = cols[0] + j, dy read as quads (rows < msafe full loads).
 * TAIL: fewer than 8 k remain (kb), x read with partial loads. */
ORTHOCONV_NEON_INLINE void bww_tile(const int NC, const int CONTIG, const int TAIL, size_t M,
    size_t kb, const float *x, size_t ldx, const float *dy, size_t lddy, const size_t *cols,
    size_t msafe, float tot[BWW_NCMAX][8]) {
  size_t col[BWW_NCMAX];
  float32x4_t acc[BWW_NCMAX][2];
  ORTHOCONV_NEON_UNROLL
  for (int j = 0; j < NC; j++) {
    col[j] = cols[j];
    acc[j][0] = acc[j][1] = vdupq_n_f32(0.0f);
  }
  const float *dyc = dy + cols[0];
  for (size_t m = 0; m < M; m++) {
    const float *xr = x + m * ldx;
    float32x4_t x0, x1;
    if (TAIL) {
      x0 = orthoconv_neon_ld_part(xr, orthoconv_neon_lanes(kb, 0));
      x1 = orthoconv_neon_ld_part(xr + 4, orthoconv_neon_lanes(kb, 4));
    } else {
      x0 = vld1q_f32(xr);
      x1 = vld1q_f32(xr + 4);
    }
    if (CONTIG) {
      const float *d = dyc + m * lddy;
      float32x4_t dq[3];
      ORTHOCONV_NEON_UNROLL
      for (int v = 0; v < (NC + 3) / 4; v++)
        dq[v] = m < msafe ? vld1q_f32(d + 4 * v)
                          : orthoconv_neon_ld_part(d + 4 * v, orthoconv_neon_lanes((size_t)NC, 4 * (size_t)v));
#define BWW_STEP(j)                                                       \
      if (j < NC) {                                                         \
        acc[j][0] = vfmaq_laneq_f32(acc[j][0], x0, dq[(j) / 4], (j) % 4);   \
        acc[j][1] = vfmaq_laneq_f32(acc[j][1], x1, dq[(j) / 4], (j) % 4);   \
      }
      BWW_STEP(0) BWW_STEP(1) BWW_STEP(2) BWW_STEP(3) BWW_STEP(4) BWW_STEP(5)
      BWW_STEP(6) BWW_STEP(7) BWW_STEP(8) BWW_STEP(9) BWW_STEP(10) BWW_STEP(11)
#undef BWW_STEP
    } else {
      const float *d = dy + m * lddy;
      ORTHOCONV_NEON_UNROLL
      for (int j = 0; j < NC; j++) {
        /* the scalar into lane 0 (LDR S), then FMLA by that lane: no DUP */
        float32x4_t s;
        __asm__("ldr %s0, %1" : "=w"(s) : "m"(d[col[j]]));
        ORTHOCONV_NEON_FMA_LANE(acc[j][0], x0, s, 0);
        ORTHOCONV_NEON_FMA_LANE(acc[j][1], x1, s, 0);
      }
    }
  }
  ORTHOCONV_NEON_UNROLL
  for (int j = 0; j < NC; j++) {
    vst1q_f32(tot[j], acc[j][0]);
    vst1q_f32(tot[j] + 4, acc[j][1]);
  }
}

typedef void bww_tile_fn(size_t, size_t, const float *, size_t, const float *, size_t,
    const size_t *, size_t, float (*)[8]);
#define BWW_TILE(NC, CONTIG, TAIL)                                                      \
  static void bww_tile_##NC##_##CONTIG##TAIL(size_t M, size_t kb, const float *x,      \
      size_t ldx, const float *dy, size_t lddy, const size_t *cols, size_t msafe,      \
      float tot[BWW_NCMAX][8]) {                                                       \
    bww_tile(NC, CONTIG, TAIL, M, kb, x, ldx, dy, lddy, cols, msafe, tot);             \
  }
#define BWW_TILES(NC) BWW_TILE(NC, 1, 0) BWW_TILE(NC, 0, 0)
BWW_TILES(1) BWW_TILES(2) BWW_TILES(3) BWW_TILES(4) BWW_TILES(5) BWW_TILES(6)
BWW_TILES(7) BWW_TILES(8) BWW_TILES(9) BWW_TILES(10) BWW_TILES(11) BWW_TILES(12)
/* The last, partial k block is rare: scattered loads and 4, 8 or 12 filters
 * (padding filters repeat a real one and are discarded) keep its copies few. */
BWW_TILE(4, 0, 1) BWW_TILE(8, 0, 1) BWW_TILE(12, 0, 1)

static bww_tile_fn *const bww_contig[BWW_NCMAX] = {
  bww_tile_1_10, bww_tile_2_10, bww_tile_3_10, bww_tile_4_10, bww_tile_5_10, bww_tile_6_10,
  bww_tile_7_10, bww_tile_8_10, bww_tile_9_10, bww_tile_10_10, bww_tile_11_10, bww_tile_12_10,
};
static bww_tile_fn *const bww_gather[BWW_NCMAX] = {
  bww_tile_1_00, bww_tile_2_00, bww_tile_3_00, bww_tile_4_00, bww_tile_5_00, bww_tile_6_00,
  bww_tile_7_00, bww_tile_8_00, bww_tile_9_00, bww_tile_10_00, bww_tile_11_00, bww_tile_12_00,
};
static bww_tile_fn *const bww_tail[3] = { bww_tile_4_01, bww_tile_8_01, bww_tile_12_01 };

static void bww_dbias(size_t M, size_t N, const float *dy, size_t lddy,
    const unsigned char *trainable, float *dbias) {
  for (size_t n0 = 0; n0 < N; n0 += 4) {
    const size_t c = orthoconv_neon_lanes(N, n0);
    int any = 0;
    for (size_t i = 0; i < c; i++) any |= !trainable || trainable[n0 + i];
    float s[4] = { 0, 0, 0, 0 };
    if (any) {
      const size_t msafe = orthoconv_neon_rows_safe(M, lddy, N - n0, 4);
      float32x4_t tot = vdupq_n_f32(0.0f);
      for (size_t m0 = 0; m0 < M; m0 += BWW_MCHUNK) {
        const size_t m1 = M - m0 < BWW_MCHUNK ? M : m0 + BWW_MCHUNK;
        float32x4_t a = vdupq_n_f32(0.0f);
        for (size_t m = m0; m < m1; m++) {
          const float *d = dy + m * lddy + n0;
          a = vaddq_f32(a, m < msafe ? vld1q_f32(d) : orthoconv_neon_ld_part(d, c));
        }
        tot = vaddq_f32(tot, a);
      }
      vst1q_f32(s, tot);
    }
    for (size_t i = 0; i < c; i++) dbias[n0 + i] = !trainable || trainable[n0 + i] ? s[i] : 0.0f;
  }
}

void orthoconv_bwd_weights_ukernel_8x12__neon_laneq(size_t M, size_t K, size_t N,
    const float *x, size_t ldx, const float *dy, size_t lddy,
    const unsigned char *trainable, float *dw, float *dbias, const int *t) {
  (void)t;
  for (size_t k = 0; k < K; k++)
    for (size_t n = 0; n < N; n++)
      if ((trainable && !trainable[n]) || M == 0) dw[k * N + n] = 0.0f;
  float tot[BWW_NCMAX][8];
  size_t cols[BWW_NCMAX];
  /* Row chunks outermost: a chunk's rows of X (512 x 64-byte lines per pair of
   * k blocks) stay in L1/L2 while every k block and filter chunk uses them, so
   * X comes from memory once even when M x K is far larger than the caches. */
  for (size_t m0 = 0; m0 < M; m0 += BWW_MCHUNK) {
    const size_t mc = M - m0 < BWW_MCHUNK ? M - m0 : BWW_MCHUNK;
    const float *xc = x + m0 * ldx, *dyc = dy + m0 * lddy;
    size_t next = 0; /* first filter not yet given to a filter chunk */
    for (;;) {
      size_t nc = 0;
      while (next < N && nc < BWW_NCMAX) {
        if (!trainable || trainable[next]) cols[nc++] = next;
        next++;
      }
      if (nc == 0) break;
      const int contig = cols[nc - 1] - cols[0] == nc - 1;
      const size_t msafe = orthoconv_neon_rows_safe(mc, lddy, N - cols[0], 4 * ((nc + 3) / 4));
      const size_t ntail = (nc + 3) / 4 * 4;
      for (size_t j = nc; j < ntail; j++) cols[j] = cols[0];
      for (size_t k0 = 0; k0 < K; k0 += 8) {
        const size_t kb = K - k0 < 8 ? K - k0 : 8;
        if (kb < 8)
          bww_tail[ntail / 4 - 1](mc, kb, xc + k0, ldx, dyc, lddy, cols, msafe, tot);
        else
          /* one table element, not an element of (c ? table_a : table_b): gcc's
           * object-size check misjudges the size of the latter */
          (contig ? bww_contig[nc - 1] : bww_gather[nc - 1])(mc, kb, xc + k0, ldx, dyc, lddy, cols, msafe, tot);
        /* Chunk sums add up in dw: fp32 error grows ~(512 + M/512) eps, not ~M eps. */
        for (size_t j = 0; j < nc; j++)
          for (size_t kk = 0; kk < kb; kk++) {
            float *o = &dw[(k0 + kk) * N + cols[j]];
            *o = m0 ? *o + tot[j][kk] : tot[j][kk];
          }
      }
    }
  }
  if (dbias) bww_dbias(M, N, dy, lddy, trainable, dbias);
}
