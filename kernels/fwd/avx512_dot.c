/* AVX-512 forward on the K16 packed layout, dot-product formulation.
 *
 * For N around 10 an outer product along N fills 10 of 16 lanes; along K every
 * lane is useful. Each (row, filter) pair owns one zmm accumulator holding 16
 * partial sums over k; a register tile is 2 rows x 10 filters = 20 accumulators
 * (3 rows would spill). Per 16 k the tile loads 2 X vectors and 10 W vectors for
 * 20 FMAs, so it is FMA-bound, not load-bound, while W stays in L1.
 * Horizontal sums happen once per tile at the end of K, as a transpose-add tree
 * that leaves the 10 results of a row in one vector, ready for the fused bias and
 * activation and a single masked store.
 *
 * Large M is bound by reading X from DRAM. Two rows read k-step by k-step are two
 * streams 4 KiB apart, which DRAM serves poorly; so while a row pair is computed,
 * the pair pf_rows ahead is prefetched as one sequential stream (first its first
 * row, then its second), spread evenly over the k loop.
 *
 * Tunables: pf_rows (0 = no software prefetch), pf_l1 (prefetch into L1 instead of
 * L2). N is covered in chunks of 10 filters (the last chunk narrower). */
#include <immintrin.h>
#include <stdint.h>
#include "ukernel_decls.h"
#include "avx512_act.h"

#define OC_INLINE static inline __attribute__((always_inline))

/* Result lane n = sum of the 16 lanes of v[n], n < nc (nc <= 16; other lanes 0). */
OC_INLINE __m512 hsum_many(const __m512 *v, const int nc) {
  const __m512 z = _mm512_setzero_ps();
  __m512 l1[8], l2[4];
#pragma GCC unroll 8
  for (int p = 0; p < 8; p++) {
    if (2 * p < nc) {
      const __m512 a = v[2 * p], b = 2 * p + 1 < nc ? v[2 * p + 1] : z;
      /* quarter lanes: a(q0+q2), a(q1+q3), b(q0+q2), b(q1+q3) */
      l1[p] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xee));
    } else {
      l1[p] = z;
    }
  }
#pragma GCC unroll 4
  for (int q = 0; q < 4; q++) {
    if (4 * q < nc) {
      const __m512 c = l1[2 * q], d = l1[2 * q + 1];
      /* quarter j now holds 4 partial sums of v[4q + j] */
      l2[q] = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(3, 1, 3, 1)));
    } else {
      l2[q] = z;
    }
  }
  const __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(l2[0], l2[1]), _mm512_unpackhi_ps(l2[0], l2[1]));
  __m512 r;
  if (nc > 8) {
    const __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(l2[2], l2[3]), _mm512_unpackhi_ps(l2[2], l2[3]));
    r = _mm512_add_ps(_mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(1, 0, 1, 0)),
                      _mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(3, 2, 3, 2)));
  } else {
    r = _mm512_add_ps(_mm512_shuffle_ps(s01, z, _MM_SHUFFLE(1, 0, 1, 0)),
                      _mm512_shuffle_ps(s01, z, _MM_SHUFFLE(3, 2, 3, 2)));
  }
  /* lane 4j + i holds the sum of v[4i + j]: transpose the 4 x 4 quarters */
  const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(idx, r);
}

OC_INLINE void pf_line(const float *p, const int l1) {
  if (l1) _mm_prefetch((const char *)p, _MM_HINT_T0);
  else _mm_prefetch((const char *)p, _MM_HINT_T1);
}

/* One step of 16 k for mr rows x nc filters. */
#define OC_STEP(XLOAD0, XLOAD1)                                                  \
  do {                                                                           \
    const __m512 xv0 = XLOAD0;                                                   \
    const __m512 xv1 = mr > 1 ? XLOAD1 : xv0;                                    \
    _Pragma("GCC unroll 16") for (int n = 0; n < nc; n++) {                      \
      __m512 wv = _mm512_loadu_ps(wb + 16 * n);                                  \
      /* one load feeds both rows: keep the compiler from folding it twice */    \
      if (mr > 1) __asm__("" : "+v"(wv));                                        \
      a0[n] = _mm512_fmadd_ps(xv0, wv, a0[n]);                                   \
      if (mr > 1) a1[n] = _mm512_fmadd_ps(xv1, wv, a1[n]);                       \
    }                                                                            \
  } while (0)

/* Dot products of rows x0 (and x1 if mr == 2) with nc packed filters.
 * w: first filter of the chunk at k block 0; wstride: floats per k block (16 N).
 * pfa, pfb: the two rows to prefetch (pf != 0). Results: lane n of *r0 / *r1. */
OC_INLINE void dot_tile(const int mr, const int nc, const int pf, const int l1, size_t K,
    const float *x0, const float *x1, const float *w, size_t wstride, const float *pfa,
    const float *pfb, __m512 *r0, __m512 *r1) {
  __m512 a0[16], a1[16];
#pragma GCC unroll 16
  for (int n = 0; n < nc; n++) {
    a0[n] = _mm512_setzero_ps();
    a1[n] = _mm512_setzero_ps();
  }
  const size_t nkb = K / 16, half = (nkb + 1) / 2;
  const float *wb = w;
  size_t kb = 0;
  for (; kb < half; kb++, wb += wstride) {
    OC_STEP(_mm512_loadu_ps(x0 + 16 * kb), _mm512_loadu_ps(x1 + 16 * kb));
    if (pf) {
      const size_t o = 32 * kb, o2 = o + 16 < K ? o + 16 : K - 1;
      pf_line(pfa + (o < K ? o : K - 1), l1);
      pf_line(pfa + o2, l1);
    }
  }
  for (; kb < nkb; kb++, wb += wstride) {
    OC_STEP(_mm512_loadu_ps(x0 + 16 * kb), _mm512_loadu_ps(x1 + 16 * kb));
    if (pf) {
      const size_t o = 32 * (kb - half), o2 = o + 16 < K ? o + 16 : K - 1;
      pf_line(pfb + o, l1);
      pf_line(pfb + o2, l1);
    }
  }
  if (K % 16) {
    /* X rows are not padded: masked loads. The packed W block is zero-padded. */
    const __mmask16 m = orthoconv_avx512_mask(K % 16);
    OC_STEP(_mm512_maskz_loadu_ps(m, x0 + 16 * nkb), _mm512_maskz_loadu_ps(m, x1 + 16 * nkb));
  }
  *r0 = hsum_many(a0, nc);
  if (mr > 1) *r1 = hsum_many(a1, nc);
}

OC_INLINE void epilogue(__m512 v, float *y, const float *bias, const int nc,
    orthoconv_activation act, int whole_row) {
  const __mmask16 m = orthoconv_avx512_mask((size_t)nc);
  if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias));
  if (act == ORTHOCONV_ACT_SOFTMAX) {
    /* in register when the chunk is the whole row; else the row pass does it */
    if (whole_row) v = orthoconv_avx512_softmax16(v, m);
  } else if (act != ORTHOCONV_ACT_NONE) {
    v = orthoconv_avx512_act_elem(v, act);
  }
  _mm512_mask_storeu_ps(y, m, v);
}

/* All rows for filters [n0, n0 + nc) with nc fixed at compile time. */
OC_INLINE void rows_chunk(const int nc, const int pf, const int l1, size_t M, size_t K,
    size_t N, size_t n0, const float *x, size_t ldx, const float *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy, size_t pfd) {
  const float *wc = w + 16 * n0;
  const size_t wstride = 16 * N;
  const float *bc = bias ? bias + n0 : NULL;
  const int whole = N == (size_t)nc;
  size_t m = 0;
  for (; m + 2 <= M; m += 2) {
    const float *x0 = x + m * ldx;
    size_t pm = m + pfd;
    if (pm > M - 2) pm = M - 2;
    __m512 r0, r1;
    dot_tile(2, nc, pf, l1, K, x0, x0 + ldx, wc, wstride, x + pm * ldx, x + (pm + 1) * ldx, &r0, &r1);
    epilogue(r0, y + m * ldy + n0, bc, nc, act, whole);
    epilogue(r1, y + (m + 1) * ldy + n0, bc, nc, act, whole);
  }
  if (m < M) {
    const float *x0 = x + m * ldx;
    __m512 r0, r1;
    dot_tile(1, nc, 0, 0, K, x0, x0, wc, wstride, x0, x0, &r0, &r1);
    epilogue(r0, y + m * ldy + n0, bc, nc, act, whole);
  }
}

#define OC_NR 10

static void chunk_dispatch(size_t nc, int pf, int l1, size_t M, size_t K, size_t N, size_t n0,
    const float *x, size_t ldx, const float *w, const float *bias, orthoconv_activation act,
    float *y, size_t ldy, size_t pfd) {
#define OC_CASE(c)                                                                        \
  case c:                                                                                 \
    if (pf && l1) rows_chunk(c, 1, 1, M, K, N, n0, x, ldx, w, bias, act, y, ldy, pfd);    \
    else if (pf) rows_chunk(c, 1, 0, M, K, N, n0, x, ldx, w, bias, act, y, ldy, pfd);     \
    else rows_chunk(c, 0, 0, M, K, N, n0, x, ldx, w, bias, act, y, ldy, pfd);             \
    return;
  switch (nc) {
    OC_CASE(1) OC_CASE(2) OC_CASE(3) OC_CASE(4) OC_CASE(5)
    OC_CASE(6) OC_CASE(7) OC_CASE(8) OC_CASE(9) OC_CASE(10)
  default:
    return;
  }
#undef OC_CASE
}

void orthoconv_fwd_ukernel_2x10__avx512_dot(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  const size_t pfd = (size_t)t[0];
  const int l1 = t[1] != 0;
  const int pf = pfd != 0 && M > 2;
  if (N <= OC_NR) {
    chunk_dispatch(N, pf, l1, M, K, N, 0, x, ldx, w, bias, act, y, ldy, pfd);
    return;
  }
  /* Several chunks: rows of X are read once per chunk, so block M to keep a
   * block of rows in L2 between chunks; only the first chunk prefetches. */
  const size_t mb = 64;
  for (size_t m0 = 0; m0 < M; m0 += mb) {
    const size_t mm = M - m0 < mb ? M - m0 : mb;
    const float *xb = x + m0 * ldx;
    float *yb = y + m0 * ldy;
    for (size_t n0 = 0; n0 < N; n0 += OC_NR) {
      const size_t nc = N - n0 < OC_NR ? N - n0 : OC_NR;
      chunk_dispatch(nc, pf && n0 == 0, l1, mm, K, N, n0, xb, ldx, w, bias, act, yb, ldy, pfd);
    }
    if (act == ORTHOCONV_ACT_SOFTMAX)
      for (size_t m = 0; m < mm; m++) orthoconv_avx512_act_row(yb + m * ldy, N, act);
  }
}

/* ---- K-blocked variant ------------------------------------------------------
 * Same tile, but K is cut into chunks of kc so that the live slice of packed W
 * (kc x 10 floats) stays in L1 while a block of mb rows passes over it: on a core
 * with a 32 KiB L1 the whole W (40 KiB at K = 1024) does not. Between chunks the
 * 20 raw accumulators of each row pair wait in a small stack buffer (cheaper
 * than reducing them: 20 loads + 20 stores against 20 FMAs per 16 k).
 * While a block is computed, the next block of rows is prefetched front to back
 * as one sequential stream, two lines per 16-k step, which is exactly the pace
 * at which the block consumes X.
 * Tunables: kc (k per chunk), mb (rows per block), pf (0: no software prefetch;
 * d: prefetch the block d blocks ahead into L2). */

#define OC_KC_MAXMB 32

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

OC_INLINE void dot_tile_kc(const int mr, const int nc, const int pf, const int l1, int first,
    int last, size_t kl, size_t ktail, const float *x0, const float *x1, const float *w,
    size_t wstride, __m512 *buf, pf_cursor *cur, __m512 *r0, __m512 *r1) {
  __m512 a0[16], a1[16];
#pragma GCC unroll 16
  for (int n = 0; n < nc; n++) {
    a0[n] = first ? _mm512_setzero_ps() : buf[n];
    a1[n] = first || mr < 2 ? _mm512_setzero_ps() : buf[OC_NR + n];
  }
  const float *wb = w;
  for (size_t kb = 0; kb < kl / 16; kb++, wb += wstride) {
    OC_STEP(_mm512_loadu_ps(x0 + 16 * kb), _mm512_loadu_ps(x1 + 16 * kb));
    if (pf) {
      pf_advance(cur, l1);
      pf_advance(cur, l1);
    }
  }
  if (ktail) {
    const __mmask16 m = orthoconv_avx512_mask(ktail);
    const size_t o = kl / 16 * 16;
    OC_STEP(_mm512_maskz_loadu_ps(m, x0 + o), _mm512_maskz_loadu_ps(m, x1 + o));
  }
  if (last) {
    *r0 = hsum_many(a0, nc);
    if (mr > 1) *r1 = hsum_many(a1, nc);
    return;
  }
#pragma GCC unroll 16
  for (int n = 0; n < nc; n++) {
    buf[n] = a0[n];
    if (mr > 1) buf[OC_NR + n] = a1[n];
  }
}

OC_INLINE void block_chunk_kc(const int nc, const int pf, const int l1, size_t mm, size_t K,
    size_t N, size_t n0, size_t kc, const float *x, size_t ldx, const float *w,
    const float *bias, orthoconv_activation act, float *y, size_t ldy, __m512 *bufs,
    pf_cursor *cur) {
  const size_t wstride = 16 * N;
  const float *bc = bias ? bias + n0 : NULL;
  const int whole = N == (size_t)nc;
  for (size_t k0 = 0; k0 < K; k0 += kc) {
    const int first = k0 == 0, last = K - k0 <= kc;
    const size_t kl = last ? (K - k0) / 16 * 16 : kc, ktail = last ? K % 16 : 0;
    const float *wc = w + k0 * N + 16 * n0;
    size_t m = 0;
    for (; m + 2 <= mm; m += 2) {
      const float *x0 = x + m * ldx + k0;
      __m512 r0, r1;
      dot_tile_kc(2, nc, pf, l1, first, last, kl, ktail, x0, x0 + ldx, wc, wstride, bufs + OC_NR * m,
                  cur, &r0, &r1);
      if (last) {
        epilogue(r0, y + m * ldy + n0, bc, nc, act, whole);
        epilogue(r1, y + (m + 1) * ldy + n0, bc, nc, act, whole);
      }
    }
    if (m < mm) {
      const float *x0 = x + m * ldx + k0;
      __m512 r0, r1;
      dot_tile_kc(1, nc, pf, l1, first, last, kl, ktail, x0, x0, wc, wstride, bufs + OC_NR * m, cur,
                  &r0, &r1);
      if (last) epilogue(r0, y + m * ldy + n0, bc, nc, act, whole);
    }
  }
}

static void chunk_dispatch_kc(size_t nc, int pf, int l1, size_t mm, size_t K, size_t N,
    size_t n0, size_t kc, const float *x, size_t ldx, const float *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy, __m512 *bufs, pf_cursor *cur) {
#define OC_CASE(c)                                                                          \
  case c:                                                                                   \
    if (pf && l1) block_chunk_kc(c, 1, 1, mm, K, N, n0, kc, x, ldx, w, bias, act, y, ldy, bufs, cur); \
    else if (pf) block_chunk_kc(c, 1, 0, mm, K, N, n0, kc, x, ldx, w, bias, act, y, ldy, bufs, cur);  \
    else block_chunk_kc(c, 0, 0, mm, K, N, n0, kc, x, ldx, w, bias, act, y, ldy, bufs, cur);          \
    return;
  switch (nc) {
    OC_CASE(1) OC_CASE(2) OC_CASE(3) OC_CASE(4) OC_CASE(5)
    OC_CASE(6) OC_CASE(7) OC_CASE(8) OC_CASE(9) OC_CASE(10)
  default:
    return;
  }
#undef OC_CASE
}

void orthoconv_fwd_ukernel_2x10__avx512_dotkc(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  size_t kc = (size_t)t[0], mb = (size_t)t[1];
  const int pf = t[2] != 0 && M > mb, l1 = 0;
  const size_t pfb = (size_t)t[2];
  if (kc < 16) kc = 16;
  kc &= ~(size_t)15;
  if (mb < 2) mb = 2;
  if (mb > OC_KC_MAXMB) mb = OC_KC_MAXMB;
  /* 10 accumulators per row of the block: 20 KiB at mb = 32 */
  __m512 bufs[OC_KC_MAXMB * OC_NR];
  for (size_t m0 = 0; m0 < M; m0 += mb) {
    const size_t mm = M - m0 < mb ? M - m0 : mb;
    const float *xb = x + m0 * ldx;
    float *yb = y + m0 * ldy;
    pf_cursor cur = { NULL, 0, 0, ldx, K };
    const size_t pm = m0 + pfb * mb;
    if (pf && pm < M) {
      cur.row = x + pm * ldx;
      cur.rows_left = M - pm < mb ? M - pm : mb;
    }
    for (size_t n0 = 0; n0 < N; n0 += OC_NR) {
      const size_t nc = N - n0 < OC_NR ? N - n0 : OC_NR;
      chunk_dispatch_kc(nc, pf && n0 == 0, l1, mm, K, N, n0, kc, xb, ldx, w, bias, act, yb, ldy,
                        bufs, &cur);
    }
    if (act == ORTHOCONV_ACT_SOFTMAX && N > OC_NR)
      for (size_t m = 0; m < mm; m++) orthoconv_avx512_act_row(yb + m * ldy, N, act);
  }
}

/* ---- raw W, packed per call ------------------------------------------------
 * orthoconv_forward gets W as K x N. Packing it into K16 costs ~1 us for
 * K = 1024, N = 10 (gathers of 16 rows at stride N), which the dot kernel wins
 * back from about M = 16 on. The packed copy lives on the stack and is capped
 * at 40 KiB (K = 1024 x N = 10); larger W goes to the broadcast kernel. */

#define OC_PACK_CAP 10240 /* floats */

void orthoconv_fwd_ukernel_2x10__avx512_packdot(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *w, const float *bias, orthoconv_activation act, float *y,
    size_t ldy, const int *t) {
  const size_t nkb = (K + 15) / 16;
  if (N > OC_PACK_CAP / 16 || nkb > OC_PACK_CAP / 16 / N || (uint64_t)N * 15 > INT32_MAX) {
    static const int bt[3] = { 1, 0, 0 };
    orthoconv_fwd_ukernel_8x16__avx512_bcast(M, K, N, x, ldx, w, bias, act, y, ldy, bt);
    return;
  }
  float p[OC_PACK_CAP] __attribute__((aligned(64)));
  const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                         _mm512_set1_epi32((int)N));
  for (size_t kb = 0; kb < nkb; kb++) {
    /* masked gather: lanes past K read nothing and stay 0 */
    const __mmask16 km = orthoconv_avx512_mask(K - 16 * kb);
    const float *src = w + 16 * kb * N;
    for (size_t n = 0; n < N; n++)
      _mm512_store_ps(p + (kb * N + n) * 16,
                      _mm512_mask_i32gather_ps(_mm512_setzero_ps(), km, idx, src + n, 4));
  }
  orthoconv_fwd_ukernel_2x10__avx512_dotkc(M, K, N, x, ldx, p, bias, act, y, ldy, t);
}
