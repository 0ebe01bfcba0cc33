/* The forward driver. One copy for every ISA: a microkernel only computes a
 * register tile (kernels/common/ukernel.h); everything around it is here.
 *
 * Loop order, blocks of mb rows outermost: m0 -> n0 (nr filters) -> k0 (kc k) ->
 * tiles of mr rows. The kc x nr block of W stays in L1 (a panel tile streams it
 * from L2: see pick_kc) while the block's rows pass over it; partial sums of a
 * row wait in y between k blocks (the microkernel adds to y unless FIRST); bias
 * and the activation come with the last k block. While a block is computed, the
 * block pf blocks ahead is prefetched (first filter chunk only), one row after
 * the other or in groups of rows (pf_group).
 *
 * A microkernel whose W layout (K16, or panels for more than one panel of
 * filters) is not given packed (orthoconv_forward: no layer, no allocation) gets
 * its W block packed here, on the stack, once per block of rows (by the packing
 * of the kernel's ISA, kernels/fwd/pack.h): the order is then m0 -> n0 -> k0 ->
 * pack -> tiles, blocks of rows sized by packed_block_rows. */
#include <stdint.h>
#include <string.h>
#include "act/act.h"
#include "cpu.h"
#include "driver.h"
#include "pack.h"
#include "pf_cursor.h"

/* The kernel's tunable i (kc, mb, pf in that order), or 0 if it has fewer. */
static size_t tunable(const orthoconv_ukernel *k, const int *t, unsigned i) {
  return i < k->ntunables && t[i] > 0 ? (size_t)t[i] : 0;
}

static size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

/* v rounded down to a multiple of u; tiles' sizes are mostly powers of two, and a
 * division on every call is a tenth of a one-row layer call's overhead. */
static size_t round_down(size_t v, size_t u) { return (u & (u - 1)) == 0 ? v & ~(u - 1) : v / u * u; }

/* k per block: the tunable, else the largest that keeps a kc x nr block of W in
 * 5/8 of L1d, spread evenly over the blocks K needs; a multiple of the K unroll.
 * A panel (broadcast) tile reads one W vector per MR FMAs, which L2 feeds at
 * the FMA rate, while every k block sends the tile's rows of y through L2 and
 * back (2 nr floats a row against kc of x): it takes the longest block its
 * list line allows. Zen 4, K x N = 256 x 64 to 2048 x 1000 at M = 3136, 6x64
 * tile: kc 256 against the L1 rule's 64-80, 1.03-1.065x (8x32 at N = 24-32:
 * 1.00-1.02x), two profiles alternated in one process. */
static size_t pick_kc(const orthoconv_ukernel *k, const int *t, size_t K, size_t cap) {
  const size_t ku = k->kunroll ? k->kunroll : 1;
  size_t kc = tunable(k, t, 0);
  if (!kc) {
    if (k->ntunables == 0) return K; /* no K blocking (e.g. the double-precision reference) */
    const unsigned l1 = orthoconv_priv_cpu_get()->l1d_kib ? orthoconv_priv_cpu_get()->l1d_kib : 32;
    size_t most = (size_t)l1 * 1024 * 5 / 8 / (4 * (size_t)k->nr);
    if (k->wlayout == ORTHOCONV_W_PANEL && k->tunables[0].max > 0) most = (size_t)k->tunables[0].max;
    most = most / ku * ku;
    if (most < ku) most = ku;
    const size_t blocks = (K + most - 1) / most;
    kc = round_up((K + blocks - 1) / blocks, ku);
  }
  /* The list line's range bounds the block too (it bounds the terms an accumulator sums). */
  if (k->tunables[0].max > 0 && kc > (size_t)k->tunables[0].max) kc = (size_t)k->tunables[0].max;
  if (cap && kc > cap) kc = cap;
  kc = round_down(kc, ku);
  return kc ? kc : ku;
}

/* Rows per block: the tunable, else as many as keep the block's X (mb x K) in half
 * of L2; a multiple of mr. */
static size_t pick_mb(const orthoconv_ukernel *k, const int *t, size_t K) {
  size_t mb = tunable(k, t, 1);
  if (!mb) {
    const unsigned l2 = orthoconv_priv_cpu_get()->l2_kib ? orthoconv_priv_cpu_get()->l2_kib : 512;
    mb = (size_t)l2 * 512 / (4 * K);
    if (mb > 1024) mb = 1024;
  }
  mb = round_down(mb, k->mr);
  return mb ? mb : k->mr;
}

/* Rows per block when W is packed on the stack once per block and k block: twice
 * mb (the tunable, or half of L2's worth of X when it is 0). The list default of
 * the K16 tiles, 32 rows, suits W packed once (the layer); a raw call's blocks are
 * then 64 rows. Packing costs about 1 / rows of a block's work whatever K and N.
 * Bigger blocks lost on the DRAM side: at K = 1024 N = 10 on a 2 MiB L2 (Intel
 * Xeon, orthoconv_forward, M = 50176 / 3136) X was read at 8.1 / 9.5 GB/s in
 * blocks of 512 rows (then the rule: X of a block filling L2, no room for the
 * block prefetched during it), 8.7 / 10.3 in 256, 10.0 / 18.0 in 128,
 * 10.3-10.7 / 18.9-19.4 in 64 and 10.5-10.6 / 17.4-17.9 in 32 (packing), with W
 * packed by the AVX-512 transpose; the layer read 11.5 / 21.0. Blocks sized for
 * the last-level cache were twice as slow: each k block re-read its rows from L3
 * in short strided pieces. */
static size_t packed_block_rows(const orthoconv_ukernel *k, const int *t, size_t K) {
  return 2 * pick_mb(k, t, K); /* a multiple of mr, at most 2 x 1024 */
}

/* For W packed on the fly the driver still caps the k block to its buffer, as it
 * does an unresolved one. Resolved once, the divisions of pick_kc and pick_mb are
 * off the call: they were a third of a one-row layer call (K x N = 64 x 16, Xeon). */
void orthoconv_priv_fwd_resolve(const orthoconv_ukernel *k, int *t, size_t M, size_t K) {
  if (k->ntunables > 0 && t[0] <= 0) {
    /* One tile of rows reads each W element once a call: blocking K for L1 would
     * only add a pass of partial sums through y (M = 1, K = 1024: 183 -> 152 ns). */
    int one[ORTHOCONV_MAX_TUNABLES] = { 0 };
    if (M <= k->mr) one[0] = (int)(K < 4096 ? (K + 15) / 16 * 16 : 4096);
    t[0] = (int)pick_kc(k, M <= k->mr ? one : t, K, 0);
  }
  if (k->ntunables > 1 && t[1] <= 0) t[1] = (int)pick_mb(k, t, K);
}

/* Panel block: p[k * nr + j] = W[k0 + k][n0 + j], zero past nc. */
static void pack_panel_block(const float *w, size_t N, size_t k0, size_t kl, size_t n0, size_t nc,
    size_t nr, float *p) {
  for (size_t k = 0; k < kl; k++, p += nr)
    for (size_t j = 0; j < nr; j++) p[j] = j < nc ? w[(k0 + k) * N + n0 + j] : 0.0f;
}

/* Does the layer hold W in panels of the kernel's width? */
static int panels_given(const orthoconv_ukernel *k, const orthoconv_priv_fwd_w *w) {
  return k->wlayout == ORTHOCONV_W_PANEL && w->panel && w->panel_nr == k->nr;
}

/* Does the kernel need W packed block by block here (its layout not given)? One
 * panel needs no packing: its k rows are the contiguous rows of W itself; nor
 * does one tile of rows, which reads each element of W once anyway (a panel
 * tile reads W at any row stride): packing was most of such a call (M = 1,
 * K x N = 256 x 64: 6.3 us with it, 0.9 without). A panel narrower than nr is
 * packed for many rows only: its rows N floats apart are then nr apart and
 * aligned (a 64-byte load of a 7-float row spans two lines), worth a copy of W
 * per block of rows from 32 tiles (orthoconv_forward at M = 3136, K x N =
 * 100 x 7: 0.91x of the layer before, 1.00x after; Xeon, one process). */
int orthoconv_priv_fwd_packs(const orthoconv_ukernel *k, const orthoconv_priv_fwd_w *w, size_t M, size_t N) {
  if (k->wlayout == ORTHOCONV_W_K16) return !w->k16;
  if (k->wlayout == ORTHOCONV_W_PANEL)
    return (N > k->nr ? M > k->mr : N < k->nr && M >= 32 * (size_t)k->mr) && !panels_given(k, w);
  return 0;
}

/* Rows the prefetch cursor interleaves (ukernel.h), for a call that reads bytes
 * of X. On Intel's cores the L2 streamer runs a short way ahead of the requests
 * it sees in a 4 KiB page, a stream a page: 8 rows taken line by line give it 8
 * streams where one row at a time gives it one. From DRAM that pays (1024 x 10
 * at M = 50176, Xeon model 207, old and new library in one process: 1.05-1.08x,
 * the AVX2 dot tile 1.07x; groups of 4 / 8 / 16 / 32 rows 1.06 / 1.07-1.16 /
 * 1.08-1.16 / 1.06-1.08x of one row in a first version); from L2 or L3 it
 * costs (M = 49 / 784 / 3136: 0.86-0.97 / 0.93 / 0.90-0.92x), so only an X past
 * half the last-level cache takes it, decided on the whole call (a threaded
 * call's parts alike). AMD's
 * cores keep one row at a time: their probes read two interleaved rows slower
 * than one stream (Zen 5), and no AMD core was at hand to measure a group on. */
static size_t pf_group(size_t bytes) {
  const orthoconv_priv_cpu *cpu = orthoconv_priv_cpu_get();
  return cpu->l3_kib && bytes / 1024 > cpu->l3_kib / 2 && strcmp(cpu->vendor, "GenuineIntel") == 0 ? 8 : 1;
}

/* The block of W at (k0, n0) as the caller or the layer holds it. */
__attribute__((noinline)) static void w_block(const orthoconv_ukernel *k, const orthoconv_priv_fwd_w *w, size_t K,
    size_t N, size_t k0, size_t n0, orthoconv_fwd_tile *tl) {
  const size_t nr = k->nr;
  if (k->wlayout == ORTHOCONV_W_K16) {
    tl->w = w->k16 + k0 * w->npad + 16 * n0; /* block k0 / 16 starts at 16 npad (k0 / 16) */
    tl->ldw = 16 * w->npad;
  } else if (panels_given(k, w)) {
    tl->w = w->panel + n0 * K + k0 * nr; /* panel n0 / nr starts at n0 K (n0 a multiple of nr) */
    tl->ldw = nr;
  } else {
    tl->w = w->kn + k0 * N + n0;
    tl->ldw = N;
  }
}
/* The next W block's bytes: rows of row_bytes, stride apart (none: rows 0). */
typedef struct w_ahead {
  const char *p;
  size_t row_bytes, stride, rows;
} w_ahead;

/* Tiles of mr rows over rows [0, mm) of one k block of one filter chunk, with a
 * share of the next W block's lines prefetched into L2 before each (see drive). */
static void tiles(const orthoconv_ukernel *k, orthoconv_fwd_tile *tl, size_t mm, size_t ldx, size_t ldy, w_ahead a) {
  const float *x0 = tl->x;
  float *y0 = tl->y;
  /* Rows of W as given need not start on a line: line c of a row starts 64 c -
   * mis bytes on (c > 0), inside the row while c < lines. */
  size_t c = 0, mis = (uintptr_t)a.p & 63, lines = (mis + a.row_bytes + 63) / 64;
  const size_t share = a.rows ? ((lines + 1) * a.rows + (mm - 1) / k->mr) / ((mm - 1) / k->mr + 1) : 0;
  for (size_t m = 0; m < mm; m += k->mr) {
    for (size_t i = 0; i < share && a.rows; i++) {
      __builtin_prefetch(c ? a.p + (64 * c - mis) : a.p, 0, 2); /* x86: prefetcht1 */
      if (++c == lines) {
        c = 0;
        if (--a.rows) {
          a.p += a.stride;
          mis = (uintptr_t)a.p & 63;
          lines = (mis + a.row_bytes + 63) / 64;
        }
      }
    }
    tl->mr = mm - m < k->mr ? mm - m : k->mr;
    tl->x = x0 + m * ldx;
    tl->y = y0 + m * ldy;
    k->fn.fwd(tl);
  }
}

/* pack: room for a W block packed on the fly (NULL when W comes packed or the
 * kernel reads it as given). One copy for both: inlined into drive_packing it was
 * a second 2.6 KB copy of the loop, past the library's code budget, for no time
 * measured (layer calls at M = 1 and 49 alike). */
__attribute__((noinline, noclone)) static void drive(const orthoconv_ukernel *k, const int *t, size_t M,
    size_t mpf, size_t group, size_t K, size_t N,
    const float *x, size_t ldx, const orthoconv_priv_fwd_w *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy, float *pack, size_t pack_floats) {
  const size_t nr = k->nr, pfd = tunable(k, t, 2);
  const int lay = k->wlayout, on_stack = pack != NULL;
  orthoconv_pack_k16_block_fn *const pack_k16 =
      on_stack && lay == ORTHOCONV_W_K16 ? orthoconv_priv_pack_k16_block(k->isa) : NULL;
  orthoconv_act_rows_fn *rows_act = N > nr && act == ORTHOCONV_ACT_SOFTMAX ? orthoconv_priv_act_rows(k->isa) : NULL;
  const size_t kc = pick_kc(k, t, K, !on_stack ? 0 : lay == ORTHOCONV_W_K16 ? pack_floats / (16 * nr) * 16 : pack_floats / nr);
  const size_t mb = on_stack ? packed_block_rows(k, t, K) : pick_mb(k, t, K);
  /* W in panels, too big to stay in L2 between blocks of rows, comes from L3
   * block by block: the first tile of a block waited for its lines (a 30 KB
   * block at K x N = 2048 x 1000 is about a tenth of its rows' FMA time), and
   * packing a block on the stack waited for each row of W. So the next block
   * (this order: k blocks, then panels, then the next block of rows) is
   * prefetched while this one's tiles run: in a layer's panels one run of
   * bytes, as given rows stride N apart. Layers alternated in one process, Xeon
   * model 207: 1.07-1.14x at M = 49 and 1.05-1.09x at 3136 (AVX2 tiles 1.19x
   * and 1.07x); at 512 x 128, W in L2, 0.97x: hence only W past the half of
   * L2 that blocks of X leave. Blocks of 4 tiles or fewer read W as fast as one
   * stream without it, and the prefetches' bursts cost them (0.79-0.87x at
   * M = 1 to 12). */
  const unsigned l2 = orthoconv_priv_cpu_get()->l2_kib ? orthoconv_priv_cpu_get()->l2_kib : 512;
  const int ahead = lay == ORTHOCONV_W_PANEL && (on_stack || panels_given(k, w)) &&
                    K * N > (size_t)l2 * 128; /* floats in half of L2 */
  orthoconv_pf_cursor cur;
  orthoconv_fwd_tile tl;
  tl.ldx = ldx;
  tl.ldy = ldy;
  tl.act = act;
  /* A last block shorter than mb joins the one before: M = 49 at mb = 32 ran as
   * 32 + 17 rows, W's k blocks read twice and the 17 rows prefetched while
   * already in L2 (1024 x 10, Xeon model 207: one block 1.07x, in one process
   * under two profiles). A row's sums do not depend on its block. */
  for (size_t m0 = 0, mm; m0 < M; m0 += mm) {
    mm = M - m0 < 2 * mb ? M - m0 : mb;
    /* the block pfd - 1 blocks after this one; pf off: no rows, so no cursor */
    orthoconv_pf_start(&cur, x, ldx, K, mpf, pfd ? m0 + mm + (pfd - 1) * mb : mpf, pfd ? mb : 0, group);
    for (size_t n0 = 0; n0 < N; n0 += nr) {
      tl.nc = N - n0 < nr ? N - n0 : nr;
      tl.bias = bias ? bias + n0 : NULL;
      tl.pf = n0 == 0 && (cur.row || cur.at) ? &cur : NULL;
      for (size_t k0 = 0; k0 < K; k0 += kc) {
        tl.kc = K - k0 < kc ? K - k0 : kc;
        tl.flags = (k0 == 0 ? ORTHOCONV_TILE_FIRST : 0u) | (k0 + tl.kc == K ? ORTHOCONV_TILE_LAST : 0u) |
                   (tl.nc == N ? ORTHOCONV_TILE_ROW : 0u);
        if (on_stack && lay == ORTHOCONV_W_K16) {
          pack_k16(w->kn, N, k0, tl.kc, n0, tl.nc, nr, pack);
          tl.w = pack;
          tl.ldw = 16 * nr;
        } else if (on_stack) {
          pack_panel_block(w->kn, N, k0, tl.kc, n0, tl.nc, nr, pack);
          tl.w = pack;
          tl.ldw = nr;
        } else {
          w_block(k, w, K, N, k0, n0, &tl);
        }
        tl.x = x + m0 * ldx + k0;
        tl.y = y + m0 * ldy + n0;
        w_ahead a = { NULL, 0, 0, 0 };
        size_t kn = k0 + tl.kc, nn = n0;
        if (kn == K) kn = 0, nn += nr;
        if (nn >= N) nn = m0 + mm < M ? 0 : N;
        if (ahead && mm > 4 * k->mr && nn < N) {
          a.rows = K - kn < kc ? K - kn : kc;
          a.p = (const char *)(on_stack ? w->kn + kn * N + nn : w->panel + nn * K + kn * nr);
          a.row_bytes = (on_stack ? (N - nn < nr ? N - nn : nr) : a.rows * nr) * sizeof(float);
          a.stride = N * sizeof(float);
          if (!on_stack) a.rows = 1;
        }
        tiles(k, &tl, mm, ldx, ldy, a);
      }
    }
    if (rows_act) rows_act(mm, N, y + m0 * ldy, ldy, act);
  }
}

/* The packing buffer lives in a frame of its own, so that calls that do not pack
 * do not carry it. */
__attribute__((noinline)) static void drive_packing(const orthoconv_ukernel *k, const int *t, size_t M,
    size_t mpf, size_t group, size_t K, size_t N, const float *x, size_t ldx, const orthoconv_priv_fwd_w *w,
    const float *bias, orthoconv_activation act, float *y, size_t ldy) {
  float pack[ORTHOCONV_FWD_PACK_BYTES / sizeof(float)] __attribute__((aligned(64)));
  drive(k, t, M, mpf, group, K, N, x, ldx, w, bias, act, y, ldy, pack, sizeof pack / sizeof pack[0]);
}

__attribute__((noinline)) void orthoconv_priv_fwd_drive_part(const orthoconv_ukernel *k, const int *t, size_t M, size_t mpf,
    size_t mcall, size_t K, size_t N, const float *x, size_t ldx, const orthoconv_priv_fwd_w *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy) {
  if (mpf < M) mpf = M;
  /* decided on the whole call's rows, not the part's: a part that packed
   * otherwise than the call took other k blocks, so other bits */
  const int packs = orthoconv_priv_fwd_packs(k, w, mcall, N);
  /* One tile, one k block, one chunk of filters (a classifier head's M = 1):
   * straight to the kernel. Through drive's loops such a call spent a quarter
   * of its time there (M = 1, K x N = 100 x 7, Xeon). */
  if (M <= k->mr && N <= k->nr && (k->ntunables == 0 || (t[0] > 0 && (size_t)t[0] >= K)) && !packs) {
    orthoconv_fwd_tile tl = { .mr = M, .nc = N, .kc = K, .x = x, .ldx = ldx, .y = y, .ldy = ldy, .bias = bias,
                              .act = act, .flags = ORTHOCONV_TILE_FIRST | ORTHOCONV_TILE_LAST | ORTHOCONV_TILE_ROW };
    w_block(k, w, K, N, 0, 0, &tl);
    k->fn.fwd(&tl);
    return;
  }
  const size_t group = pf_group(mcall * K * sizeof(float)); /* X read by the whole call */
  if (packs) drive_packing(k, t, M, mpf, group, K, N, x, ldx, w, bias, act, y, ldy);
  else drive(k, t, M, mpf, group, K, N, x, ldx, w, bias, act, y, ldy, NULL, 0);
}

void orthoconv_priv_fwd_drive(const orthoconv_ukernel *k, const int *t, size_t M, size_t K,
    size_t N, const float *x, size_t ldx, const orthoconv_priv_fwd_w *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy) {
  orthoconv_priv_fwd_drive_part(k, t, M, M, M, K, N, x, ldx, w, bias, act, y, ldy);
}
