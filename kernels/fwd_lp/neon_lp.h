/* NEON helpers of the bf16 and int8 tiles: the epilogue of up to 4 outputs of a
 * row, the reduction of a dot tile's accumulators, and the two frames (dot along
 * K for 2 rows x 10 filters; 2 x 2 matrix products for 4 rows x 10 filters).
 * Include only from the NEON kernel files of kernels/fwd_bf16 and fwd_q8; every
 * helper is static, so each file compiles its own copy under its own -march. */
#ifndef ORTHOCONV_NEON_LP_H
#define ORTHOCONV_NEON_LP_H
#include <stdint.h>
#include <string.h>
#include "neon_act.h"
#include "ukernel.h"

#define OC_LP_INLINE ORTHOCONV_NEON_INLINE
#define OC_LP_NR 10

/* bf16: c outputs (filters j0.. of the tile) of one row at y: the sums so far
 * unless FIRST; on LAST bias and an element-wise activation. */
OC_LP_INLINE void oc_lp_store4_f32(float32x4_t v, float *y, size_t j0, size_t c, const orthoconv_lp_tile *t) {
  if (!(t->flags & ORTHOCONV_TILE_FIRST)) v = vaddq_f32(v, orthoconv_neon_ld_part(y, c));
  if (t->flags & ORTHOCONV_TILE_LAST)
    v = orthoconv_neon_epilogue(v, t->bias, j0, c, t->act == ORTHOCONV_ACT_SOFTMAX ? ORTHOCONV_ACT_NONE : t->act);
  orthoconv_neon_st_part(y, v, c);
}

/* int8: as oc_lp_store_q8 of avx512_lp.h (off - zp) colsum on FIRST, int32 bits
 * between k blocks, the header's formula on LAST, one rounding per operation. */
OC_LP_INLINE void oc_lp_store4_q8(int32x4_t v, float *y, size_t j0, size_t c, const orthoconv_lp_tile *t, int32_t off) {
  if (t->flags & ORTHOCONV_TILE_FIRST) {
    int32_t cs[4] = { 0, 0, 0, 0 };
    memcpy(cs, t->colsum + j0, c * sizeof cs[0]);
    v = vmlaq_n_s32(v, vld1q_s32(cs), off - t->zp);
  } else {
    v = vaddq_s32(v, vreinterpretq_s32_f32(orthoconv_neon_ld_part(y, c)));
  }
  if (!(t->flags & ORTHOCONV_TILE_LAST)) {
    orthoconv_neon_st_part(y, vreinterpretq_f32_s32(v), c);
    return;
  }
  const float32x4_t s = vmulq_n_f32(orthoconv_neon_ld_part(t->w_scale + j0, c), t->x_scale);
  float32x4_t f = vaddq_f32(vmulq_f32(vcvtq_f32_s32(v), s), orthoconv_neon_ld_part(t->bias + j0, c));
  if (t->act != ORTHOCONV_ACT_SOFTMAX) f = orthoconv_neon_act(f, t->act);
  orthoconv_neon_st_part(y, f, c);
}

/* Softmax of whole rows once their last block is stored. */
OC_LP_INLINE void oc_lp_softmax_rows(const orthoconv_lp_tile *t, size_t rows) {
  if ((t->flags & ORTHOCONV_TILE_LAST) && (t->flags & ORTHOCONV_TILE_ROW) && t->act == ORTHOCONV_ACT_SOFTMAX)
    for (size_t r = 0; r < rows; r++) orthoconv_neon_softmax_row(t->y + r * t->ldy, t->nc);
}

/* The last n elements of a row's k block, copied into zeros (X rows are not
 * padded); 16 bytes. */
OC_LP_INLINE uint8x16_t oc_lp_tail16(const void *p, size_t nbytes) {
  uint8_t b[16] = { 0 };
  memcpy(b, p, nbytes);
  return vld1q_u8(b);
}

/* A dot tile's row: 10 accumulators of 4 lanes -> 10 outputs in 3 vectors. */
#define OC_LP_ROW10(NAME, ACC, PADD, ZERO, STORE)                                      \
  OC_LP_INLINE void NAME(const ACC *a, float *y, const orthoconv_lp_tile *t) {         \
    const ACC z = ZERO;                                                                \
    const ACC s[3] = { PADD(PADD(a[0], a[1]), PADD(a[2], a[3])), PADD(PADD(a[4], a[5]), PADD(a[6], a[7])), \
                       PADD(PADD(a[8], a[9]), z) };                                    \
    ORTHOCONV_NEON_UNROLL                                                              \
    for (size_t j = 0; j < 3; j++) {                                                   \
      const size_t c = orthoconv_neon_lanes(t->nc, 4 * j);                             \
      if (c) STORE(s[j], y + 4 * j, 4 * j, c, t);                                      \
    }                                                                                  \
  }

/* The dot frame: 2 rows x 10 filters, a vector of 4 partial sums per (row,
 * filter) pair: 20 accumulators. Per block of B k: XV = LOADX(p) per row (TAILX
 * for the kc % B tail), then per phase h < PH and filter MAC(acc0, acc1, xv0,
 * xv1, w, MR, h) with w its B elements of the block (KBLK layouts); ROW stores a
 * row. The widening kernels take their block in two phases (low, then high
 * half of X): all filters' low halves before any high half keeps 2 widened X
 * vectors live beside the 20 accumulators instead of 4 (int8: 83% -> 88% of the
 * pipes' bound of neoverse-v1 in llvm-mca). */
#define OC_LP_DOT_NEON_STEP(XV0, XV1, MAC, WK, B, PH)                                              \
  do {                                                                                             \
    const __typeof__(XV0) xv0 = XV0, xv1 = MR > 1 ? XV1 : xv0;                                     \
    ORTHOCONV_NEON_UNROLL for (int h = 0; h < (PH); h++)                                           \
      ORTHOCONV_NEON_UNROLL for (int n = 0; n < OC_LP_NR; n++) MAC(a0[n], a1[n], xv0, xv1, WK + (B) * n, MR, h); \
  } while (0)
#define OC_LP_DOT_NEON(FN, ACC, ZERO, XE, LOADX, TAILX, WE, MAC, B, PH, PFMASK, ROW)               \
  OC_LP_INLINE void FN##_rows(const int MR, const orthoconv_lp_tile *t) {                          \
    ACC a0[OC_LP_NR], a1[OC_LP_NR];                                                                \
    ORTHOCONV_NEON_UNROLL for (int n = 0; n < OC_LP_NR; n++) a0[n] = a1[n] = ZERO;                \
    const XE *x0 = t->x, *x1 = MR > 1 ? x0 + t->ldx : x0;                                          \
    const WE *w = t->w;                                                                            \
    const size_t nkb = t->kc / (B), tail = t->kc % (B);                                            \
    for (size_t kb = 0; kb < nkb; kb++) {                                                          \
      const WE *wk = w + kb * t->ldw;                                                              \
      OC_LP_DOT_NEON_STEP(LOADX(x0 + (B) * kb), LOADX(x1 + (B) * kb), MAC, wk, B, PH);             \
      if (t->pf && (kb & (PFMASK)) == (PFMASK)) orthoconv_lp_pf_advance(t->pf);                    \
    }                                                                                              \
    if (tail) {                                                                                    \
      const WE *wk = w + nkb * t->ldw;                                                             \
      OC_LP_DOT_NEON_STEP(TAILX(x0 + (B) * nkb, tail), TAILX(x1 + (B) * nkb, tail), MAC, wk, B, PH); \
    }                                                                                              \
    ROW(a0, t->y, t);                                                                              \
    if (MR > 1) ROW(a1, t->y + t->ldy, t);                                                         \
    oc_lp_softmax_rows(t, (size_t)MR);                                                             \
  }                                                                                                \
  void FN(const orthoconv_lp_tile *t) {                                                            \
    if (t->mr > 1) FN##_rows(2, t);                                                                \
    else FN##_rows(1, t);                                                                          \
  }

/* The matrix-product frame: 4 rows x 10 filters as 2 row pairs x 5 filter pairs,
 * each accumulator the 2 x 2 block [y(r, n), y(r, n+1), y(r+1, n), y(r+1, n+1)].
 * Per block of B k (one 128-bit load of a row: two groups of 64 bits), rows r and
 * r+1 are interleaved by 64-bit zips into the 2 x g operands of each group (TOAV:
 * to the operand type AV); W comes in the MMLA layout (ukernel.h): a filter
 * pair's group is one 128-bit load (LOADW, type BV). Rows past mr read row
 * mr - 1 again (their results are not stored). SFX: f32 or s32, the accumulator
 * lanes. */
#define OC_LP_MMLA_NEON_STEP(XLOAD, TOAV, AV, BV, LOADW, MMLA, WK, B)                              \
  do {                                                                                             \
    uint64x2_t xv[4];                                                                              \
    ORTHOCONV_NEON_UNROLL for (int r = 0; r < 4; r++) xv[r] = vreinterpretq_u64_u8(XLOAD(r, B));      \
    AV op[2][2];                                                                                   \
    ORTHOCONV_NEON_UNROLL for (int p = 0; p < 2; p++) {                                            \
      op[p][0] = TOAV(vzip1q_u64(xv[2 * p], xv[2 * p + 1]));                                       \
      op[p][1] = TOAV(vzip2q_u64(xv[2 * p], xv[2 * p + 1]));                                       \
    }                                                                                              \
    ORTHOCONV_NEON_UNROLL for (int q = 0; q < 5; q++) {                                            \
      const BV b0 = LOADW(WK + 2 * (B) * q), b1 = LOADW(WK + 2 * (B) * q + (B));                   \
      ORTHOCONV_NEON_UNROLL for (int p = 0; p < 2; p++) a[p][q] = MMLA(MMLA(a[p][q], op[p][0], b0), op[p][1], b1); \
    }                                                                                              \
  } while (0)
#define OC_LP_MMLA_NEON(FN, ACC, ZERO, XE, AV, TOAV, WE, BV, LOADW, MMLA, B, PFMASK, SFX)          \
  void FN(const orthoconv_lp_tile *t) {                                                            \
    ACC a[2][5];                                                                                   \
    ORTHOCONV_NEON_UNROLL for (int p = 0; p < 2; p++) ORTHOCONV_NEON_UNROLL for (int q = 0; q < 5; q++) a[p][q] = ZERO; \
    const XE *xr[4];                                                                               \
    ORTHOCONV_NEON_UNROLL for (size_t r = 0; r < 4; r++) xr[r] = (const XE *)t->x + (r < t->mr ? r : t->mr - 1) * t->ldx; \
    const WE *w = t->w;                                                                            \
    const size_t nkb = t->kc / (B), tail = t->kc % (B);                                            \
    for (size_t kb = 0; kb < nkb; kb++) {                                                          \
      const WE *wk = w + kb * t->ldw;                                                              \
      OC_LP_MMLA_NEON_STEP(OC_LP_XL_FULL, TOAV, AV, BV, LOADW, MMLA, wk, B);                       \
      if (t->pf && (kb & (PFMASK)) == (PFMASK)) orthoconv_lp_pf_advance(t->pf);                    \
    }                                                                                              \
    if (tail) {                                                                                    \
      const size_t kb = nkb;                                                                       \
      const WE *wk = w + nkb * t->ldw;                                                             \
      OC_LP_MMLA_NEON_STEP(OC_LP_XL_TAIL, TOAV, AV, BV, LOADW, MMLA, wk, B);                       \
    }                                                                                              \
    /* Row 2p: the low halves of its pair's accumulators, row 2p + 1 the high ones. */            \
    ORTHOCONV_NEON_UNROLL for (size_t r = 0; r < 4; r++) {                                         \
      if (r >= t->mr) break;                                                                       \
      const ACC *ap = a[r / 2];                                                                    \
      ACC s[3];                                                                                    \
      if (r % 2 == 0) {                                                                            \
        s[0] = vcombine_##SFX(vget_low_##SFX(ap[0]), vget_low_##SFX(ap[1]));                       \
        s[1] = vcombine_##SFX(vget_low_##SFX(ap[2]), vget_low_##SFX(ap[3]));                       \
        s[2] = vcombine_##SFX(vget_low_##SFX(ap[4]), vget_low_##SFX(ap[4]));                       \
      } else {                                                                                     \
        s[0] = vcombine_##SFX(vget_high_##SFX(ap[0]), vget_high_##SFX(ap[1]));                     \
        s[1] = vcombine_##SFX(vget_high_##SFX(ap[2]), vget_high_##SFX(ap[3]));                     \
        s[2] = vcombine_##SFX(vget_high_##SFX(ap[4]), vget_high_##SFX(ap[4]));                     \
      }                                                                                            \
      ORTHOCONV_NEON_UNROLL for (size_t j = 0; j < 3; j++) {                                       \
        const size_t c = orthoconv_neon_lanes(t->nc, 4 * j);                                       \
        if (c) OC_LP_MMLA_STORE_##SFX(s[j], t->y + r * t->ldy + 4 * j, 4 * j, c, t);               \
      }                                                                                            \
    }                                                                                              \
    oc_lp_softmax_rows(t, t->mr);                                                                  \
  }
/* Row r of the block kb: a full 128-bit load, or the tail copied into zeros. */
#define OC_LP_XL_FULL(r, B) vld1q_u8((const uint8_t *)(const void *)(xr[r] + (B) * kb))
#define OC_LP_XL_TAIL(r, B) oc_lp_tail16(xr[r] + (B) * kb, tail * sizeof *xr[r])
#define OC_LP_MMLA_STORE_f32 oc_lp_store4_f32
#define OC_LP_MMLA_STORE_s32(v, y, j0, c, t) oc_lp_store4_q8(v, y, j0, c, t, 0)
#endif
