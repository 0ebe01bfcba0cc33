/* The contract between dispatch and every kernel variant: function types and the
 * descriptor built from each op's .inc list. Types only, no code, so it is safe to
 * include from files compiled with any ISA flags.
 *
 * Every variant is correct for every shape inside its list line's RULE (any M,
 * any stride >= the row, any float alignment); its register tile (mr x nr, K
 * unroll) is where it is fast. Arguments have been validated before a kernel is
 * called; kernels never allocate, never print, and touch nothing but their
 * outputs (nothing past column N of a row, nothing of a frozen column). */
#ifndef ORTHOCONV_UKERNEL_H
#define ORTHOCONV_UKERNEL_H

#include <stddef.h>
#include "orthoconv.h"
#include "isa_ext.h"
#include "ukernel_lp.h"

#define ORTHOCONV_MAX_TUNABLES 3

/* A runtime tunable: the value passed is in [min, max] and min + j * step. */
typedef struct orthoconv_tunable_spec {
  const char *name;
  int min, max, step, def;
} orthoconv_tunable_spec;

/* Layout of W that a forward variant reads. */
typedef enum orthoconv_wlayout {
  ORTHOCONV_W_KN = 0,   /* as the caller gives it: K x N row-major */
  ORTHOCONV_W_K16 = 1,  /* blocks of 16 k, N padded to Np (a multiple of the kernel's nr):
                         * p[(kb*Np + n)*16 + j] = w[(16kb + j)*N + n], zero past K and N */
  ORTHOCONV_W_PANEL = 2, /* panels of nr filters, each K rows of nr contiguous floats:
                         * p[(pi*K + k)*nr + j] = w[k*N + pi*nr + j], zero past N. Read
                         * like KN rows with ldw = nr: W rows N floats apart would put a
                         * tile's k rows on as many pages, and near 4 KiB apart into the
                         * same few cache sets */
  /* Low-precision variants (ukernel_lp.h), B = the variant's kunroll, np = N
   * rounded up to its nr, elements of the op's type (bf16, int8) unless WIDE: */
  ORTHOCONV_W_KBLK = 3,      /* p[(kb*np + n)*B + j] = W[B kb + j][n], zero past K and N */
  ORTHOCONV_W_KBLK_WIDE = 4, /* the same, widened: bf16 -> fp32, int8 -> int16 */
  ORTHOCONV_W_MMLA = 5       /* for 2 x g by g x 2 matrix products (g k = 64 bits: 4 bf16,
                              * 8 int8), filter pairs of B k in groups of g:
                              * p[kb*np*B + (n/2)*2B + (j/g)*2g + (n%2)*g + j%g] = W[B kb + j][n] */
} orthoconv_wlayout;

/* Software prefetch of X: the forward driver points the cursor at the next block
 * of rows; a microkernel that prefetches advances it once per 16 k it consumes,
 * two 64-byte lines a call (kernels/common/pf_cursor.h). The block's rows go in
 * groups of `group`: one row at a time, front to back, when group is 1 (one
 * sequential stream), else line c of each of the group's rows, then line c + 1,
 * in pairs of rows (kernels/fwd/driver.c says where). */
typedef struct orthoconv_pf_cursor {
  const float *row;  /* one row at a time: the next row, NULL when done or in groups */
  size_t col, rows_left, ldx, K, group;
  /* groups only: a round is one line across the group, in pairs of rows */
  const float *grow; /* the group's first row */
  const float *at;   /* the next pair's first line, NULL when the block is done */
  size_t left;       /* pairs left in the round, this one included */
  size_t off2;       /* floats to the pair's second line: ldx, or 0 for a line alone */
  size_t in_group;   /* rows in this group (fewer at the block's end) */
} orthoconv_pf_cursor;

/* One register tile of the forward GEMM, as the driver (kernels/fwd/driver.c)
 * hands it to a microkernel. The tile is rows [0, mr) x filters [0, nc) of y over
 * one block of kc k; mr <= the list line's mr, nc <= its nr. Rows past mr and
 * filters past nc of y must not be read or written (a kernel may alias rows past
 * mr to row mr - 1: same reads, same values written).
 *   KN and PANEL layouts: w[k * ldw + n] (a panel is zero past nc, KN is not: a
 *   kernel may read W anywhere in [w, w + (kc - 1) ldw + nc), other filters'
 *   values included, but no lane past nc may reach y); K16: w[kb * ldw + 16 n + j]
 *   = W[16 kb + j][n], zero past K, and the packed block holds nr filters (zero
 *   past nc), so a K16 kernel may read all nr of them. x is not padded: k past kc
 *   must not be read. */
typedef struct orthoconv_fwd_tile {
  size_t mr, nc, kc;
  const float *x; /* row 0 at k 0 of the block; rows ldx apart */
  size_t ldx;
  const float *w; /* the block's first k, the tile's first filter */
  size_t ldw;
  float *y;       /* row 0, filter 0 of the tile; rows ldy apart */
  size_t ldy;
  unsigned flags;            /* ORTHOCONV_TILE_* */
  const float *bias;         /* at the tile's filter 0, NULL = none; used on LAST */
  orthoconv_activation act;  /* on LAST; SOFTMAX only with ROW, else the driver's row pass */
  orthoconv_pf_cursor *pf;   /* NULL = no software prefetch */
} orthoconv_fwd_tile;
#define ORTHOCONV_TILE_FIRST 1u /* first k block: y holds nothing yet (write, do not add) */
#define ORTHOCONV_TILE_LAST 2u  /* last k block: add bias, apply act */
#define ORTHOCONV_TILE_ROW 4u   /* nc is the whole row of N filters */

/* Function types (not pointers), so that the .inc lists can declare variants.
 * t: the variant's tunables, t[i] for its i-th spec (unused entries are 0).
 * Forward microkernels take one tile; their tunables are the driver's (in this
 * order, any prefix): kc (k per block, 0 = from the L1 size; for a panel tile,
 * the largest its range allows), mb (rows per block, 0 = from the L2 size), pf (0
 * = no software prefetch, d = prefetch the block d blocks ahead). */
typedef void orthoconv_fwd_fn(const orthoconv_fwd_tile *t);
typedef void orthoconv_bwd_data_fn(size_t M, size_t K, size_t N, const float *dy,
    size_t lddy, const float *w, float *dx, size_t lddx, const int *t);
/* trainable NULL = all train; dbias may be NULL. */
typedef void orthoconv_bwd_weights_fn(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *dy, size_t lddy, const unsigned char *trainable, float *dw,
    float *dbias, const int *t);
typedef void orthoconv_gram_fn(size_t K, size_t N, const float *w, float *g, const int *t);
/* grad[k*N+n] += sum_j w[k*N+j] * a[j*N+n] for trainable n (trainable NULL = all). */
typedef void orthoconv_reg_grad_fn(size_t K, size_t N, const float *w, const float *a,
    const unsigned char *trainable, float *grad, const int *t);
typedef void orthoconv_sgd_fn(const orthoconv_sgd *opt, size_t K, size_t N, float *w,
    const float *grad, float *velocity, const unsigned char *trainable, const int *t);
/* step_size = lr / (1 - b1^t), bc2_sqrt = sqrt(1 - b2^t), computed once by the caller. */
typedef void orthoconv_adamw_fn(const orthoconv_adamw *opt, float step_size,
    float bc2_sqrt, size_t K, size_t N, float *w, const float *grad, float *m, float *v,
    const unsigned char *trainable, const int *t);

/* Where a variant applies: the shapes whose whole computation its own code does.
 * Dispatch never selects it outside (a profile record for such a shape falls back
 * to the defaults), so a variant never runs another variant behind its name.
 * 0 in a max field = no bound. */
typedef struct orthoconv_rule {
  size_t nmin, nmax; /* filters */
  size_t knmax;      /* K * N, for variants that keep a copy of W of bounded size */
} orthoconv_rule;

typedef struct orthoconv_ukernel {
  orthoconv_op op; /* FORWARD (serves LAYER_FORWARD too), BACKWARD_*, GRAM, REG_GRAD, SGD, ADAMW,
                    * LAYER_FORWARD_BF16, QLAYER_FORWARD */
  const char *name;
  orthoconv_isa isa;
  unsigned char mr, nr, kunroll;
  unsigned char wlayout; /* orthoconv_wlayout, forward ops only */
  unsigned char ntunables; /* counted from the list line, never written by hand */
  unsigned char exts; /* ORTHOCONV_EXT_* the variant needs beyond its ISA (from the line's ISA column) */
  orthoconv_rule rule;
  orthoconv_tunable_spec tunables[ORTHOCONV_MAX_TUNABLES];
  union {
    void (*any)(void); /* for comparing with a symbol named in dispatch/defaults.inc */
    orthoconv_fwd_fn *fwd;
    orthoconv_bwd_data_fn *bwd_data;
    orthoconv_bwd_weights_fn *bwd_weights;
    orthoconv_gram_fn *gram;
    orthoconv_reg_grad_fn *reg_grad;
    orthoconv_sgd_fn *sgd;
    orthoconv_adamw_fn *adamw;
    orthoconv_lp_fn *lp; /* LAYER_FORWARD_BF16, QLAYER_FORWARD */
  } fn;
} orthoconv_ukernel;

#endif
