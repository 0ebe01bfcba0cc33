/* NEON forward kernels.
 *
 * 6x12 laneq (W as given, K x N): a tile of 6 rows of X times a block of up to 12
 * filters (3 vectors). Per 4 k: one load of 4 x per row, three W-row vectors per
 * k, and each x value is used in place as a lane of its quad (FMLA by element),
 * so no broadcasts are spent. 18 accumulators + 6 x quads + 3 W vectors = 27 of
 * the 32 q registers. For N = 10 the third vector has 2 live lanes (10/12 of the
 * FMA work is useful); the dot kernel below avoids that waste on packed weights.
 *
 * 2x10 dot (K16 packed W): each (row, filter) pair owns a vector of 4 partial sums
 * over k; per 16 k, 2 rows x 4 x vectors are reused across all filters, and the
 * packed layout gives each filter's 16 weights contiguously. 20 accumulators +
 * 8 x vectors = 28 registers; one pairwise-add tree per tile turns 4 accumulators
 * into 4 adjacent outputs, ready for the fused epilogue.
 *
 * Tunable pf_rows (default 0 = hardware prefetch only): software prefetch of X
 * that many rows ahead, for the tuner to try on cores whose prefetchers lose
 * track of 2 streams 4 KiB apart (seen on x86, unknown on Arm).
 * Speed is a design target for Neoverse cores (2-4 128-bit FMA pipes); it has not
 * been measured on Arm hardware. */
#include <stdint.h>
#include "ukernel_decls.h"
#include "neon_act.h"
#include "neon_gemm.h"

/* ----------------------------------------------------------- 6x12 laneq, KN -- */

#define FWD_KCHUNK 256 /* a multiple of 4 */

/* Rows x[0..MR) (stride ldx) times columns [n0, n0 + nb) of w (kc x N rows of a
 * buffer with krest rows left), nb <= 4*NV. K is summed in chunks (see the
 * driver): add = not the first chunk (y holds the sum so far), last = apply bias
 * and the activation (not softmax) before storing. */
ORTHOCONV_NEON_INLINE void fwd_kn_tile(const int MR, const int NV, size_t kc, size_t krest,
    size_t N, size_t n0, size_t nb, const float *x, size_t ldx, const float *w,
    const float *bias, orthoconv_activation act, float *y, size_t ldy, int add, int last) {
  float32x4_t acc[6][3];
  orthoconv_neon_gemm_tile(MR, NV, acc, kc, krest, x, ldx, w, N, n0, nb);
  ORTHOCONV_NEON_UNROLL
  for (int r = 0; r < MR; r++)
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) {
      const size_t c = orthoconv_neon_lanes(nb, 4 * (size_t)v);
      float *p = y + r * ldy + n0 + 4 * v;
      float32x4_t o = acc[r][v];
      if (add) o = vaddq_f32(orthoconv_neon_ld_part(p, c), o);
      if (last) o = orthoconv_neon_epilogue(o, bias, n0 + 4 * v, c, act);
      orthoconv_neon_st_part(p, o, c);
    }
}

#define ORTHOCONV_FWD_KN_TILE(MR, NV)                                                   \
  static void fwd_kn_tile_##MR##x##NV(size_t kc, size_t krest, size_t N, size_t n0,    \
      size_t nb, const float *x, size_t ldx, const float *w, const float *bias,        \
      orthoconv_activation act, float *y, size_t ldy, int add, int last) {             \
    fwd_kn_tile(MR, NV, kc, krest, N, n0, nb, x, ldx, w, bias, act, y, ldy, add, last); \
  }
#define ORTHOCONV_FWD_KN_TILES(MR) ORTHOCONV_FWD_KN_TILE(MR, 1) ORTHOCONV_FWD_KN_TILE(MR, 2) ORTHOCONV_FWD_KN_TILE(MR, 3)
ORTHOCONV_FWD_KN_TILES(1)
ORTHOCONV_FWD_KN_TILES(2)
ORTHOCONV_FWD_KN_TILES(3)
ORTHOCONV_FWD_KN_TILES(4)
ORTHOCONV_FWD_KN_TILES(5)
ORTHOCONV_FWD_KN_TILES(6)

typedef void fwd_kn_tile_fn(size_t, size_t, size_t, size_t, size_t, const float *, size_t,
    const float *, const float *, orthoconv_activation, float *, size_t, int, int);
static fwd_kn_tile_fn *const fwd_kn_tiles[6][3] = {
  { fwd_kn_tile_1x1, fwd_kn_tile_1x2, fwd_kn_tile_1x3 },
  { fwd_kn_tile_2x1, fwd_kn_tile_2x2, fwd_kn_tile_2x3 },
  { fwd_kn_tile_3x1, fwd_kn_tile_3x2, fwd_kn_tile_3x3 },
  { fwd_kn_tile_4x1, fwd_kn_tile_4x2, fwd_kn_tile_4x3 },
  { fwd_kn_tile_5x1, fwd_kn_tile_5x2, fwd_kn_tile_5x3 },
  { fwd_kn_tile_6x1, fwd_kn_tile_6x2, fwd_kn_tile_6x3 },
};

void orthoconv_fwd_ukernel_6x12__neon_laneq(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  (void)t;
  for (size_t m = 0; m < M; m += 6) {
    const size_t mr = M - m < 6 ? M - m : 6;
    /* Column blocks of 12 keep all of a tile in registers; for N = 10 there is one. */
    for (size_t n0 = 0; n0 < N; n0 += 12) {
      const size_t nb = N - n0 < 12 ? N - n0 : 12;
      /* K in chunks of 256 whose sums add up in y: one fp32 chain over K = 1024
       * would let rounding error grow ~K eps, past the 1e-5 contract in the
       * worst case; chunks keep it at ~(256 + K/256) eps. y rows are in cache. */
      for (size_t k0 = 0; k0 < K; k0 += FWD_KCHUNK) {
        const size_t kc = K - k0 < FWD_KCHUNK ? K - k0 : FWD_KCHUNK;
        fwd_kn_tiles[mr - 1][(nb + 3) / 4 - 1](kc, K - k0, N, n0, nb, x + m * ldx + k0, ldx,
            w + k0 * N, bias, act, y + m * ldy, ldy, k0 > 0, k0 + kc == K);
      }
    }
    if (act == ORTHOCONV_ACT_SOFTMAX)
      for (size_t r = 0; r < mr; r++) orthoconv_neon_softmax_row(y + (m + r) * ldy, N);
  }
}

/* ------------------------------------------------------------ 2x10 dot, K16 -- */

/* One block of 16 k: acc[r][n] += x[r][16 k] * p[n][16 k], lane-wise. q outer
 * keeps only MR x vectors live next to the 20 accumulators (x loaded once per q
 * and reused by every filter), which leaves GCC room to schedule without spills. */
ORTHOCONV_NEON_INLINE void fwd_k16_block(const int MR, const int NC, float32x4_t acc[2][10],
    const float *x, size_t ldx, const float *pb) {
  ORTHOCONV_NEON_UNROLL
  for (int q = 0; q < 4; q++) {
    float32x4_t xv[2];
    ORTHOCONV_NEON_UNROLL
    for (int r = 0; r < MR; r++) xv[r] = vld1q_f32(x + r * ldx + 4 * q);
    ORTHOCONV_NEON_UNROLL
    for (int n = 0; n < NC; n++) {
      const float32x4_t wv = vld1q_f32(pb + n * 16 + 4 * q);
      ORTHOCONV_NEON_UNROLL
      for (int r = 0; r < MR; r++) acc[r][n] = vfmaq_f32(acc[r][n], xv[r], wv);
    }
  }
}

/* Rows x[0..MR) times filters [n0, n0 + NC) of the K16-packed p (N filters). */
ORTHOCONV_NEON_INLINE void fwd_k16_tile(const int MR, const int NC, size_t K, size_t N,
    size_t n0, const float *x, size_t ldx, const float *p, const float *bias,
    orthoconv_activation act, float *y, size_t ldy, size_t pf) {
  float32x4_t acc[2][10];
  ORTHOCONV_NEON_UNROLL
  for (int r = 0; r < MR; r++)
    ORTHOCONV_NEON_UNROLL
    for (int n = 0; n < NC; n++) acc[r][n] = vdupq_n_f32(0.0f);
  const size_t kfull = K / 16;
  /* pf > 0: software prefetch of the rows pf ahead, one 64-byte line per row
   * and block (uintptr_t arithmetic: the address may lie past the buffer, and
   * PRFM never faults). 0 leaves it to the hardware prefetchers. */
  const uintptr_t pfo = (uintptr_t)(pf * ldx * sizeof(float));
  for (size_t kb = 0; kb < kfull; kb++) {
    if (pf) {
      ORTHOCONV_NEON_UNROLL
      for (int r = 0; r < MR; r++) __builtin_prefetch((const void *)((uintptr_t)(x + r * ldx + kb * 16) + pfo));
    }
    fwd_k16_block(MR, NC, acc, x + kb * 16, ldx, p + (kb * N + n0) * 16);
  }
  if (K % 16) {
    /* X rows are not padded: the last block copies only the row's own floats. */
    float xt[2][16] = { { 0 } };
    for (int r = 0; r < MR; r++)
      for (size_t j = 0; j < K % 16; j++) xt[r][j] = x[r * ldx + kfull * 16 + j];
    fwd_k16_block(MR, NC, acc, xt[0], 16, p + (kfull * N + n0) * 16);
  }
  const float32x4_t z = vdupq_n_f32(0.0f);
  ORTHOCONV_NEON_UNROLL
  for (int r = 0; r < MR; r++)
    ORTHOCONV_NEON_UNROLL
    for (int n = 0; n < NC; n += 4) {
      const float32x4_t s = orthoconv_neon_hsum4(acc[r][n], n + 1 < NC ? acc[r][n + 1] : z,
                                                 n + 2 < NC ? acc[r][n + 2] : z, n + 3 < NC ? acc[r][n + 3] : z);
      const size_t c = orthoconv_neon_lanes((size_t)NC, (size_t)n);
      orthoconv_neon_st_part(y + r * ldy + n0 + n, orthoconv_neon_epilogue(s, bias, n0 + n, c, act), c);
    }
}

#define ORTHOCONV_FWD_K16_TILE(MR, NC)                                                  \
  static void fwd_k16_tile_##MR##x##NC(size_t K, size_t N, size_t n0, const float *x,  \
      size_t ldx, const float *p, const float *bias, orthoconv_activation act, float *y, \
      size_t ldy, size_t pf) {                                                         \
    fwd_k16_tile(MR, NC, K, N, n0, x, ldx, p, bias, act, y, ldy, pf);                  \
  }
#define ORTHOCONV_FWD_K16_TILES(MR)                                                     \
  ORTHOCONV_FWD_K16_TILE(MR, 1) ORTHOCONV_FWD_K16_TILE(MR, 2) ORTHOCONV_FWD_K16_TILE(MR, 3) \
  ORTHOCONV_FWD_K16_TILE(MR, 4) ORTHOCONV_FWD_K16_TILE(MR, 5) ORTHOCONV_FWD_K16_TILE(MR, 6) \
  ORTHOCONV_FWD_K16_TILE(MR, 7) ORTHOCONV_FWD_K16_TILE(MR, 8) ORTHOCONV_FWD_K16_TILE(MR, 9) \
  ORTHOCONV_FWD_K16_TILE(MR, 10)
ORTHOCONV_FWD_K16_TILES(1)
ORTHOCONV_FWD_K16_TILES(2)

typedef void fwd_k16_tile_fn(size_t, size_t, size_t, const float *, size_t, const float *,
    const float *, orthoconv_activation, float *, size_t, size_t);
static fwd_k16_tile_fn *const fwd_k16_tiles[2][10] = {
  { fwd_k16_tile_1x1, fwd_k16_tile_1x2, fwd_k16_tile_1x3, fwd_k16_tile_1x4, fwd_k16_tile_1x5,
    fwd_k16_tile_1x6, fwd_k16_tile_1x7, fwd_k16_tile_1x8, fwd_k16_tile_1x9, fwd_k16_tile_1x10 },
  { fwd_k16_tile_2x1, fwd_k16_tile_2x2, fwd_k16_tile_2x3, fwd_k16_tile_2x4, fwd_k16_tile_2x5,
    fwd_k16_tile_2x6, fwd_k16_tile_2x7, fwd_k16_tile_2x8, fwd_k16_tile_2x9, fwd_k16_tile_2x10 },
};

void orthoconv_fwd_ukernel_2x10__neon_dot(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  const size_t pf = (size_t)t[0];
  for (size_t m = 0; m < M; m += 2) {
    const size_t mr = M - m < 2 ? M - m : 2;
    for (size_t n0 = 0; n0 < N; n0 += 10) {
      const size_t nc = N - n0 < 10 ? N - n0 : 10;
      fwd_k16_tiles[mr - 1][nc - 1](K, N, n0, x + m * ldx, ldx, w, bias, act, y + m * ldy, ldy, pf);
    }
    if (act == ORTHOCONV_ACT_SOFTMAX)
      for (size_t r = 0; r < mr; r++) orthoconv_neon_softmax_row(y + (m + r) * ldy, N);
  }
}
