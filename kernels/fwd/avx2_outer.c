/* AVX2+FMA forward microkernel, outer-product (broadcast) formulation, on W as
 * K x N rows (any row stride): for N well past 10.
 *
 * Per k: 2 ymm of one W row and one broadcast x per row, MR x 2 FMAs. 6 x 16 is
 * 12 accumulators + 2 W + 1 broadcast = 15 of the 16 ymm, 8 loads per 12 FMAs.
 * A tile narrower than 16 filters reads W with vmaskmov (no byte past the tile);
 * a full one with plain loads. Shorter tiles use the narrowest instance that
 * holds them (rows past mr aliased to the last real row); under 4 rows, k is
 * split over 4 chains to cover the FMA latency. kc <= 256 (the list line's
 * range): each accumulator sums at most 256 terms. */
#include <immintrin.h>
#include <stdint.h>
#include "ukernel_decls.h"
#include "avx2_act.h"
#include "act/act.h"

#define OC_INLINE static inline __attribute__((always_inline))

/* The activation over the stored tile, row by row while it is in L1, by the act
 * module's row pass: one copy of the SLEEF epilogue for every AVX2 tile. */
static void act_rows(const orthoconv_fwd_tile *t) { orthoconv_act_rows__avx2(t->mr, t->nc, t->y, t->ldy, t->act); }

OC_INLINE void outer_tile(const int MR, const int FULL, const orthoconv_fwd_tile *t) {
  const int CH = MR >= 4 ? 1 : 4;
  const size_t kc = t->kc, ldw = t->ldw, nc = t->nc;
  const __m256i m0 = orthoconv_avx2_mask(nc), m1 = orthoconv_avx2_mask(nc > 8 ? nc - 8 : 0);
  const float *xr[6];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) xr[r] = t->x + ((size_t)r < t->mr ? (size_t)r : t->mr - 1) * t->ldx;
  /* The tile's fields in locals (a masked store may alias anything: GCC read
   * them again for every row); y and the bias start the first chain, so that
   * the end of the tile is sums and stores alone. */
  const unsigned f = t->flags;
  float *const y0 = t->y;
  const size_t ldy = t->ldy, mr = t->mr;
  const float *const bias = f & ORTHOCONV_TILE_LAST ? t->bias : NULL;
  const __m256 b0 = bias ? _mm256_maskload_ps(bias, m0) : _mm256_setzero_ps();
  const __m256 b1 = bias ? _mm256_maskload_ps(bias + 8, m1) : _mm256_setzero_ps();
  __m256 acc[4][6][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    const float *yr = y0 + ((size_t)r < mr ? (size_t)r : mr - 1) * ldy;
    acc[0][r][0] = f & ORTHOCONV_TILE_FIRST ? b0 : _mm256_add_ps(b0, _mm256_maskload_ps(yr, m0));
    acc[0][r][1] = f & ORTHOCONV_TILE_FIRST ? b1 : _mm256_add_ps(b1, _mm256_maskload_ps(yr + 8, m1));
  }
#pragma GCC unroll 4
  for (int c = 1; c < CH; c++)
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) acc[c][r][0] = acc[c][r][1] = _mm256_setzero_ps();
  /* W's row as an address: past a block's last row it lies past W's end when the
   * block starts n0 > 0 floats into a row of W as given, which a pointer may not. */
  uintptr_t wa = (uintptr_t)t->w;
  size_t k = 0;
#define OC_KSTEP(c)                                                                       \
  do {                                                                                    \
    const float *wk = (const float *)wa;                                                  \
    const __m256 w0 = FULL ? _mm256_loadu_ps(wk) : _mm256_maskload_ps(wk, m0);           \
    const __m256 w1 = FULL ? _mm256_loadu_ps(wk + 8) : _mm256_maskload_ps(wk + 8, m1);   \
    _Pragma("GCC unroll 6") for (int r = 0; r < MR; r++) {                                \
      const __m256 xb = _mm256_broadcast_ss(xr[r] + k + (c));                             \
      acc[c][r][0] = _mm256_fmadd_ps(xb, w0, acc[c][r][0]);                               \
      acc[c][r][1] = _mm256_fmadd_ps(xb, w1, acc[c][r][1]);                               \
    }                                                                                     \
    wa += ldw * sizeof(float);                                                            \
  } while (0)
  for (; k + CH <= kc; k += CH) {
#pragma GCC unroll 4
    for (int c = 0; c < CH; c++) OC_KSTEP(c);
  }
  for (; k < kc; k++) OC_KSTEP(0);
#undef OC_KSTEP
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    if ((size_t)r >= mr) break;
    float *y = y0 + (size_t)r * ldy;
#pragma GCC unroll 2
    for (int v = 0; v < 2; v++) {
      __m256 s = acc[0][r][v];
#pragma GCC unroll 3
      for (int c = 1; c < CH; c++) s = _mm256_add_ps(s, acc[c][r][v]);
      _mm256_maskstore_ps(y + 8 * v, v ? m1 : m0, s);
    }
  }
  if ((f & ORTHOCONV_TILE_LAST) && t->act != ORTHOCONV_ACT_NONE &&
      (t->act != ORTHOCONV_ACT_SOFTMAX || (f & ORTHOCONV_TILE_ROW)))
    act_rows(t);
}

#define OC_OUTER(MR, FULL) \
  static void outer_##MR##_##FULL(const orthoconv_fwd_tile *t) { outer_tile(MR, FULL, t); }
OC_OUTER(1, 0) OC_OUTER(2, 0) OC_OUTER(4, 0) OC_OUTER(6, 0)
OC_OUTER(1, 1) OC_OUTER(2, 1) OC_OUTER(4, 1) OC_OUTER(6, 1)

void orthoconv_fwd_ukernel_6x16__avx2_outer(const orthoconv_fwd_tile *t) {
  static void (*const by_rows[2][4])(const orthoconv_fwd_tile *) = {
    { outer_1_0, outer_2_0, outer_4_0, outer_6_0 }, { outer_1_1, outer_2_1, outer_4_1, outer_6_1 } };
  const size_t mr = t->mr;
  by_rows[t->nc == 16][mr <= 1 ? 0 : mr <= 2 ? 1 : mr <= 4 ? 2 : 3](t);
}
