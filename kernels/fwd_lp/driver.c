/* The low-precision forward driver: the order of kernels/fwd/driver.c (blocks of
 * mb rows outermost: m0 -> n0 (nr filters) -> k0 (kc k) -> tiles of mr rows), on
 * X of 1 or 2 bytes an element and W packed once by the layer (so nothing is
 * packed here, and nothing lands on the stack). The kc x nr block of W stays in
 * L1 while the block's rows pass over it; partial sums wait in y between k blocks
 * (floats for bf16, int32 bits for int8: the kernel adds unless FIRST); the
 * epilogue comes with the last k block; softmax over a row split into several
 * filter chunks runs once the row block is done. While a block is computed, the
 * block pf blocks ahead is prefetched as one sequential stream. */
#include "act/act.h"
#include "cpu.h"
#include "driver.h"

size_t orthoconv_priv_lp_xbytes(orthoconv_op op) { return op == ORTHOCONV_OP_QLAYER_FORWARD ? 1 : 2; }

size_t orthoconv_priv_lp_wbytes(const orthoconv_ukernel *k) {
  const size_t x = orthoconv_priv_lp_xbytes(k->op);
  return k->wlayout == ORTHOCONV_W_KBLK_WIDE ? 2 * x : x;
}

/* The kernel's tunable i (kc, mb, pf in that order), or 0 if it has fewer. */
static size_t tunable(const orthoconv_ukernel *k, const int *t, unsigned i) {
  return i < k->ntunables && t[i] > 0 ? (size_t)t[i] : 0;
}

/* k per block: the tunable, else the largest that keeps a kc x nr block of W in
 * 5/8 of L1d, spread evenly over the blocks K needs; a multiple of the K unroll
 * (packed W blocks start there). No tunables: all of K (the references). */
static size_t pick_kc(const orthoconv_ukernel *k, const int *t, size_t K) {
  const size_t ku = k->kunroll ? k->kunroll : 1;
  size_t kc = tunable(k, t, 0);
  if (!kc) {
    if (k->ntunables == 0) return K;
    const unsigned l1 = orthoconv_priv_cpu_get()->l1d_kib ? orthoconv_priv_cpu_get()->l1d_kib : 32;
    size_t most = (size_t)l1 * 1024 * 5 / 8 / (orthoconv_priv_lp_wbytes(k) * k->nr);
    most = most / ku * ku;
    if (most < ku) most = ku;
    const size_t blocks = (K + most - 1) / most;
    kc = ((K + blocks - 1) / blocks + ku - 1) / ku * ku;
  }
  if (k->tunables[0].max > 0 && kc > (size_t)k->tunables[0].max) kc = (size_t)k->tunables[0].max;
  kc = kc / ku * ku;
  return kc ? kc : ku;
}

/* Rows per block: the tunable, else as many as keep the block's X in half of L2;
 * a multiple of mr. */
static size_t pick_mb(const orthoconv_ukernel *k, const int *t, size_t K, size_t xb) {
  size_t mb = tunable(k, t, 1);
  if (!mb) {
    const unsigned l2 = orthoconv_priv_cpu_get()->l2_kib ? orthoconv_priv_cpu_get()->l2_kib : 512;
    mb = (size_t)l2 * 512 / (xb * K);
    if (mb > 1024) mb = 1024;
  }
  mb = mb / k->mr * k->mr;
  return mb ? mb : k->mr;
}

static void pf_start(orthoconv_lp_pf *c, const unsigned char *x, size_t ldx_bytes, size_t K_bytes,
    size_t M, size_t first_row, size_t rows) {
  c->row = NULL;
  c->col = 0;
  c->ldx = ldx_bytes;
  c->K = K_bytes;
  if (first_row < M) {
    c->row = x + first_row * ldx_bytes;
    c->rows_left = M - first_row < rows ? M - first_row : rows;
  }
}

void orthoconv_priv_lp_drive(const orthoconv_ukernel *k, const int *t, size_t M, size_t K, size_t N,
    const void *x, size_t ldx, const orthoconv_priv_lp_w *w, const orthoconv_priv_lp_epi *e, float *y,
    size_t ldy) {
  const size_t nr = k->nr, mr = k->mr, pfd = tunable(k, t, 2);
  const size_t xb = orthoconv_priv_lp_xbytes(k->op), wb = orthoconv_priv_lp_wbytes(k);
  const size_t ku = k->kunroll ? k->kunroll : 1;
  const int kn = k->wlayout == ORTHOCONV_W_KN;
  const size_t kc = pick_kc(k, t, K), mb = pick_mb(k, t, K, xb);
  const unsigned char *xp = x, *wp = w->p;
  orthoconv_act_rows_fn *rows_act = N > nr && e->act == ORTHOCONV_ACT_SOFTMAX ? orthoconv_priv_act_rows(k->isa) : NULL;
  orthoconv_lp_pf cur;
  orthoconv_lp_tile tl;
  tl.ldx = ldx;
  tl.ldy = ldy;
  tl.act = e->act;
  tl.x_scale = e->x_scale;
  tl.zp = e->zp;
  /* KN: from one k to the next; blocked layouts: from one block of ku k to the next. */
  tl.ldw = kn ? N : w->npad * ku;
  for (size_t m0 = 0; m0 < M; m0 += mb) {
    const size_t mm = M - m0 < mb ? M - m0 : mb;
    pf_start(&cur, xp, ldx * xb, K * xb, M, m0 + pfd * mb, pfd ? mb : 0);
    for (size_t n0 = 0; n0 < N; n0 += nr) {
      tl.nc = N - n0 < nr ? N - n0 : nr;
      tl.bias = e->bias ? e->bias + n0 : NULL;
      tl.colsum = e->colsum ? e->colsum + n0 : NULL;
      tl.w_scale = e->w_scale ? e->w_scale + n0 : NULL;
      tl.pf = pfd && n0 == 0 && cur.row ? &cur : NULL;
      for (size_t k0 = 0; k0 < K; k0 += kc) {
        tl.kc = K - k0 < kc ? K - k0 : kc;
        tl.flags = (k0 == 0 ? ORTHOCONV_TILE_FIRST : 0u) | (k0 + tl.kc == K ? ORTHOCONV_TILE_LAST : 0u) |
                   (tl.nc == N ? ORTHOCONV_TILE_ROW : 0u);
        /* Blocked layouts: block k0 / ku starts at k0 * npad elements, the tile's
         * filters at n0 * ku within it (k0 is a multiple of ku). */
        tl.w = wp + (kn ? k0 * N + n0 : k0 * w->npad + n0 * ku) * wb;
        for (size_t m = 0; m < mm; m += mr) {
          tl.mr = mm - m < mr ? mm - m : mr;
          tl.x = xp + ((m0 + m) * ldx + k0) * xb;
          tl.y = y + (m0 + m) * ldy + n0;
          k->fn.lp(&tl);
        }
      }
    }
    if (rows_act) rows_act(mm, N, y + m0 * ldy, ldy, e->act);
  }
}
