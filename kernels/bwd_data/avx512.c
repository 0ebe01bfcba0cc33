/* AVX-512 backward data: dx = dy W^T (M x K).
 *
 * dx[m][k..k+16) needs column n of W along k, which the K x N layout strides by
 * N: each block of up to kc k x a chunk of filters (16, or 48 over 64 k past
 * N = 16) is transposed once per call into a stack buffer (zero-padded to whole
 * 64-k groups), 16 rows at a time in registers (a scalar transpose cost as much
 * as the whole M = 49 product), then every tile of 4 rows x 64 k runs an outer
 * product over the chunk's filters: per filter 4 loads of W^T, 4 broadcasts of
 * dy, 16 FMAs, with 16 accumulators + 4 W + 1 broadcast registers. The
 * transpose is K*N moves against M*K*N FMAs. The first chunk stores dx, later
 * ones (N > 48) add to it. Every store of dx is masked to [k0, k0 + kb), so
 * nothing past column K of a row is written. Past N = 16 the k block is 64
 * whatever the tunable kc says. */
#include <string.h>
#include "ukernel_decls.h"
#include "avx512_ops.h"

#define OC_INLINE ORTHOCONV_AVX512_OPS_INLINE
#define BD_NC 16
#define BD_KC 192 /* largest k block: 16 x 192 floats of W^T, 12 KiB of the stack */
#define BD_MR 4
#define BD_NCH 48 /* filters a chunk past 16 (a block of 64 k) */
_Static_assert(BD_NC * BD_KC / BD_NCH % 64 == 0 && BD_NCH % 16 == 0, "chunks of whole 64-k blocks and 16-filter groups");

typedef struct bd_args {
  const float *wt; /* W^T block at k column ks, row stride ldwt */
  size_t ldwt;
  const float *dy;
  float *dx;
  size_t nc, lddy, lddx;
  size_t kv;      /* vectors of 16 k the tile stores (1 to 4) */
  __mmask16 last; /* mask of the last of them */
  int add;
} bd_args;

/* MR rows x 64 k; a tile that ends inside those 64 k (the last of a block)
 * still computes all four vectors (W^T is zero past the block) but loads and
 * stores only its own: one instance per MR, not one per number of vectors. */
OC_INLINE void bd_tile(const int MR, const bd_args *a) {
  __m512 acc[BD_MR][4];
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < 4; v++) acc[r][v] = _mm512_setzero_ps();
  const float *wt = a->wt, *dy = a->dy;
  const size_t lddy = a->lddy;
  const size_t ldwt = a->ldwt;
  /* W^T's row n by index: a pointer stepped after the last row would lie past
   * the buffer when the chunk fills it */
  for (size_t n = 0; n < a->nc; n++, dy++) {
    const float *wn = wt + n * ldwt;
    __m512 wv[4];
#pragma GCC unroll 4
    for (int v = 0; v < 4; v++) wv[v] = _mm512_loadu_ps(wn + 16 * v);
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) {
      const __m512 d = _mm512_set1_ps(dy[r * lddy]);
#pragma GCC unroll 4
      for (int v = 0; v < 4; v++) acc[r][v] = _mm512_fmadd_ps(d, wv[v], acc[r][v]);
    }
  }
  const size_t kv = a->kv;
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < 4; v++) {
      if ((size_t)v >= kv) break;
      float *p = a->dx + r * a->lddx + 16 * v;
      const __mmask16 mk = (size_t)v == kv - 1 ? a->last : (__mmask16)0xffff;
      __m512 s = acc[r][v];
      if (a->add) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(mk, p));
      _mm512_mask_storeu_ps(p, mk, s);
    }
}

typedef void bd_tile_fn(const bd_args *);
#define BD_TILE(MR) static void bd_tile_##MR(const bd_args *a) { bd_tile(MR, a); }
BD_TILE(1) BD_TILE(2) BD_TILE(3) BD_TILE(4)
static bd_tile_fn *const bd_tiles[BD_MR] = { bd_tile_1, bd_tile_2, bd_tile_3, bd_tile_4 };

/* W^T of 16 rows x up to 16 filters into wt (16 of its rows, row stride ldwt):
 * each row one masked load, then a 16 x 16 transpose in registers (64 shuffles).
 * Gathers along columns (one per filter, stride N) took 5.3 us of a 6 us call at
 * M = 1, K x N = 1024 x 10 on Zen 4, whose 16-lane gathers take ~30 cycles. */
__attribute__((noinline, noclone)) static void bd_transpose16(const float *w, size_t ldw, __mmask16 cm, float *wt,
    size_t ldwt) {
  __m512 r[16], t[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; i++) r[i] = _mm512_maskz_loadu_ps(cm, w + i * ldw);
  /* pairs of rows interleaved, then quads: r[4j + c] holds column c + 4 L of rows
   * 4j..4j+3 in its 128-bit lane L */
#pragma GCC unroll 8
  for (int j = 0; j < 16; j += 2)
    t[j] = _mm512_unpacklo_ps(r[j], r[j + 1]), t[j + 1] = _mm512_unpackhi_ps(r[j], r[j + 1]);
#pragma GCC unroll 4
  for (int j = 0; j < 16; j += 4) {
    const __m512d a = _mm512_castps_pd(t[j]), b = _mm512_castps_pd(t[j + 1]);
    const __m512d c = _mm512_castps_pd(t[j + 2]), d = _mm512_castps_pd(t[j + 3]);
    r[j] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c)), r[j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[j + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d)), r[j + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  /* lane L of the four quads' vector c: column c + 4 L */
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    const __m512 lo01 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x44), lo23 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x44);
    const __m512 hi01 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xee), hi23 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xee);
    _mm512_store_ps(wt + c * ldwt, _mm512_shuffle_f32x4(lo01, lo23, 0x88));
    _mm512_store_ps(wt + (c + 4) * ldwt, _mm512_shuffle_f32x4(lo01, lo23, 0xdd));
    _mm512_store_ps(wt + (c + 8) * ldwt, _mm512_shuffle_f32x4(hi01, hi23, 0x88));
    _mm512_store_ps(wt + (c + 12) * ldwt, _mm512_shuffle_f32x4(hi01, hi23, 0xdd));
  }
}

/* t[0] = k block: the columns of dx (and of W^T in L1) one sweep over M covers.
 * Filters in chunks of BD_NCH at most: up to 16 a block of BD_KC k, past that 48
 * a block of 64 k (the same 12 KiB of W^T), so that N = 64 and 128 pass over dx
 * 2 and 3 times, not 4 and 8 (every chunk after the first adds to dx). Rows in
 * blocks of BD_MB, so that a chunk's sweep finds the block's dx columns (and dy)
 * in L2 when it adds to them: 230 KB at most, against 1.4 MB for the whole of
 * M = 3136 (Zen 4, old and new kernels alternated in one process: 1.10-1.13x at
 * K x N = 2048 x 1000, 1.00-1.02x at 512 x 64 and 512 x 128). The transposes
 * are redone per block: K N moves per 512 M K N FMAs. */
#define BD_MB 512
void orthoconv_bwd_data_ukernel_4x64__avx512_tr(size_t M, size_t K, size_t N,
    const float *dy, size_t lddy, const float *w, float *dx, size_t lddx, const int *t) {
  const size_t nch = N <= BD_NC ? BD_NC : BD_NCH, kcap = N <= BD_NC ? BD_KC : BD_NC * BD_KC / BD_NCH;
  const size_t kc = t[0] >= 64 && (size_t)t[0] <= kcap ? (size_t)t[0] & ~(size_t)63 : kcap;
  float wt[BD_NC * BD_KC] __attribute__((aligned(64)));
  bd_args a;
  a.lddy = lddy;
  a.lddx = lddx;
  a.ldwt = kc;
  for (size_t m0 = 0; m0 < M; m0 += BD_MB) {
    const size_t m1 = M - m0 < BD_MB ? M : m0 + BD_MB;
    for (size_t k0 = 0; k0 < K; k0 += kc) {
      const size_t kb = K - k0 < kc ? K - k0 : kc, kb64 = (kb + 63) & ~(size_t)63;
      for (size_t n0 = 0; n0 < N; n0 += nch) {
        const size_t nc = N - n0 < nch ? N - n0 : nch;
        for (size_t h = 0; h < nc; h += 16) {
          const __mmask16 cm = orthoconv_avx512_ops_tail(nc - h);
          for (size_t kk = 0; kk < kb64; kk += 16) {
            const size_t rows = kb > kk ? (kb - kk < 16 ? kb - kk : 16) : 0;
            if (rows == 16) {
              bd_transpose16(w + (k0 + kk) * N + n0 + h, N, cm, wt + h * kc + kk, kc);
            } else { /* the last rows through a zeroed copy: no read past row K */
              float tail[16][16] = { { 0 } };
              for (size_t i = 0; i < rows; i++)
                memcpy(tail[i], w + (k0 + kk + i) * N + n0 + h, (nc - h < 16 ? nc - h : 16) * sizeof(float));
              bd_transpose16(&tail[0][0], 16, cm, wt + h * kc + kk, kc);
            }
          }
        }
        a.nc = nc;
        a.add = n0 > 0;
        for (size_t m = m0; m < m1; m += BD_MR) {
          const size_t mr = m1 - m < BD_MR ? m1 - m : BD_MR;
          a.dy = dy + m * lddy + n0;
          for (size_t ks = 0; ks < kb; ks += 64) {
            const size_t rem = kb - ks;
            a.kv = rem >= 64 ? 4 : (rem + 15) / 16;
            a.wt = wt + ks;
            a.dx = dx + m * lddx + k0 + ks;
            a.last = orthoconv_avx512_ops_tail(rem - 16 * (a.kv - 1));
            bd_tiles[mr - 1](&a);
          }
        }
      }
    }
  }
}
