/* Advancing the forward driver's prefetch cursor (orthoconv_pf_cursor): two 64-byte
 * lines of the next block of X per 16 k a microkernel consumes. ISA-neutral
 * (__builtin_prefetch) and static, so each microkernel file compiles its own copy
 * under its own flags: no inline code shared across flag sets reaches the linker. */
#ifndef ORTHOCONV_PF_CURSOR_H
#define ORTHOCONV_PF_CURSOR_H
#include "ukernel.h"

static inline __attribute__((always_inline)) void orthoconv_pf_advance(orthoconv_pf_cursor *c) {
  for (int i = 0; i < 2 && c->row; i++) {
    __builtin_prefetch(c->row + c->col, 0, 2); /* read, into L2 (x86: prefetcht1) */
    c->col += 16;
    if (c->col >= c->K) {
      c->col = 0;
      c->row = --c->rows_left ? c->row + c->ldx : NULL;
    }
  }
}
#endif
