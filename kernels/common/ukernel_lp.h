/* The contract of the low-precision forward microkernels: the bf16 layer
 * (LAYER_FORWARD_BF16) and the int8 layer (QLAYER_FORWARD). Their driver,
 * kernels/fwd_lp/driver.c, has the fp32 driver's structure (blocks of rows ->
 * chunks of nr filters -> blocks of kc k -> tiles of mr rows, softmax row pass,
 * prefetch of the next block of X); W always comes packed, once, by the layer.
 * Types only. */
#ifndef ORTHOCONV_UKERNEL_LP_H
#define ORTHOCONV_UKERNEL_LP_H
#include <stddef.h>
#include <stdint.h>
#include "orthoconv.h"

/* Software prefetch of X in bytes (X is 1 or 2 bytes an element): a microkernel
 * advances it (kernels/common/lp_pf.h) once per 128 bytes of X its tile consumes,
 * which prefetches two 64-byte lines of the block the driver points it at. */
typedef struct orthoconv_lp_pf {
  const unsigned char *row; /* NULL when done */
  size_t col, rows_left, ldx, K; /* bytes */
} orthoconv_lp_pf;

/* One register tile: rows [0, mr) x filters [0, nc) over one block of kc k
 * (mr <= the list line's mr, nc <= its nr). Rows past mr and filters past nc must
 * not be written, nor x read past kc k or mr rows (x is the caller's, not padded).
 *   x: bf16 (uint16_t) or u8 (uint8_t), row 0 at the block's first k; ldx elements.
 *   w: the block in the variant's layout (ukernel.h, orthoconv_wlayout), at the
 *      tile's filter 0; ldw elements from one block of kunroll k to the next (KN:
 *      from one k to the next). Packed layouts are zero past K and past nc, so all
 *      nr filters and whole kunroll blocks may be read.
 *   y: row 0, filter 0 of the tile. FIRST: y holds nothing yet. Between k blocks
 *      (not LAST) y holds the partial sums: floats for bf16, int32 bits for int8.
 *   LAST: bf16: y = act(sum + bias), bias NULL = none; int8: with acc the exact
 *      int32 sum of (q - zp) w, y = act(((float)acc * s[n]) + bias[n]) where
 *      s[n] = x_scale * w_scale[n] (float), product and sum rounded separately
 *      (no FMA) and bias never NULL (zeros), so that every ISA gives the same bits.
 *      SOFTMAX only with ROW (else the driver's row pass runs after the tiles).
 *   int8: sum_k (q - zp) w = sum_k q w - zp colsum[n]: the kernel folds the zero
 *      point in with the per-filter column sums of W (colsum, at filter 0). */
typedef struct orthoconv_lp_tile {
  size_t mr, nc, kc;
  const void *x;
  size_t ldx;
  const void *w;
  size_t ldw;
  float *y;
  size_t ldy;
  unsigned flags;           /* ORTHOCONV_TILE_FIRST / LAST / ROW (ukernel.h) */
  const float *bias;        /* at filter 0 */
  orthoconv_activation act;
  orthoconv_lp_pf *pf;      /* NULL = no software prefetch */
  /* int8 only, at filter 0 */
  const int32_t *colsum;
  const float *w_scale;
  float x_scale;
  int32_t zp;
} orthoconv_lp_tile;

typedef void orthoconv_lp_fn(const orthoconv_lp_tile *t);
#endif
