/* Static-inline AdvSIMD helpers for the NEON kernel files (AArch64 baseline, no
 * extra flags, so sharing them across those files cannot mix ISAs). */
#ifndef ORTHOCONV_NEON_UTIL_H
#define ORTHOCONV_NEON_UTIL_H
#include <arm_neon.h>
#include <stddef.h>

#define ORTHOCONV_NEON_INLINE static inline __attribute__((always_inline))
/* Loops over a tile's rows and vectors must unroll completely: an accumulator
 * array indexed by a loop counter is kept in memory, not in registers. */
#define ORTHOCONV_NEON_UNROLL _Pragma("GCC unroll 16")

/* acc + b * a[lane] as one FMLA by element. Through vfmaq_laneq_f32, GCC 12 may
 * hoist a DUP of each lane that several FMLAs share, a register per lane: in a
 * tile that fills the register file the accumulators then spill (the Gram's
 * diagonal block: 12 DUPs beside 24 accumulators, 52% of the FMA bound of
 * neoverse-v1 in llvm-mca). In asm the lane stays in its quad. lane: a constant. */
#define ORTHOCONV_NEON_FMA_LANE(acc, b, a, lane) \
  __asm__("fmla %0.4s, %1.4s, %2.s[%3]" : "+w"(acc) : "w"(b), "w"(a), "i"(lane))

/* acc + a * b (FMLA, vectors). For the bf16 widening kernel's 20 accumulators:
 * with vfmaq_f32 GCC 12 parked accumulators in spare registers and moved them
 * back every block (8 MOVs per 40 FMLA; 71% of the FMA bound of neoverse-v1 in
 * llvm-mca, 87% in asm). */
#define ORTHOCONV_NEON_FMA(acc, a, b) __asm__("fmla %0.4s, %1.4s, %2.4s" : "+w"(acc) : "w"(a), "w"(b))

/* Lanes [0, c) from p, the rest zero; reads only c floats (c >= 4: a full load).
 * Zero lanes matter: a stale lane times a zero weight could still be NaN. */
ORTHOCONV_NEON_INLINE float32x4_t orthoconv_neon_ld_part(const float *p, size_t c) {
  if (c >= 4) return vld1q_f32(p);
  float32x4_t v = vdupq_n_f32(0.0f);
  if (c >= 2) {
    v = vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f));
    if (c == 3) v = vld1q_lane_f32(p + 2, v, 2);
  } else if (c == 1) {
    v = vld1q_lane_f32(p, v, 0);
  }
  return v;
}

/* Lanes [0, c) of v to p; nothing else is written. */
ORTHOCONV_NEON_INLINE void orthoconv_neon_st_part(float *p, float32x4_t v, size_t c) {
  if (c >= 4) {
    vst1q_f32(p, v);
  } else if (c >= 2) {
    vst1_f32(p, vget_low_f32(v));
    if (c == 3) vst1q_lane_f32(p + 2, v, 2);
  } else if (c == 1) {
    vst1q_lane_f32(p, v, 0);
  }
}

/* Lanes of a row segment that are real elements: clamp(len - off, 0, 4). */
ORTHOCONV_NEON_INLINE size_t orthoconv_neon_lanes(size_t len, size_t off) {
  return off >= len ? 0 : len - off >= 4 ? 4 : len - off;
}

/* A buffer of `rows` rows with stride ld whose last row has rowlen floats: how
 * many leading rows k can be read with a full 4-float load at k*ld + end - 4
 * without leaving the buffer. Rows past that need orthoconv_neon_ld_part; rows
 * before it may read into the next row, whose values land only in lanes that are
 * then discarded. */
ORTHOCONV_NEON_INLINE size_t orthoconv_neon_rows_safe(size_t rows, size_t ld, size_t rowlen,
    size_t end) {
  if (rows == 0 || end <= rowlen) return rows;
  const size_t total = (rows - 1) * ld + rowlen;
  if (total < end) return 0;
  const size_t r = (total - end) / ld + 1;
  return r < rows ? r : rows;
}

/* {sum a, sum b, sum c, sum d}. */
ORTHOCONV_NEON_INLINE float32x4_t orthoconv_neon_hsum4(float32x4_t a, float32x4_t b,
    float32x4_t c, float32x4_t d) {
  return vpaddq_f32(vpaddq_f32(a, b), vpaddq_f32(c, d));
}
#endif
