/* AVX2+FMA forward on the K16 packed layout, dot-product formulation.
 *
 * As in the AVX-512 variant every lane accumulates partial sums along k, so no
 * lane is wasted for N = 10; with 16 ymm registers the tile is 2 rows x 5
 * filters (10 accumulators, 2 X vectors, 1 W vector): per 8 k it loads 7
 * vectors for 10 FMAs. N is covered in groups of 10 filters (two tiles of 5 that
 * share the 2 X rows while they are in L1).
 * K is cut into chunks of kc so that the live slice of packed W stays in L1
 * while a block of mb rows passes over it; between chunks the accumulators of
 * each row pair wait in a stack buffer. While a block is computed, the next
 * block of rows is prefetched front to back as one sequential stream.
 * Outputs of a group are written pre-activation, then bias and activation run
 * on the row while it is in L1 (softmax after the row's last group). */
#include <immintrin.h>
#include <stdint.h>
#include "ukernel_decls.h"
#include "avx2_act.h"
#include "fwd/pack.h"

#define OC_INLINE static inline __attribute__((always_inline))
#define OC_MAXMB 32
#define OC_NT 5  /* filters per register tile */
#define OC_NG 10 /* filters per group (two tiles) */

/* Lane n of the result = sum of v[n], n < nc <= 8 (lanes past nc: 0). */
OC_INLINE __m256 hsum_many8(const __m256 *v, const int nc) {
  const __m256 z = _mm256_setzero_ps();
  __m256 u[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) u[i] = i < nc ? v[i] : z;
  const __m256 t0 = _mm256_hadd_ps(_mm256_hadd_ps(u[0], u[1]), _mm256_hadd_ps(u[2], u[3]));
  const __m256 t1 = nc > 4 ? _mm256_hadd_ps(_mm256_hadd_ps(u[4], u[5]), _mm256_hadd_ps(u[6], u[7])) : z;
  return _mm256_add_ps(_mm256_permute2f128_ps(t0, t1, 0x20), _mm256_permute2f128_ps(t0, t1, 0x31));
}

OC_INLINE void pf_line(const float *p, const int l1) {
  if (l1) _mm_prefetch((const char *)p, _MM_HINT_T0);
  else _mm_prefetch((const char *)p, _MM_HINT_T1);
}

typedef struct pf_cursor {
  const float *row; /* next row to prefetch, NULL when done */
  size_t col, rows_left, ldx, K;
} pf_cursor;

OC_INLINE void pf_advance(pf_cursor *c, const int l1) {
  if (!c->row) return;
  pf_line(c->row + c->col, l1);
  c->col += 16;
  if (c->col >= c->K) {
    c->col = 0;
    c->row = --c->rows_left ? c->row + c->ldx : NULL;
  }
}

/* 8 k of one half (h = 0, 1) of a 16-k block. */
#define OC_HALF(XL0, XL1, h)                                                   \
  do {                                                                         \
    const __m256 xv0 = XL0;                                                    \
    const __m256 xv1 = mr > 1 ? XL1 : xv0;                                     \
    _Pragma("GCC unroll 8") for (int n = 0; n < nc; n++) {                     \
      __m256 wv = _mm256_loadu_ps(wb + 16 * n + 8 * (h));                      \
      /* one load feeds both rows: keep the compiler from folding it twice */  \
      if (mr > 1) __asm__("" : "+x"(wv));                                      \
      a0[n] = _mm256_fmadd_ps(xv0, wv, a0[n]);                                 \
      if (mr > 1) a1[n] = _mm256_fmadd_ps(xv1, wv, a1[n]);                     \
    }                                                                          \
  } while (0)

/* mr rows x nc filters over kl (multiple of 16) + ktail k. buf: 2 x 5 ymm of state.
 * On the last chunk the sums go (pre-activation) to y0[0..nc), y1[0..nc). */
OC_INLINE void tile(const int mr, const int nc, const int pf, const int l1, int first, int last,
    size_t kl, size_t ktail, const float *x0, const float *x1, const float *w, size_t wstride,
    __m256 *buf, pf_cursor *cur, float *y0, float *y1) {
  __m256 a0[8], a1[8];
#pragma GCC unroll 8
  for (int n = 0; n < nc; n++) {
    a0[n] = first ? _mm256_setzero_ps() : buf[n];
    a1[n] = first || mr < 2 ? _mm256_setzero_ps() : buf[OC_NT + n];
  }
  const float *wb = w;
  for (size_t kb = 0; kb < kl / 16; kb++, wb += wstride) {
    const float *p0 = x0 + 16 * kb, *p1 = x1 + 16 * kb;
    OC_HALF(_mm256_loadu_ps(p0), _mm256_loadu_ps(p1), 0);
    OC_HALF(_mm256_loadu_ps(p0 + 8), _mm256_loadu_ps(p1 + 8), 1);
    if (pf) {
      pf_advance(cur, l1);
      pf_advance(cur, l1);
    }
  }
  if (ktail) {
    /* X rows are not padded: masked loads. The packed W block is zero-padded. */
    const float *p0 = x0 + kl, *p1 = x1 + kl;
    const __m256i m0 = orthoconv_avx2_mask(ktail), m1 = orthoconv_avx2_mask(ktail > 8 ? ktail - 8 : 0);
    OC_HALF(_mm256_maskload_ps(p0, m0), _mm256_maskload_ps(p1, m0), 0);
    OC_HALF(_mm256_maskload_ps(p0 + 8, m1), _mm256_maskload_ps(p1 + 8, m1), 1);
  }
  if (last) {
    const __m256i m = orthoconv_avx2_mask((size_t)nc);
    _mm256_maskstore_ps(y0, m, hsum_many8(a0, nc));
    if (mr > 1) _mm256_maskstore_ps(y1, m, hsum_many8(a1, nc));
    return;
  }
#pragma GCC unroll 8
  for (int n = 0; n < nc; n++) {
    buf[n] = a0[n];
    if (mr > 1) buf[OC_NT + n] = a1[n];
  }
}

static void tile_dispatch(int mr, int nc, int pf, int l1, int first, int last, size_t kl,
    size_t ktail, const float *x0, const float *x1, const float *w, size_t wstride, __m256 *buf,
    pf_cursor *cur, float *y0, float *y1) {
#define OC_T(r, c, p, l) tile(r, c, p, l, first, last, kl, ktail, x0, x1, w, wstride, buf, cur, y0, y1)
#define OC_CASE(c)                                \
  case c:                                         \
    if (mr == 1) OC_T(1, c, 0, 0);                \
    else if (pf && l1) OC_T(2, c, 1, 1);          \
    else if (pf) OC_T(2, c, 1, 0);                \
    else OC_T(2, c, 0, 0);                        \
    return;
  switch (nc) {
    OC_CASE(1) OC_CASE(2) OC_CASE(3) OC_CASE(4) OC_CASE(5)
  default:
    return;
  }
#undef OC_CASE
#undef OC_T
}

void orthoconv_fwd_ukernel_2x5__avx2_dotkc(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  size_t kc = (size_t)t[0], mb = (size_t)t[1];
  const int pf = t[2] != 0 && M > mb, l1 = t[2] == 2;
  if (kc < 16) kc = 16;
  kc &= ~(size_t)15;
  if (mb < 2) mb = 2;
  if (mb > OC_MAXMB) mb = OC_MAXMB;
  /* per row pair and tile: 2 x 5 ymm; two tiles per group: 10 KiB at mb = 32 */
  __m256 bufs[OC_MAXMB / 2 * 2 * 2 * OC_NT];
  const size_t wstride = 16 * N;
  for (size_t m0 = 0; m0 < M; m0 += mb) {
    const size_t mm = M - m0 < mb ? M - m0 : mb;
    const float *xb = x + m0 * ldx;
    float *yb = y + m0 * ldy;
    pf_cursor cur = { NULL, 0, 0, ldx, K };
    if (pf && m0 + mb < M) {
      cur.row = xb + mb * ldx;
      cur.rows_left = M - (m0 + mb) < mb ? M - (m0 + mb) : mb;
    }
    for (size_t g0 = 0; g0 < N; g0 += OC_NG) {
      const size_t ng = N - g0 < OC_NG ? N - g0 : OC_NG;
      for (size_t k0 = 0; k0 < K; k0 += kc) {
        const int first = k0 == 0, last = K - k0 <= kc;
        const size_t kl = last ? (K - k0) / 16 * 16 : kc, ktail = last ? K % 16 : 0;
        for (size_t m = 0; m < mm; m += 2) {
          const int mr = mm - m >= 2 ? 2 : 1;
          const float *x0 = xb + m * ldx + k0, *x1 = mr > 1 ? x0 + ldx : x0;
          float *y0 = yb + m * ldy, *y1 = mr > 1 ? y0 + ldy : y0;
          for (size_t n0 = g0; n0 < g0 + ng; n0 += OC_NT) {
            const size_t nc = g0 + ng - n0 < OC_NT ? g0 + ng - n0 : OC_NT;
            /* prefetch pace: two lines per 16 k of the first tile of the first group */
            const int tpf = pf && g0 == 0 && n0 == 0;
            tile_dispatch(mr, (int)nc, tpf, l1, first, last, kl, ktail, x0, x1,
                          w + k0 * N + 16 * n0, wstride, bufs + (m / 2 * 2 + (n0 - g0) / OC_NT) * 2 * OC_NT,
                          &cur, y0 + n0, y1 + n0);
          }
          if (last && (act != ORTHOCONV_ACT_SOFTMAX || ng == N)) {
            orthoconv_avx2_bias_act_row(y0 + g0, bias ? bias + g0 : NULL, ng, act);
            if (mr > 1) orthoconv_avx2_bias_act_row(y1 + g0, bias ? bias + g0 : NULL, ng, act);
          }
        }
      }
    }
    if (act == ORTHOCONV_ACT_SOFTMAX && N > OC_NG)
      for (size_t m = 0; m < mm; m++) orthoconv_avx2_bias_act_row(yb + m * ldy, bias, N, act);
  }
}

/* ---- raw W, packed per call ------------------------------------------------
 * orthoconv_forward gets W as K x N. Packing it into K16 (baseline code, ~4 us
 * for K = 1024, N = 10) and running the dot kernel beats the broadcast kernel
 * from about M = 32 on, since the dot tile uses every lane. The packed copy
 * lives on the stack, capped at 40 KiB; larger W goes to the broadcast kernel. */

#define OC_PACK_CAP 10240 /* floats */

void orthoconv_fwd_ukernel_2x5__avx2_packdot(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  const size_t nkb = (K + 15) / 16;
  if (N > OC_PACK_CAP / 16 || nkb > OC_PACK_CAP / 16 / N) {
    orthoconv_fwd_ukernel_4x16__avx2_bcast(M, K, N, x, ldx, w, bias, act, y, ldy, t);
    return;
  }
  float p[OC_PACK_CAP] __attribute__((aligned(64)));
  orthoconv_priv_pack_k16(K, N, w, p);
  orthoconv_fwd_ukernel_2x5__avx2_dotkc(M, K, N, x, ldx, p, bias, act, y, ldy, t);
}
