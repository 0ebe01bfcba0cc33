/* The laneq GEMM tile shared by the NEON forward (X W) and regularizer-gradient
 * (W A) kernels: acc[r][v] = sum_k a[r][k] * b[k][n0 + 4v .. n0 + 4v + 3] for MR
 * rows of a (stride lda) and NV vectors of columns of b (K x ldb, row-major).
 * Per 4 k: one quad of a per row, used in place as FMLA-by-element lanes, and NV
 * vectors of b per k. MR = 6, NV = 3 fills 27 of the 32 q registers. */
#ifndef ORTHOCONV_NEON_GEMM_H
#define ORTHOCONV_NEON_GEMM_H
#include "neon_util.h"

/* nb: real columns from n0 (<= 4*NV). b has krest >= K rows left in its buffer,
 * whose last row holds rowlen floats from b + n0: rows whose vectors would run
 * past it use partial loads. */
ORTHOCONV_NEON_INLINE void orthoconv_neon_gemm_tile_len(const int MR, const int NV,
    float32x4_t acc[6][3], size_t K, size_t krest, const float *a, size_t lda, const float *b,
    size_t ldb, size_t n0, size_t nb, size_t rowlen) {
  ORTHOCONV_NEON_UNROLL
  for (int r = 0; r < MR; r++)
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) acc[r][v] = vdupq_n_f32(0.0f);
  const float *bb = b + n0;
  size_t ksafe = orthoconv_neon_rows_safe(krest, ldb, rowlen, (size_t)4 * NV);
  if (ksafe > K) ksafe = K;
  const size_t kq = ksafe < K ? ksafe & ~(size_t)3 : K & ~(size_t)3;
  size_t k = 0;
  for (; k < kq; k += 4) {
    float32x4_t aq[6];
    ORTHOCONV_NEON_UNROLL
    for (int r = 0; r < MR; r++) aq[r] = vld1q_f32(a + r * lda + k);
#define ORTHOCONV_NEON_GEMM_KSTEP(j)                                                     \
    {                                                                                      \
      const float *br = bb + (k + j) * ldb;                                                \
      ORTHOCONV_NEON_UNROLL                                                                \
      for (int v = 0; v < NV; v++) {                                                       \
        const float32x4_t bv = vld1q_f32(br + 4 * v);                                      \
        ORTHOCONV_NEON_UNROLL                                                              \
        for (int r = 0; r < MR; r++) acc[r][v] = vfmaq_laneq_f32(acc[r][v], bv, aq[r], j); \
      }                                                                                    \
    }
    ORTHOCONV_NEON_GEMM_KSTEP(0)
    ORTHOCONV_NEON_GEMM_KSTEP(1)
    ORTHOCONV_NEON_GEMM_KSTEP(2)
    ORTHOCONV_NEON_GEMM_KSTEP(3)
#undef ORTHOCONV_NEON_GEMM_KSTEP
  }
  for (; k < K; k++) {
    const float *br = bb + k * ldb;
    ORTHOCONV_NEON_UNROLL
    for (int v = 0; v < NV; v++) {
      const float32x4_t bv = k < ksafe ? vld1q_f32(br + 4 * v)
                                       : orthoconv_neon_ld_part(br + 4 * v, orthoconv_neon_lanes(nb, 4 * (size_t)v));
      ORTHOCONV_NEON_UNROLL
      for (int r = 0; r < MR; r++) acc[r][v] = vfmaq_n_f32(acc[r][v], bv, a[r * lda + k]);
    }
  }
}
/* The same with a buffer whose last row holds ldb floats (a whole matrix). */
ORTHOCONV_NEON_INLINE void orthoconv_neon_gemm_tile(const int MR, const int NV,
    float32x4_t acc[6][3], size_t K, size_t krest, const float *a, size_t lda, const float *b,
    size_t ldb, size_t n0, size_t nb) {
  orthoconv_neon_gemm_tile_len(MR, NV, acc, K, krest, a, lda, b, ldb, n0, nb, ldb - n0);
}
#endif
