/* NEON backward data: dx = dy W^T (M x K).
 *
 * dx[m][k..k+15] needs W's column n along k, which the K x N layout strides by
 * N. So each block of 64 k x 16 filters of W is transposed once into a 4 KiB
 * stack buffer (zero-padded to whole vectors), and every 4-row tile of dy then
 * runs against it with FMLA by element: 4 dy values per load serve 4 filters,
 * 16 accumulators (4 rows x 16 k) + 4 dy quads + 4 W vectors = 24 registers.
 * The transpose costs K*N moves per call, once, against M*K*N FMAs.
 * Unmeasured on Arm hardware. */
#include "ukernel_decls.h"
#include "neon_util.h"

#define BWD_KB 64 /* k per transposed block */
#define BWD_NC 16 /* filters per transposed block */

/* One (MR rows) x (16 k at wt column ks) tile over the nc filters of the block;
 * the first filter block stores, later ones add to what earlier blocks stored. */
ORTHOCONV_NEON_INLINE void bwd_data_tile(const int MR, const float (*wt)[BWD_KB], size_t ks,
    size_t nc, const float *dy, size_t lddy, float *dx, size_t lddx, size_t kvalid, int add) {
  float32x4_t acc[4][4];
  ORTHOCONV_NEON_UNROLL
  for (int r = 0; r < MR; r++)
    ORTHOCONV_NEON_UNROLL
    for (int q = 0; q < 4; q++) acc[r][q] = vdupq_n_f32(0.0f);
  size_t n = 0;
  for (; n + 4 <= nc; n += 4) {
    float32x4_t d[4];
    ORTHOCONV_NEON_UNROLL
    for (int r = 0; r < MR; r++) d[r] = vld1q_f32(dy + r * lddy + n);
#define BWD_DATA_STEP(j)                                                             \
    ORTHOCONV_NEON_UNROLL                                                              \
    for (int q = 0; q < 4; q++) {                                                      \
      const float32x4_t wv = vld1q_f32(wt[n + j] + ks + 4 * q);                        \
      ORTHOCONV_NEON_UNROLL                                                            \
      for (int r = 0; r < MR; r++) acc[r][q] = vfmaq_laneq_f32(acc[r][q], wv, d[r], j); \
    }
    BWD_DATA_STEP(0)
    BWD_DATA_STEP(1)
    BWD_DATA_STEP(2)
    BWD_DATA_STEP(3)
#undef BWD_DATA_STEP
  }
  for (; n < nc; n++)
    ORTHOCONV_NEON_UNROLL
    for (int q = 0; q < 4; q++) {
      const float32x4_t wv = vld1q_f32(wt[n] + ks + 4 * q);
      ORTHOCONV_NEON_UNROLL
      for (int r = 0; r < MR; r++) acc[r][q] = vfmaq_n_f32(acc[r][q], wv, dy[r * lddy + n]);
    }
  ORTHOCONV_NEON_UNROLL
  for (int r = 0; r < MR; r++)
    ORTHOCONV_NEON_UNROLL
    for (int q = 0; q < 4; q++) {
      const size_t c = orthoconv_neon_lanes(kvalid, ks + 4 * (size_t)q);
      if (c == 0) break;
      float *p = dx + r * lddx + ks + 4 * q;
      float32x4_t v = acc[r][q];
      if (add) v = vaddq_f32(v, orthoconv_neon_ld_part(p, c));
      orthoconv_neon_st_part(p, v, c);
    }
}

#define BWD_DATA_TILE(MR)                                                               \
  static void bwd_data_tile_##MR(const float (*wt)[BWD_KB], size_t ks, size_t nc,      \
      const float *dy, size_t lddy, float *dx, size_t lddx, size_t kvalid, int add) {  \
    bwd_data_tile(MR, wt, ks, nc, dy, lddy, dx, lddx, kvalid, add);                    \
  }
BWD_DATA_TILE(1)
BWD_DATA_TILE(2)
BWD_DATA_TILE(3)
BWD_DATA_TILE(4)

typedef void bwd_data_tile_fn(const float (*)[BWD_KB], size_t, size_t, const float *, size_t,
    float *, size_t, size_t, int);
static bwd_data_tile_fn *const bwd_data_tiles[4] = { bwd_data_tile_1, bwd_data_tile_2,
                                                      bwd_data_tile_3, bwd_data_tile_4 };

void orthoconv_bwd_data_ukernel_4x16__neon_laneq(size_t M, size_t K, size_t N,
    const float *dy, size_t lddy, const float *w, float *dx, size_t lddx, const int *t) {
  (void)t;
  float wt[BWD_NC][BWD_KB];
  for (size_t k0 = 0; k0 < K; k0 += BWD_KB) {
    const size_t kb = K - k0 < BWD_KB ? K - k0 : BWD_KB, kb16 = (kb + 15) & ~(size_t)15;
    for (size_t n0 = 0; n0 < N; n0 += BWD_NC) {
      const size_t nc = N - n0 < BWD_NC ? N - n0 : BWD_NC;
      for (size_t n = 0; n < nc; n++) {
        for (size_t kk = 0; kk < kb; kk++) wt[n][kk] = w[(k0 + kk) * N + n0 + n];
        for (size_t kk = kb; kk < kb16; kk++) wt[n][kk] = 0.0f;
      }
      for (size_t m = 0; m < M; m += 4) {
        const size_t mr = M - m < 4 ? M - m : 4;
        for (size_t ks = 0; ks < kb16; ks += 16)
          bwd_data_tiles[mr - 1]((const float (*)[BWD_KB])wt, ks, nc, dy + m * lddy + n0, lddy,
                                 dx + m * lddx + k0, lddx, kb, n0 > 0);
      }
    }
  }
}
