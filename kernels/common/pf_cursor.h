/* The forward driver's prefetch cursor (orthoconv_pf_cursor, ukernel.h): two
 * 64-byte lines of the next block of X per call, a call per 16 k a microkernel
 * consumes. One row at a time it steps line by line; in groups it steps by pairs
 * of rows (two prefetches, a pointer step and a count a call; the turn once per
 * line across the group). On Intel's cores the loop's scalar instructions share
 * the issue width with the tile's FMAs and loads: a grouped cursor 11
 * instructions a step longer ran 1024 x 10 at M = 3136 0.89-0.93x (Xeon model
 * 207), and a pair cursor for single rows too, whose turn came every few calls
 * at small K, 0.95-0.96x at K = 200 and 1000: so single rows keep the line loop.
 * Every pointer it forms is a line of the block. ISA-neutral (__builtin_prefetch)
 * and static, so each microkernel file compiles its own copy under its own
 * flags: no inline code shared across flag sets reaches the linker. */
#ifndef ORTHOCONV_PF_CURSOR_H
#define ORTHOCONV_PF_CURSOR_H
#include "ukernel.h"

#ifndef ORTHOCONV_PF_LINE /* a test defines it to see the lines */
#define ORTHOCONV_PF_LINE(p) __builtin_prefetch((p), 0, 2) /* read, into L2 (x86: prefetcht1) */
#endif
#define ORTHOCONV_PF_INLINE static inline __attribute__((always_inline))

/* A group's round from c->at: its in_group rows at one line, in pairs. */
ORTHOCONV_PF_INLINE void orthoconv_pf_round(orthoconv_pf_cursor *c) {
  c->left = (c->in_group + 1) / 2;
  c->off2 = c->in_group > 1 ? c->ldx : 0;
}

/* Rows [first, first + rows) of X (M rows to the call's end), group rows at a time. */
ORTHOCONV_PF_INLINE void orthoconv_pf_start(orthoconv_pf_cursor *c, const float *x, size_t ldx, size_t K,
    size_t M, size_t first, size_t rows, size_t group) {
  c->at = c->row = c->grow = NULL;
  c->col = 0;
  c->ldx = ldx;
  c->K = K;
  c->group = group ? group : 1;
  if (first >= M || !rows || !K) return;
  if (c->group == 1) c->row = x + first * ldx; /* one row at a time only; in groups at and grow */
  else c->at = c->grow = x + first * ldx;
  c->rows_left = M - first < rows ? M - first : rows;
  c->in_group = c->rows_left < c->group ? c->rows_left : c->group;
  orthoconv_pf_round(c);
}

/* The end of a group's round: the pair before the last row if the round has an
 * odd row left, else the next line across the group, or the next group, or the
 * block's end. */
ORTHOCONV_PF_INLINE void orthoconv_pf_turn(orthoconv_pf_cursor *c) {
  c->col += 16;
  if (c->col >= c->K) {
    c->col = 0;
    if (c->rows_left <= c->group) {
      c->at = NULL;
      return;
    }
    c->grow += c->group * c->ldx;
    c->rows_left -= c->group;
    c->in_group = c->rows_left < c->group ? c->rows_left : c->group;
  }
  c->at = c->grow + c->col;
  orthoconv_pf_round(c);
}

/* row is NULL in groups: one row at a time pays a test of at only at its end */
ORTHOCONV_PF_INLINE void orthoconv_pf_advance(orthoconv_pf_cursor *c) {
  if (c->row) {
    for (int i = 0; i < 2 && c->row; i++) {
      ORTHOCONV_PF_LINE(c->row + c->col);
      c->col += 16;
      if (c->col >= c->K) {
        c->col = 0;
        c->row = --c->rows_left ? c->row + c->ldx : NULL;
      }
    }
    return;
  }
  if (!c->at) return;
  ORTHOCONV_PF_LINE(c->at);
  ORTHOCONV_PF_LINE(c->at + c->off2);
  if (--c->left == 0) orthoconv_pf_turn(c);
  else if (c->left == 1 && c->in_group % 2) c->at += 2 * c->ldx, c->off2 = 0; /* the last row alone */
  else c->at += 2 * c->ldx;
}
#endif
