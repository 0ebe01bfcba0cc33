/* AVX2+FMA Gram matrix and regularizer-gradient product.
 *
 * Gram: outer product per row of W, as in kernels/gram/avx512.c, on 16
 * registers: 16 columns (2 vectors) x up to 6 filters per pass, 12 accumulators.
 * Only filters i < j0 + 16 are paired with a column block (G is symmetric) and
 * each value is written to (i, j) and (j, i). N = 10 takes two passes over W
 * (filters 0-5, then 6-9), both from L1. Sums restart every 256 rows.
 *
 * REG_GRAD, grad += W A: 4 rows of W x 16 columns of A; only trainable lanes of
 * grad are read and written (vmaskmov). The next tile's old grad rows are read
 * before this tile's stores, so no load waits on an overlapping masked store. */
#include "ukernel_decls.h"
#include "avx2_ops.h"
#include "rank1.h"

#define OC_INLINE ORTHOCONV_AVX2_OPS_INLINE
#define GR_KB 256
#define GR_NR 6

/* tot[i][0..16) = sum_k w[k][i0 + i] * w[k][j0 .. j0 + 16), lanes masked by c0, c1. */
OC_INLINE void gram_blk(const int NR, size_t K, size_t N, const float *w, size_t i0,
    size_t j0, __m256i c0, __m256i c1, float tot[GR_NR][16]) {
  __m256 acc[GR_NR][2];
#pragma GCC unroll 6
  for (int i = 0; i < NR; i++) {
    _mm256_storeu_ps(tot[i], _mm256_setzero_ps());
    _mm256_storeu_ps(tot[i] + 8, _mm256_setzero_ps());
  }
  for (size_t kb = 0; kb < K; kb += GR_KB) {
    const size_t ke = K - kb < GR_KB ? K : kb + GR_KB;
#pragma GCC unroll 6
    for (int i = 0; i < NR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (size_t k = kb; k < ke; k++) {
      const float *wr = w + k * N;
      const __m256 r0 = _mm256_maskload_ps(wr + j0, c0), r1 = _mm256_maskload_ps(wr + j0 + 8, c1);
#pragma GCC unroll 6
      for (int i = 0; i < NR; i++) {
        const __m256 b = _mm256_broadcast_ss(wr + i0 + i);
        acc[i][0] = _mm256_fmadd_ps(b, r0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(b, r1, acc[i][1]);
      }
    }
#pragma GCC unroll 6
    for (int i = 0; i < NR; i++) {
      _mm256_storeu_ps(tot[i], _mm256_add_ps(_mm256_loadu_ps(tot[i]), acc[i][0]));
      _mm256_storeu_ps(tot[i] + 8, _mm256_add_ps(_mm256_loadu_ps(tot[i] + 8), acc[i][1]));
    }
  }
}

typedef void gram_blk_fn(size_t, size_t, const float *, size_t, size_t, __m256i, __m256i, float (*)[16]);
#define GRAM_BLK(NR)                                                                     \
  static void gram_blk_##NR(size_t K, size_t N, const float *w, size_t i0, size_t j0,      \
      __m256i c0, __m256i c1, float tot[GR_NR][16]) {                                     \
    gram_blk(NR, K, N, w, i0, j0, c0, c1, tot);                                          \
  }
GRAM_BLK(1) GRAM_BLK(2) GRAM_BLK(3) GRAM_BLK(4) GRAM_BLK(5) GRAM_BLK(6)
static gram_blk_fn *const gram_blks[GR_NR] = { gram_blk_1, gram_blk_2, gram_blk_3,
                                               gram_blk_4, gram_blk_5, gram_blk_6 };

void orthoconv_gram_ukernel_6x16__avx2_syrk(size_t K, size_t N, const float *w, float *g,
    const int *t) {
  (void)t;
  float tot[GR_NR][16];
  for (size_t j0 = 0; j0 < N; j0 += 16) {
    const size_t nj = N - j0 < 16 ? N - j0 : 16, iend = j0 + nj;
    const __m256i c0 = orthoconv_avx2_ops_tail(nj), c1 = orthoconv_avx2_ops_tail(nj > 8 ? nj - 8 : 0);
    for (size_t i0 = 0; i0 < iend; i0 += GR_NR) {
      const size_t ni = iend - i0 < GR_NR ? iend - i0 : GR_NR;
      gram_blks[ni - 1](K, N, w, i0, j0, c0, c1, tot);
      for (size_t i = 0; i < ni; i++)
        for (size_t j = 0; j < nj; j++)
          if (j0 + j >= i0 + i) g[(i0 + i) * N + j0 + j] = g[(j0 + j) * N + i0 + i] = tot[i][j];
    }
  }
}

/* N <= 11 with 8-lane rotations ("rot", as in kernels/gram/avx512.c): filters
 * 0-7 of a row in one vector z; z times z rotated by r = 0..4 lanes gives
 * G[l][(l + r) mod 8] in lane l, every pair of them once (5 FMAs + 4 permutes);
 * filters 8..N-1 (nb <= 3) use the outer product on z and the row's tail, 2 FMAs
 * each. N = 10: 9 FMAs per row of W instead of 20, one pass over W. */
OC_INLINE void gram_rot(const int NB, size_t K, size_t N, const float *w, float *g) {
  const size_t na = N < 8 ? N : 8;
  const __m256i lo = orthoconv_avx2_ops_tail(na), lb = orthoconv_avx2_ops_tail((size_t)NB);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256 ta[5], tb[3][2];
  for (int r = 0; r < 5; r++) ta[r] = _mm256_setzero_ps();
  for (int b = 0; b < NB; b++) tb[b][0] = tb[b][1] = _mm256_setzero_ps();
  for (size_t kb = 0; kb < K; kb += GR_KB) {
    const size_t ke = K - kb < GR_KB ? K : kb + GR_KB;
    __m256 aa[5], ab[3][2];
#pragma GCC unroll 5
    for (int r = 0; r < 5; r++) aa[r] = _mm256_setzero_ps();
#pragma GCC unroll 3
    for (int b = 0; b < NB; b++) ab[b][0] = ab[b][1] = _mm256_setzero_ps();
    for (size_t k = kb; k < ke; k++) {
      const float *p = w + k * N;
      const __m256 z = _mm256_maskload_ps(p, lo);
      aa[0] = _mm256_fmadd_ps(z, z, aa[0]);
#pragma GCC unroll 4
      for (int r = 1; r < 5; r++) {
        const __m256i idx = _mm256_and_si256(_mm256_add_epi32(lane, _mm256_set1_epi32(r)), _mm256_set1_epi32(7));
        aa[r] = _mm256_fmadd_ps(z, _mm256_permutevar8x32_ps(z, idx), aa[r]);
      }
      if (NB) {
        const __m256 zb = _mm256_maskload_ps(p + 8, lb);
#pragma GCC unroll 3
        for (int b = 0; b < NB; b++) {
          const __m256 c = _mm256_broadcast_ss(p + 8 + b);
          ab[b][0] = _mm256_fmadd_ps(c, z, ab[b][0]);
          ab[b][1] = _mm256_fmadd_ps(c, zb, ab[b][1]);
        }
      }
    }
#pragma GCC unroll 5
    for (int r = 0; r < 5; r++) ta[r] = _mm256_add_ps(ta[r], aa[r]);
#pragma GCC unroll 3
    for (int b = 0; b < NB; b++) {
      tb[b][0] = _mm256_add_ps(tb[b][0], ab[b][0]);
      tb[b][1] = _mm256_add_ps(tb[b][1], ab[b][1]);
    }
  }
  float t[16];
  for (int r = 0; r < 5; r++) {
    _mm256_storeu_ps(t, ta[r]);
    for (size_t l = 0; l < na; l++) {
      const size_t j = (l + (size_t)r) & 7;
      if (j < na) g[l * N + j] = g[j * N + l] = t[l];
    }
  }
  for (int b = 0; b < NB; b++) {
    const size_t i = 8 + (size_t)b;
    _mm256_storeu_ps(t, tb[b][0]);
    _mm256_storeu_ps(t + 8, tb[b][1]);
    for (size_t j = 0; j < N; j++)
      if (j < 8 || j >= i) g[i * N + j] = g[j * N + i] = t[j];
  }
}

static void gram_rot_0(size_t K, size_t N, const float *w, float *g) { gram_rot(0, K, N, w, g); }
static void gram_rot_1(size_t K, size_t N, const float *w, float *g) { gram_rot(1, K, N, w, g); }
static void gram_rot_2(size_t K, size_t N, const float *w, float *g) { gram_rot(2, K, N, w, g); }
static void gram_rot_3(size_t K, size_t N, const float *w, float *g) { gram_rot(3, K, N, w, g); }
static void (*const gram_rots[4])(size_t, size_t, const float *, float *) = {
  gram_rot_0, gram_rot_1, gram_rot_2, gram_rot_3 };

void orthoconv_gram_ukernel_8x8__avx2_rot(size_t K, size_t N, const float *w, float *g,
    const int *t) {
  (void)t; /* the list line's rule keeps N <= 11 */
  gram_rots[N > 8 ? N - 8 : 0](K, N, w, g);
}

/* ------------------------------------------------------------------ REG_GRAD -- */

#define RG_MR 4

/* acc += mr rows (1..4) of W x 16 columns of A at n0; ZERO: acc starts at zero. */
OC_INLINE void reg_acc(const int MR, const int ZERO, size_t N, const float *w, const float *a, size_t n0,
    __m256i c0, __m256i c1, __m256 acc[RG_MR][2]) {
  if (ZERO)
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (size_t j = 0; j < N; j++) {
    const __m256 a0 = _mm256_maskload_ps(a + j * N + n0, c0), a1 = _mm256_maskload_ps(a + j * N + n0 + 8, c1);
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) {
      const __m256 b = _mm256_broadcast_ss(w + r * N + j);
      acc[r][0] = _mm256_fmadd_ps(b, a0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(b, a1, acc[r][1]);
    }
  }
}

/* Lane l of v to p[l] for each bit l of live. */
OC_INLINE void reg_store_lanes(float *p, int live, __m256 v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  for (int l = 0; l < 8; l++)
    if (live >> l & 1) p[l] = t[l];
}

/* 8 <= N <= 16, every filter trains: the tiles followed by a row (their rows'
 * second vector reaches up to 8 floats into it) read and write grad as whole
 * vectors, summing into the rows as read. The lanes past a row hold whatever
 * the sum gives there (0 * inf is NaN), and the next row's own store, later,
 * writes its columns (it read them before that, with the next tile's rows read
 * before this tile's stores); only the last row of the last tile stores its
 * own lanes alone. vmaskmov and lane-by-lane stores are slow on AMD cores.
 * Returns the rows done. With a frozen filter nothing may touch its column, not
 * even a store of the bits it held: another thread may own it. Not inlined: one
 * copy, inside the 300 KB code budget. */
__attribute__((noinline)) static size_t reg_whole(size_t K, size_t N, const float *w, const float *a, float *grad) {
  const __m256i c0 = orthoconv_avx2_ops_tail(N), c1 = orthoconv_avx2_ops_tail(N - 8);
  const size_t nt = (K - 1) / RG_MR;
  __m256 acc[RG_MR][2], nxt[RG_MR][2];
#pragma GCC unroll 4
  for (int r = 0; r < RG_MR; r++) {
    acc[r][0] = nt ? _mm256_loadu_ps(grad + r * N) : _mm256_setzero_ps();
    acc[r][1] = nt ? _mm256_loadu_ps(grad + r * N + 8) : _mm256_setzero_ps();
  }
  for (size_t i = 0; i < nt; i++, w += RG_MR * N, grad += RG_MR * N) {
    reg_acc(RG_MR, 0, N, w, a, 0, c0, c1, acc);
#pragma GCC unroll 4
    for (int r = 0; r < RG_MR; r++) {
      nxt[r][0] = i + 1 < nt ? _mm256_loadu_ps(grad + (RG_MR + r) * N) : acc[r][0];
      nxt[r][1] = i + 1 < nt ? _mm256_loadu_ps(grad + (RG_MR + r) * N + 8) : acc[r][1];
    }
#pragma GCC unroll 4
    for (int r = 0; r < RG_MR; r++) {
      _mm256_storeu_ps(grad + r * N, acc[r][0]);
      /* the row after the last tile is read after this store: none of its lanes */
      if (r == RG_MR - 1 && i + 1 == nt) _mm256_maskstore_ps(grad + r * N + 8, c1, acc[r][1]);
      else _mm256_storeu_ps(grad + r * N + 8, acc[r][1]);
      acc[r][0] = nxt[r][0], acc[r][1] = nxt[r][1];
    }
  }
  return nt * RG_MR;
}

void orthoconv_reg_grad_ukernel_4x16__avx2_bcast(size_t K, size_t N, const float *w,
    const float *a, const unsigned char *trainable, float *grad, const int *t) {
  (void)t;
  int whole = N >= 8 && N <= 16;
  for (size_t n = 0; whole && trainable && n < N; n++) whole = trainable[n] != 0;
  if (whole) {
    const size_t done = reg_whole(K, N, w, a, grad);
    K -= done, w += done * N, grad += done * N;
  }
  for (size_t n0 = 0; n0 < N; n0 += 16) {
    const size_t nc = N - n0 < 16 ? N - n0 : 16;
    const __m256i c0 = orthoconv_avx2_ops_tail(nc), c1 = orthoconv_avx2_ops_tail(nc > 8 ? nc - 8 : 0);
    const __m256i l0 = orthoconv_avx2_ops_live(trainable, n0, nc);
    const __m256i l1 = nc > 8 ? orthoconv_avx2_ops_live(trainable, n0 + 8, nc - 8) : _mm256_setzero_si256();
    if (!orthoconv_avx2_ops_bits(l0) && !orthoconv_avx2_ops_bits(l1)) continue;
    const int b0 = orthoconv_avx2_ops_bits(l0), b1 = orthoconv_avx2_ops_bits(l1);
    const int f0 = b0 == 0xff, f1 = b1 == 0xff;
    __m256 old[RG_MR][2], acc[RG_MR][2];
    size_t k = 0;
    const size_t nt = K / RG_MR;
    for (int r = 0; r < RG_MR; r++) old[r][0] = old[r][1] = _mm256_setzero_ps();
    if (nt)
      for (int r = 0; r < RG_MR; r++) {
        old[r][0] = _mm256_maskload_ps(grad + r * N + n0, l0);
        old[r][1] = _mm256_maskload_ps(grad + r * N + n0 + 8, l1);
      }
    for (size_t i = 0; i < nt; i++, k += RG_MR) {
      reg_acc(RG_MR, 1, N, w + k * N, a, n0, c0, c1, acc);
      for (int r = 0; r < RG_MR; r++) {
        acc[r][0] = _mm256_add_ps(old[r][0], acc[r][0]);
        acc[r][1] = _mm256_add_ps(old[r][1], acc[r][1]);
      }
      if (i + 1 < nt)
        for (int r = 0; r < RG_MR; r++) {
          old[r][0] = _mm256_maskload_ps(grad + (k + RG_MR + r) * N + n0, l0);
          old[r][1] = _mm256_maskload_ps(grad + (k + RG_MR + r) * N + n0 + 8, l1);
        }
      /* vmaskmov stores are slow on AMD cores (9.1 vs 10.4 us for plain ones
       * alone): plain stores where every lane is live, else one scalar store
       * per live lane */
      for (int r = 0; r < RG_MR; r++) {
        float *p = grad + (k + r) * N + n0;
        if (f0) _mm256_storeu_ps(p, acc[r][0]);
        else reg_store_lanes(p, b0, acc[r][0]);
        if (f1) _mm256_storeu_ps(p + 8, acc[r][1]);
        else reg_store_lanes(p + 8, b1, acc[r][1]);
      }
    }
    for (; k < K; k++) {
      reg_acc(1, 1, N, w + k * N, a, n0, c0, c1, acc);
      float *p = grad + k * N + n0;
      _mm256_maskstore_ps(p, l0, _mm256_add_ps(_mm256_maskload_ps(p, l0), acc[0][0]));
      _mm256_maskstore_ps(p + 8, l1, _mm256_add_ps(_mm256_maskload_ps(p + 8, l1), acc[0][1]));
    }
  }
}

/* ------------------------------------------------------------------- rank one -- */

/* grad += (W v) cv^T a row at a time: its dot over all N, one reduction, then
 * one FMA per 8 columns, stored as reg_grad stores (plain where every lane is
 * live, else lane by lane). N = 10 has the flat path below (vmaskmov is slow on
 * AMD cores, and one reduction per row costs more than the FMAs); this one
 * serves the other N and the last rows. */
static void rank1_rows(size_t R, size_t N, const float *w, const float *v, const float *cv,
    const unsigned char *trainable, float *grad) {
  for (size_t r = 0; r < R; r++) {
    __m256 p = _mm256_setzero_ps();
    for (size_t j = 0; j < N; j += 8) {
      const __m256i m = orthoconv_avx2_ops_tail(N - j);
      p = _mm256_fmadd_ps(_mm256_maskload_ps(w + r * N + j, m), _mm256_maskload_ps(v + j, m), p);
    }
    const __m256 u = _mm256_set1_ps(_mm256_cvtss_f32(orthoconv_avx2_ops_hsum_many(&p, 1)));
    for (size_t n0 = 0; n0 < N; n0 += 8) {
      const __m256i live = orthoconv_avx2_ops_live(trainable, n0, N - n0);
      const int bits = orthoconv_avx2_ops_bits(live);
      if (!bits) continue;
      float *g = grad + r * N + n0;
      const __m256 s = _mm256_fmadd_ps(u, _mm256_maskload_ps(cv + n0, live), _mm256_maskload_ps(g, live));
      if (bits == 0xff) _mm256_storeu_ps(g, s);
      else reg_store_lanes(g, bits, s);
    }
  }
}

/* N = 10, 8 rows = 80 floats = 10 whole vectors. W v: row r's products from two
 * plain loads inside the row (columns 0-7, and 2-9 against v with columns 2-7
 * zeroed), summed by the hadd tree. The update in flat vectors: lane l of vector
 * i is grad[r][n] with 10 r + n = 8 i + l; u[r(l)] by a one-source permute,
 * cv[n(l)] a pattern fixed per i mod 5 (zero in frozen columns). */
typedef struct rank1_flat {
  __m256 cv[5];   /* cv[n(l)] of vector i mod 5, zero in frozen lanes */
  int live[5];    /* bit l: lane l's column trains */
  __m256i row[10]; /* r(l) of vector i */
} rank1_flat;

static void rank1_flat10(size_t nb, const rank1_flat *f, const float *w, __m256 v0, __m256 v2, float *grad) {
  for (size_t b = 0; b < nb; b++, w += 80, grad += 80) {
    __m256 p[8];
    for (int r = 0; r < 8; r++)
      p[r] = _mm256_fmadd_ps(_mm256_loadu_ps(w + 10 * r + 2), v2, _mm256_mul_ps(_mm256_loadu_ps(w + 10 * r), v0));
    const __m256 u = orthoconv_avx2_ops_hsum_many(p, 8);
    for (int i = 0; i < 10; i++) {
      const __m256 g = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(u, f->row[i]), f->cv[i % 5],
                                       _mm256_loadu_ps(grad + 8 * i));
      if (f->live[i % 5] == 0xff) _mm256_storeu_ps(grad + 8 * i, g);
      else reg_store_lanes(grad + 8 * i, f->live[i % 5], g);
    }
  }
}

void orthoconv_rank1__avx2(size_t K, size_t N, const float *w, const float *v, const float *cv,
    const unsigned char *trainable, float *grad) {
  size_t k = 0;
  if (N == 10 && K >= 8) {
    rank1_flat f;
    for (int i = 0; i < 10; i++) {
      int row[8];
      for (int l = 0; l < 8; l++) row[l] = (8 * i + l) / 10;
      f.row[i] = _mm256_loadu_si256((const __m256i *)row);
    }
    for (int i = 0; i < 5; i++) {
      float c[8];
      f.live[i] = 0;
      for (int l = 0; l < 8; l++) {
        const int n = (8 * i + l) % 10, on = !trainable || trainable[n];
        c[l] = on ? cv[n] : 0.0f;
        f.live[i] |= on << l;
      }
      f.cv[i] = _mm256_loadu_ps(c);
    }
    const float vz[8] = { 0, 0, 0, 0, 0, 0, v[8], v[9] };
    const size_t nb = K / 8;
    rank1_flat10(nb, &f, w, _mm256_loadu_ps(v), _mm256_loadu_ps(vz), grad);
    k = nb * 8;
  }
  rank1_rows(K - k, N, w + k * N, v, cv, trainable, grad + k * N);
}
