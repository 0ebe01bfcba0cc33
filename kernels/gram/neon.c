/* NEON Gram matrix and regularizer-gradient product.
 *
 * Gram, G = W^T W: filters go in blocks of 12 (3 vectors of a W row). A diagonal
 * block keeps only its upper triangle (G is symmetric): filter i accumulates the
 * vectors that hold filters >= i, 4*3 + 4*2 + 4*1 = 24 accumulators, and the
 * same 3 vectors of a W row serve as both operands (FMLA by element), so a row
 * costs 3 loads for 24 FMAs. For N <= 12 (N = 10) that is the whole matrix in one
 * pass over W. Blocks above the diagonal (N > 12) use 8 or 4 filters x 12.
 * Each value is computed once and written to both (i, j) and (j, i).
 *
 * REG_GRAD, grad += W A: the shared laneq GEMM tile (6 rows of W x 12 columns of
 * A); only trainable columns of grad are written, lane by lane where a vector
 * mixes trainable and frozen filters.
 * Unmeasured on Arm hardware. */
#include "ukernel_decls.h"
#include "neon_gemm.h"
#include "rank1.h"

/* ---------------------------------------------------------------------- Gram -- */

/* One row of W into a diagonal block's accumulators: filter i times the vectors
 * holding filters >= i. */
ORTHOCONV_NEON_INLINE void gram_diag_row(const int NV, float32x4_t acc[12][3], const float32x4_t q[3]) {
  ORTHOCONV_NEON_UNROLL
  for (int i = 0; i < 4 * NV; i++)
    ORTHOCONV_NEON_UNROLL
    for (int v = i / 4; v < NV; v++) ORTHOCONV_NEON_FMA_LANE(acc[i][v], q[v], q[i / 4], i % 4);
}

/* Diagonal block at filter i0 with NV vectors (nb = real filters <= 4*NV). Rows
 * whose last vector would read past W take partial loads, in a loop of their own
 * so that the main loop has no branch. */
ORTHOCONV_NEON_INLINE void gram_diag(const int NV, size_t K, size_t krest, size_t N, size_t i0,
    size_t nb, const float *w, float *g, int add) {
  float32x4_t acc[12][3];
  ORTHOCONV_NEON_UNROLL
  for (int i = 0; i < 4 * NV; i++)
    ORTHOCONV_NEON_UNROLL
    for (int v = i / 4; v < NV; v++) acc[i][v] = vdupq_n_f32(0.0f);
  size_t ksafe = orthoconv_neon_rows_safe(krest, N, N - i0, (size_t)4 * NV);
  if (ksafe > K) ksafe = K;
  size_t k = 0;
  for (; k < ksafe; k++) {
    const float *wr = w + k * N + i0;
    float32x4_t q[3];
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) q[v] = vld1q_f32(wr + 4 * v);
    gram_diag_row(NV, acc, q);
  }
  for (; k < K; k++) {
    const float *wr = w + k * N + i0;
    float32x4_t q[3];
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) q[v] = orthoconv_neon_ld_part(wr + 4 * v, orthoconv_neon_lanes(nb, 4 * (size_t)v));
    gram_diag_row(NV, acc, q);
  }
  float t[12][12];
  ORTHOCONV_NEON_UNROLL
  for (int i = 0; i < 4 * NV; i++)
    ORTHOCONV_NEON_UNROLL
    for (int v = i / 4; v < NV; v++) vst1q_f32(&t[i][4 * v], acc[i][v]);
  for (size_t i = 0; i < nb; i++)
    for (size_t j = i; j < nb; j++) {
      const float v = add ? g[(i0 + i) * N + i0 + j] + t[i][j] : t[i][j];
      g[(i0 + i) * N + i0 + j] = g[(i0 + j) * N + i0 + i] = v;
    }
}

/* One row of W into an off-diagonal block: row filters rq against column vectors cq. */
ORTHOCONV_NEON_INLINE void gram_off_row(const int RQ, const int NV, float32x4_t acc[8][3],
    const float32x4_t rq[2], const float32x4_t cq[3]) {
  ORTHOCONV_NEON_UNROLL
  for (int i = 0; i < 4 * RQ; i++)
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) ORTHOCONV_NEON_FMA_LANE(acc[i][v], cq[v], rq[i / 4], i % 4);
}

/* Filters [ia, ia + 4*RQ) against [j0, j0 + 4*NV), j0 > ia (above the diagonal);
 * ni, nj: real filters in each range. Partial loads in a tail loop, as above. */
ORTHOCONV_NEON_INLINE void gram_off(const int RQ, const int NV, size_t K, size_t krest, size_t N,
    size_t ia, size_t ni, size_t j0, size_t nj, const float *w, float *g, int add) {
  float32x4_t acc[8][3];
  ORTHOCONV_NEON_UNROLL
  for (int i = 0; i < 4 * RQ; i++)
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) acc[i][v] = vdupq_n_f32(0.0f);
  const size_t ends = j0 + 4 * (size_t)NV > ia + 4 * (size_t)RQ ? j0 + 4 * (size_t)NV : ia + 4 * (size_t)RQ;
  size_t ksafe = orthoconv_neon_rows_safe(krest, N, N, ends);
  if (ksafe > K) ksafe = K;
  size_t k = 0;
  for (; k < ksafe; k++) {
    const float *wr = w + k * N;
    float32x4_t rq[2], cq[3];
    ORTHOCONV_NEON_UNROLL
    for (int u = 0; u < RQ; u++) rq[u] = vld1q_f32(wr + ia + 4 * u);
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) cq[v] = vld1q_f32(wr + j0 + 4 * v);
    gram_off_row(RQ, NV, acc, rq, cq);
  }
  for (; k < K; k++) {
    const float *wr = w + k * N;
    float32x4_t rq[2], cq[3];
    ORTHOCONV_NEON_UNROLL
    for (int u = 0; u < RQ; u++) rq[u] = orthoconv_neon_ld_part(wr + ia + 4 * u, orthoconv_neon_lanes(ni, 4 * (size_t)u));
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) cq[v] = orthoconv_neon_ld_part(wr + j0 + 4 * v, orthoconv_neon_lanes(nj, 4 * (size_t)v));
    gram_off_row(RQ, NV, acc, rq, cq);
  }
  float t[8][12];
  ORTHOCONV_NEON_UNROLL
  for (int i = 0; i < 4 * RQ; i++)
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) vst1q_f32(&t[i][4 * v], acc[i][v]);
  for (size_t i = 0; i < ni && i < 4 * (size_t)RQ; i++)
    for (size_t j = 0; j < nj; j++) {
      const float v = add ? g[(ia + i) * N + j0 + j] + t[i][j] : t[i][j];
      g[(ia + i) * N + j0 + j] = g[(j0 + j) * N + ia + i] = v;
    }
}

typedef void gram_diag_fn(size_t, size_t, size_t, size_t, size_t, const float *, float *, int);
#define GRAM_DIAG(NV)                                                                   \
  static void gram_diag_##NV(size_t K, size_t krest, size_t N, size_t i0, size_t nb,   \
      const float *w, float *g, int add) {                                             \
    gram_diag(NV, K, krest, N, i0, nb, w, g, add);                                     \
  }
GRAM_DIAG(1) GRAM_DIAG(2) GRAM_DIAG(3)
static gram_diag_fn *const gram_diags[3] = { gram_diag_1, gram_diag_2, gram_diag_3 };

typedef void gram_off_fn(size_t, size_t, size_t, size_t, size_t, size_t, size_t, const float *,
    float *, int);
#define GRAM_OFF(RQ, NV)                                                                \
  static void gram_off_##RQ##x##NV(size_t K, size_t krest, size_t N, size_t ia,        \
      size_t ni, size_t j0, size_t nj, const float *w, float *g, int add) {            \
    gram_off(RQ, NV, K, krest, N, ia, ni, j0, nj, w, g, add);                          \
  }
GRAM_OFF(1, 1) GRAM_OFF(1, 2) GRAM_OFF(1, 3) GRAM_OFF(2, 1) GRAM_OFF(2, 2) GRAM_OFF(2, 3)
static gram_off_fn *const gram_offs[2][3] = { { gram_off_1x1, gram_off_1x2, gram_off_1x3 },
                                              { gram_off_2x1, gram_off_2x2, gram_off_2x3 } };

void orthoconv_gram_ukernel_12x12__neon_sym(size_t K, size_t N, const float *w, float *g,
    const int *t) {
  (void)t;
  /* K in chunks of 256 whose sums add up in g: ~(256 + K/256) eps of rounding
   * error growth instead of ~K eps for one fp32 chain. */
  for (size_t k0 = 0; k0 < K; k0 += 256) {
    const size_t kc = K - k0 < 256 ? K - k0 : 256;
    const float *wc = w + k0 * N;
    for (size_t i0 = 0; i0 < N; i0 += 12) {
      const size_t nb = N - i0 < 12 ? N - i0 : 12;
      gram_diags[(nb + 3) / 4 - 1](kc, K - k0, N, i0, nb, wc, g, k0 > 0);
      for (size_t j0 = i0 + 12; j0 < N; j0 += 12) {
        const size_t nj = N - j0 < 12 ? N - j0 : 12;
        for (size_t ia = i0; ia < i0 + nb; ia += 8) {
          const size_t ni = i0 + nb - ia < 8 ? i0 + nb - ia : 8;
          gram_offs[(ni + 3) / 4 - 1][(nj + 3) / 4 - 1](kc, K - k0, N, ia, ni, j0, nj, wc, g, k0 > 0);
        }
      }
    }
  }
}

/* ------------------------------------------------------------------ REG_GRAD -- */

/* grad rows [k, k + MR), columns [n0, n0 + nb) += (W A) tile; trainable lanes only. */
ORTHOCONV_NEON_INLINE void reg_grad_tile(const int MR, const int NV, size_t N, size_t n0,
    size_t nb, const float *w, const float *a, const unsigned char *trainable, float *grad) {
  float32x4_t acc[6][3];
  orthoconv_neon_gemm_tile(MR, NV, acc, N, N, w, N, a, N, n0, nb);
  ORTHOCONV_NEON_UNROLL
  for (int v = 0; v < NV; v++) {
    const size_t c = orthoconv_neon_lanes(nb, 4 * (size_t)v), nv0 = n0 + 4 * (size_t)v;
    unsigned live = 0; /* bit l: column nv0 + l is written */
    for (size_t l = 0; l < c; l++) live |= (unsigned)(!trainable || trainable[nv0 + l]) << l;
    if (live == 0) continue;
    ORTHOCONV_NEON_UNROLL
    for (int r = 0; r < MR; r++) {
      float *p = grad + r * N + nv0;
      if (live == (1u << c) - 1) {
        orthoconv_neon_st_part(p, vaddq_f32(orthoconv_neon_ld_part(p, c), acc[r][v]), c);
      } else {
        float s[4];
        vst1q_f32(s, acc[r][v]);
        for (size_t l = 0; l < c; l++)
          if (live >> l & 1u) p[l] += s[l];
      }
    }
  }
}

typedef void reg_grad_tile_fn(size_t, size_t, size_t, const float *, const float *,
    const unsigned char *, float *);
#define REG_GRAD_TILE(MR, NV)                                                           \
  static void reg_grad_tile_##MR##x##NV(size_t N, size_t n0, size_t nb, const float *w, \
      const float *a, const unsigned char *trainable, float *grad) {                   \
    reg_grad_tile(MR, NV, N, n0, nb, w, a, trainable, grad);                           \
  }
#define REG_GRAD_TILES(MR) REG_GRAD_TILE(MR, 1) REG_GRAD_TILE(MR, 2) REG_GRAD_TILE(MR, 3)
REG_GRAD_TILES(1) REG_GRAD_TILES(2) REG_GRAD_TILES(3)
REG_GRAD_TILES(4) REG_GRAD_TILES(5) REG_GRAD_TILES(6)
static reg_grad_tile_fn *const reg_grad_tiles[6][3] = {
  { reg_grad_tile_1x1, reg_grad_tile_1x2, reg_grad_tile_1x3 },
  { reg_grad_tile_2x1, reg_grad_tile_2x2, reg_grad_tile_2x3 },
  { reg_grad_tile_3x1, reg_grad_tile_3x2, reg_grad_tile_3x3 },
  { reg_grad_tile_4x1, reg_grad_tile_4x2, reg_grad_tile_4x3 },
  { reg_grad_tile_5x1, reg_grad_tile_5x2, reg_grad_tile_5x3 },
  { reg_grad_tile_6x1, reg_grad_tile_6x2, reg_grad_tile_6x3 },
};

void orthoconv_reg_grad_ukernel_6x12__neon_laneq(size_t K, size_t N, const float *w,
    const float *a, const unsigned char *trainable, float *grad, const int *t) {
  (void)t;
  for (size_t n0 = 0; n0 < N; n0 += 12) {
    const size_t nb = N - n0 < 12 ? N - n0 : 12;
    int any = !trainable;
    for (size_t n = n0; n < n0 + nb && !any; n++) any = trainable[n] != 0;
    if (!any) continue; /* a block of frozen filters costs nothing */
    for (size_t k = 0; k < K; k += 6) {
      const size_t mr = K - k < 6 ? K - k : 6;
      reg_grad_tiles[mr - 1][(nb + 3) / 4 - 1](N, n0, nb, w + k * N, a, trainable, grad + k * N);
    }
  }
}

/* ------------------------------------------------------------------- rank one -- */

/* grad += (W v) cv^T, a row at a time: 4-lane products summed across lanes by
 * one vaddvq per row (four rows side by side, so that the reductions overlap),
 * then one FMA per 4 columns, stored as reg_grad stores (whole vectors where
 * every lane is live, else lane by lane). */
static void rank1_rows(size_t R, size_t N, const float *w, const float *v, const float *cv,
    const unsigned char *trainable, float *grad) {
  float u[4];
  for (size_t r = 0; r < 4; r++) {
    float32x4_t p = vdupq_n_f32(0.0f);
    if (r < R)
      for (size_t n0 = 0; n0 < N; n0 += 4) {
        const size_t c = orthoconv_neon_lanes(N, n0);
        p = vfmaq_f32(p, orthoconv_neon_ld_part(w + r * N + n0, c), orthoconv_neon_ld_part(v + n0, c));
      }
    u[r] = vaddvq_f32(p);
  }
  for (size_t n0 = 0; n0 < N; n0 += 4) {
    const size_t c = orthoconv_neon_lanes(N, n0);
    unsigned live = 0; /* bit l: column n0 + l is written */
    for (size_t l = 0; l < c; l++) live |= (unsigned)(!trainable || trainable[n0 + l]) << l;
    if (live == 0) continue;
    const float32x4_t cvv = orthoconv_neon_ld_part(cv + n0, c);
    for (size_t r = 0; r < R; r++) {
      float *p = grad + r * N + n0;
      const float32x4_t s = vfmaq_n_f32(orthoconv_neon_ld_part(p, c), cvv, u[r]);
      if (live == (1u << c) - 1) {
        orthoconv_neon_st_part(p, s, c);
      } else {
        float t[4];
        vst1q_f32(t, s);
        for (size_t l = 0; l < c; l++)
          if (live >> l & 1u) p[l] = t[l];
      }
    }
  }
}

void orthoconv_rank1__neon(size_t K, size_t N, const float *w, const float *v, const float *cv,
    const unsigned char *trainable, float *grad) {
  for (size_t k = 0; k < K; k += 4) rank1_rows(K - k < 4 ? K - k : 4, N, w + k * N, v, cv, trainable, grad + k * N);
}
