/* Advancing the low-precision driver's prefetch cursor (orthoconv_lp_pf): two
 * 64-byte lines of the next block of X per call; a microkernel calls it once per
 * 128 bytes of X its tile consumes, so the next block arrives as one sequential
 * stream at the rate this one is read. ISA-neutral and static, like pf_cursor.h. */
#ifndef ORTHOCONV_LP_PF_H
#define ORTHOCONV_LP_PF_H
#include "ukernel_lp.h"

static inline __attribute__((always_inline)) void orthoconv_lp_pf_advance(orthoconv_lp_pf *c) {
  for (int i = 0; i < 2 && c->row; i++) {
    __builtin_prefetch(c->row + c->col, 0, 2); /* read, into L2 (x86: prefetcht1) */
    c->col += 64;
    if (c->col >= c->K) {
      c->col = 0;
      c->row = --c->rows_left ? c->row + c->ldx : NULL;
    }
  }
}
#endif
