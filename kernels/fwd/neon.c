/* NEON forward microkernels.
 *
 * 6x12 laneq (W as K x N rows): a tile of 6 rows of X times up to 12 filters (3
 * vectors). Per 4 k: one load of 4 x per row, three W-row vectors per k, and each
 * x value is used in place as a lane of its quad (FMLA by element), so no
 * broadcasts are spent. 18 accumulators + 6 x quads + 3 W vectors = 27 of the 32
 * q registers. For N = 10 the third vector has 2 live lanes (10/12 of the FMA work
 * is useful); the dot kernel below avoids that waste on packed weights. kc <= 256
 * (the list line's range) bounds the terms each accumulator sums.
 *
 * 2x10 dot (K16 packed W): each (row, filter) pair owns a vector of 4 partial sums
 * over k; per 16 k, 2 rows x 4 x vectors are reused across all 10 filters (packed
 * W holds 10 per tile, zero past nc). 20 accumulators + 8 x vectors = 28
 * registers; one pairwise-add tree per tile turns 4 accumulators into 4 adjacent
 * outputs, ready for the fused epilogue.
 *
 * Speed is a design target for Neoverse cores (2-4 128-bit FMA pipes); it has not
 * been measured on Arm hardware. */
#include <stdint.h>
#include "ukernel_decls.h"
#include "pf_cursor.h"
#include "neon_act.h"
#include "neon_gemm.h"

/* Sum so far (unless FIRST), bias and activation (on LAST), then a partial store
 * of the c real lanes of o at p; column j0 of the tile. */
ORTHOCONV_NEON_INLINE void fwd_store(const orthoconv_fwd_tile *t, float *p, float32x4_t o, size_t j0, size_t c) {
  if (!(t->flags & ORTHOCONV_TILE_FIRST)) o = vaddq_f32(orthoconv_neon_ld_part(p, c), o);
  if (t->flags & ORTHOCONV_TILE_LAST)
    o = orthoconv_neon_epilogue(o, t->bias, j0, c, t->act == ORTHOCONV_ACT_SOFTMAX ? ORTHOCONV_ACT_NONE : t->act);
  orthoconv_neon_st_part(p, o, c);
}

/* Softmax of whole rows, once their last block is stored. */
ORTHOCONV_NEON_INLINE void fwd_row_softmax(const orthoconv_fwd_tile *t, size_t rows) {
  if ((t->flags & ORTHOCONV_TILE_LAST) && (t->flags & ORTHOCONV_TILE_ROW) && t->act == ORTHOCONV_ACT_SOFTMAX)
    for (size_t r = 0; r < rows; r++) orthoconv_neon_softmax_row(t->y + r * t->ldy, t->nc);
}

/* ----------------------------------------------------------- 6x12 laneq, KN -- */

ORTHOCONV_NEON_INLINE void fwd_kn_tile(const int MR, const int NV, const orthoconv_fwd_tile *t) {
  float32x4_t acc[6][3];
  /* The block's own rows bound the reads: its last row has nc floats of ours. */
  orthoconv_neon_gemm_tile_len(MR, NV, acc, t->kc, t->kc, t->x, t->ldx, t->w, t->ldw, 0, t->nc, t->nc);
  ORTHOCONV_NEON_UNROLL
  for (int r = 0; r < MR; r++)
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) {
      const size_t c = orthoconv_neon_lanes(t->nc, 4 * (size_t)v);
      fwd_store(t, t->y + r * t->ldy + 4 * v, acc[r][v], 4 * (size_t)v, c);
    }
  fwd_row_softmax(t, (size_t)MR);
}

#define OC_KN_TILE(MR, NV) \
  static void fwd_kn_##MR##x##NV(const orthoconv_fwd_tile *t) { fwd_kn_tile(MR, NV, t); }
#define OC_KN_TILES(MR) OC_KN_TILE(MR, 1) OC_KN_TILE(MR, 2) OC_KN_TILE(MR, 3)
OC_KN_TILES(1) OC_KN_TILES(2) OC_KN_TILES(3) OC_KN_TILES(4) OC_KN_TILES(5) OC_KN_TILES(6)

void orthoconv_fwd_ukernel_6x12__neon_laneq(const orthoconv_fwd_tile *t) {
  static void (*const tiles[6][3])(const orthoconv_fwd_tile *) = {
    { fwd_kn_1x1, fwd_kn_1x2, fwd_kn_1x3 }, { fwd_kn_2x1, fwd_kn_2x2, fwd_kn_2x3 },
    { fwd_kn_3x1, fwd_kn_3x2, fwd_kn_3x3 }, { fwd_kn_4x1, fwd_kn_4x2, fwd_kn_4x3 },
    { fwd_kn_5x1, fwd_kn_5x2, fwd_kn_5x3 }, { fwd_kn_6x1, fwd_kn_6x2, fwd_kn_6x3 } };
  tiles[t->mr - 1][(t->nc + 3) / 4 - 1](t);
}

/* ------------------------------------------------------------ 2x10 dot, K16 -- */

/* One block of 16 k: acc[r][n] += x[r][16 k] * p[n][16 k], lane-wise. q outer
 * keeps only MR x vectors live next to the 20 accumulators (x loaded once per q
 * and reused by every filter), which leaves GCC room to schedule without spills. */
ORTHOCONV_NEON_INLINE void fwd_k16_block(const int MR, float32x4_t acc[2][10], const float *x,
    size_t ldx, const float *pb) {
  ORTHOCONV_NEON_UNROLL
  for (int q = 0; q < 4; q++) {
    float32x4_t xv[2];
    ORTHOCONV_NEON_UNROLL
    for (int r = 0; r < MR; r++) xv[r] = vld1q_f32(x + r * ldx + 4 * q);
    ORTHOCONV_NEON_UNROLL
    for (int n = 0; n < 10; n++) {
      const float32x4_t wv = vld1q_f32(pb + n * 16 + 4 * q);
      ORTHOCONV_NEON_UNROLL
      for (int r = 0; r < MR; r++) acc[r][n] = vfmaq_f32(acc[r][n], xv[r], wv);
    }
  }
}


ORTHOCONV_NEON_INLINE void fwd_k16_tile(const int MR, const orthoconv_fwd_tile *t) {
  float32x4_t acc[2][10];
  ORTHOCONV_NEON_UNROLL
  for (int r = 0; r < MR; r++)
    ORTHOCONV_NEON_UNROLL
    for (int n = 0; n < 10; n++) acc[r][n] = vdupq_n_f32(0.0f);
  const size_t kfull = t->kc / 16;
  for (size_t kb = 0; kb < kfull; kb++) {
    fwd_k16_block(MR, acc, t->x + kb * 16, t->ldx, t->w + kb * t->ldw);
    if (t->pf) orthoconv_pf_advance(t->pf);
  }
  if (t->kc % 16) {
    /* X rows are not padded: the last block copies only the row's own floats. */
    float xt[2][16] = { { 0 } };
    for (int r = 0; r < MR; r++)
      for (size_t j = 0; j < t->kc % 16; j++) xt[r][j] = t->x[r * t->ldx + kfull * 16 + j];
    fwd_k16_block(MR, acc, xt[0], 16, t->w + kfull * t->ldw);
  }
  const float32x4_t z = vdupq_n_f32(0.0f);
  ORTHOCONV_NEON_UNROLL
  for (int r = 0; r < MR; r++)
    ORTHOCONV_NEON_UNROLL
    for (int n = 0; n < 10; n += 4) {
      if ((size_t)n >= t->nc) break;
      const float32x4_t s = orthoconv_neon_hsum4(acc[r][n], acc[r][n + 1], n + 2 < 10 ? acc[r][n + 2] : z,
                                                 n + 3 < 10 ? acc[r][n + 3] : z);
      fwd_store(t, t->y + r * t->ldy + n, s, (size_t)n, orthoconv_neon_lanes(t->nc, (size_t)n));
    }
  fwd_row_softmax(t, (size_t)MR);
}

void orthoconv_fwd_ukernel_2x10__neon_dot(const orthoconv_fwd_tile *t) {
  if (t->mr > 1) fwd_k16_tile(2, t);
  else fwd_k16_tile(1, t);
}
