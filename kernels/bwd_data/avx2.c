/* AVX2+FMA backward data: dx = dy W^T (M x K). The AVX-512 design (kernels/
 * bwd_data/avx512.c) on 16 registers: W^T block on the stack, tiles of 6 rows x
 * 16 k (12 accumulators + 2 W + 1 broadcast). The last vector of a tile is
 * stored with vmaskmov, so nothing past column K of a row of dx is written.
 * W^T is built 8 rows x 8 filters at a time by a transpose in registers; past
 * N = 16 filters come in chunks of 64 over at most 48 k (the tunable kc is
 * capped there), each chunk after the first adding to dx. */
#include "ukernel_decls.h"
#include "avx2_ops.h"

#define OC_INLINE ORTHOCONV_AVX2_OPS_INLINE
#define BD_NC 16
#define BD_KC 192 /* largest k block: 16 x 192 floats of W^T, 12 KiB of the stack */
#define BD_MR 6
#define BD_NCH 64 /* filters a chunk past 16 (a block of 48 k) */
_Static_assert(BD_NC * BD_KC / BD_NCH % 16 == 0 && BD_NCH % 8 == 0, "chunks of whole 16-k blocks and 8-filter groups");

typedef struct bd_args {
  const float *wt; /* W^T block at k column ks, row stride ldwt */
  size_t ldwt;
  size_t kv; /* vectors of 8 k the tile stores (1 or 2) */
  const float *dy;
  float *dx;
  size_t nc, lddy, lddx;
  __m256i last;
  int add;
} bd_args;

/* MR rows x 16 k; a tile that ends inside those 16 k computes both vectors (W^T
 * is zero past the block) and stores its own: one instance per row count. */
OC_INLINE void bd_tile(const int MR, const bd_args *a) {
  __m256 acc[BD_MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 2
    for (int v = 0; v < 2; v++) acc[r][v] = _mm256_setzero_ps();
  const float *wt = a->wt, *dy = a->dy;
  const size_t lddy = a->lddy, ldwt = a->ldwt;
  /* W^T's row n by index: a pointer stepped after the last row would lie past
   * the buffer when the chunk fills it */
  for (size_t n = 0; n < a->nc; n++, dy++) {
    const float *wn = wt + n * ldwt;
    __m256 wv[2];
#pragma GCC unroll 2
    for (int v = 0; v < 2; v++) wv[v] = _mm256_loadu_ps(wn + 8 * v);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 d = _mm256_broadcast_ss(dy + r * lddy);
#pragma GCC unroll 2
      for (int v = 0; v < 2; v++) acc[r][v] = _mm256_fmadd_ps(d, wv[v], acc[r][v]);
    }
  }
  const int full = _mm256_movemask_ps(_mm256_castsi256_ps(a->last)) == 0xff;
  const size_t kv = a->kv;
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 2
    for (int v = 0; v < 2; v++) {
      if ((size_t)v >= kv) break;
      float *p = a->dx + r * a->lddx + 8 * v;
      __m256 s = acc[r][v];
      if ((size_t)v + 1 < kv || full) {
        if (a->add) s = _mm256_add_ps(s, _mm256_loadu_ps(p));
        _mm256_storeu_ps(p, s);
      } else {
        if (a->add) s = _mm256_add_ps(s, _mm256_maskload_ps(p, a->last));
        _mm256_maskstore_ps(p, a->last, s);
      }
    }
}

typedef void bd_tile_fn(const bd_args *);
#define BD_TILE(MR) static void bd_tile_##MR(const bd_args *a) { bd_tile(MR, a); }
BD_TILE(1) BD_TILE(2) BD_TILE(3) BD_TILE(4) BD_TILE(5) BD_TILE(6)
static bd_tile_fn *const bd_tiles[BD_MR] = { bd_tile_1, bd_tile_2, bd_tile_3, bd_tile_4, bd_tile_5, bd_tile_6 };

/* W^T of 8 rows x up to 8 filters into wt (8 of its rows, row stride ldwt):
 * each row one masked load, then an 8 x 8 transpose in registers (24 shuffles),
 * in place of one 8-lane gather per filter (M = 1, K x N = 1024 x 10: 3.6 us on
 * Zen 4, most of it the gathers). */
__attribute__((noinline, noclone)) static void bd_transpose8(const float *w, size_t ldw, __m256i cm, float *wt,
    size_t ldwt) {
  __m256 r[8], t[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) r[i] = _mm256_maskload_ps(w + i * ldw, cm);
#pragma GCC unroll 4
  for (int j = 0; j < 8; j += 2)
    t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]), t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
  /* r[4q + c]: column c of rows 4q..4q+3 in the low 128 bits, c + 4 in the high */
#pragma GCC unroll 2
  for (int j = 0; j < 8; j += 4) {
    const __m256d a = _mm256_castps_pd(t[j]), b = _mm256_castps_pd(t[j + 1]);
    const __m256d c = _mm256_castps_pd(t[j + 2]), d = _mm256_castps_pd(t[j + 3]);
    r[j] = _mm256_castpd_ps(_mm256_unpacklo_pd(a, c)), r[j + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(a, c));
    r[j + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(b, d)), r[j + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(b, d));
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    _mm256_store_ps(wt + c * ldwt, _mm256_permute2f128_ps(r[c], r[4 + c], 0x20));
    _mm256_store_ps(wt + (c + 4) * ldwt, _mm256_permute2f128_ps(r[c], r[4 + c], 0x31));
  }
}

/* t[0] = k block: the columns of dx (and of W^T in L1) one sweep over M covers.
 * Past N = 16, chunks of 64 filters over 48 k (the same 12 KiB of W^T): each
 * chunk after the first adds to dx. Rows in blocks of BD_MB (a multiple of
 * BD_MR), so that a chunk's sweep finds the block's dx columns and dy in L2 when
 * it adds to them, as in the AVX-512 kernel. */
#define BD_MB 510
void orthoconv_bwd_data_ukernel_6x16__avx2_tr(size_t M, size_t K, size_t N,
    const float *dy, size_t lddy, const float *w, float *dx, size_t lddx, const int *t) {
  const size_t nch = N <= BD_NC ? BD_NC : BD_NCH, kcap = N <= BD_NC ? BD_KC : BD_NC * BD_KC / BD_NCH;
  const size_t kc = t[0] >= 16 && (size_t)t[0] <= kcap ? (size_t)t[0] & ~(size_t)15 : kcap;
  float wt[BD_NC * BD_KC] __attribute__((aligned(32)));
  bd_args a;
  a.lddy = lddy;
  a.lddx = lddx;
  a.ldwt = kc;
  for (size_t m0 = 0; m0 < M; m0 += BD_MB) {
    const size_t m1 = M - m0 < BD_MB ? M : m0 + BD_MB;
    for (size_t k0 = 0; k0 < K; k0 += kc) {
      const size_t kb = K - k0 < kc ? K - k0 : kc, kb16 = (kb + 15) & ~(size_t)15;
      for (size_t n0 = 0; n0 < N; n0 += nch) {
        const size_t nc = N - n0 < nch ? N - n0 : nch;
        for (size_t kk = 0; kk < kb16; kk += 8) {
          const size_t rows = kb > kk ? (kb - kk < 8 ? kb - kk : 8) : 0;
          for (size_t h = 0; h < nc; h += 8) {
            const __m256i cm = orthoconv_avx2_ops_tail(nc - h < 8 ? nc - h : 8);
            if (rows == 8) {
              bd_transpose8(w + (k0 + kk) * N + n0 + h, N, cm, wt + h * kc + kk, kc);
            } else { /* the last rows through a zeroed copy: no read past row K */
              float tail[8][8] = { { 0 } };
              for (size_t i = 0; i < rows; i++) _mm256_storeu_ps(tail[i], _mm256_maskload_ps(w + (k0 + kk + i) * N + n0 + h, cm));
              bd_transpose8(&tail[0][0], 8, cm, wt + h * kc + kk, kc);
            }
          }
        }
        a.nc = nc;
        a.add = n0 > 0;
        for (size_t m = m0; m < m1; m += BD_MR) {
          const size_t mr = m1 - m < BD_MR ? m1 - m : BD_MR;
          a.dy = dy + m * lddy + n0;
          for (size_t ks = 0; ks < kb; ks += 16) {
            const size_t rem = kb - ks;
            a.kv = rem > 8 ? 2 : 1;
            a.wt = wt + ks;
            a.dx = dx + m * lddx + k0 + ks;
            a.last = orthoconv_avx2_ops_tail(rem - 8 * (a.kv - 1));
            bd_tiles[mr - 1](&a);
          }
        }
      }
    }
  }
}
