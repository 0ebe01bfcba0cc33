/* The forward driver's prefetch cursor (orthoconv_pf_cursor, ukernel.h): a pair
 * of 64-byte lines of the next block of X per 16 k a microkernel consumes. The
 * pair is two prefetches, a pointer step and a count; the turn at a round's end
 * is rare. On Intel's cores the loop's scalar instructions share the issue width
 * with the tile's FMAs and loads: a cursor 11 instructions a step longer ran
 * 1024 x 10 at M = 3136 0.89-0.93x (Xeon model 207); this one runs it 0.99-1.01x
 * of the one-row-at-a-time loop it replaced. Every pointer it forms is a line
 * of the block. ISA-neutral (__builtin_prefetch) and static, so each microkernel
 * file compiles its own copy under its own flags: no inline code shared across
 * flag sets reaches the linker. */
#ifndef ORTHOCONV_PF_CURSOR_H
#define ORTHOCONV_PF_CURSOR_H
#include "ukernel.h"

#ifndef ORTHOCONV_PF_LINE /* a test defines it to see the lines */
#define ORTHOCONV_PF_LINE(p) __builtin_prefetch((p), 0, 2) /* read, into L2 (x86: prefetcht1) */
#endif
#define ORTHOCONV_PF_INLINE static inline __attribute__((always_inline))

/* The round from c->at: n lines, stride floats apart. */
ORTHOCONV_PF_INLINE void orthoconv_pf_round(orthoconv_pf_cursor *c, size_t n, size_t stride) {
  c->left = n / 2;
  c->half = (int)(n & 1);
  c->off2 = stride;
  c->step = 2 * stride;
  if (!c->left) c->left = 1, c->off2 = 0, c->half = 0;
}

/* Rows [first, first + rows) of X (M rows to the call's end), group rows at a time. */
ORTHOCONV_PF_INLINE void orthoconv_pf_start(orthoconv_pf_cursor *c, const float *x, size_t ldx, size_t K,
    size_t M, size_t first, size_t rows, size_t group) {
  c->at = c->row = NULL;
  c->col = 0;
  c->ldx = ldx;
  c->K = K;
  c->group = group ? group : 1;
  if (first >= M || !rows || !K) return;
  c->at = c->row = x + first * ldx;
  c->rows_left = M - first < rows ? M - first : rows;
  c->in_group = c->rows_left < c->group ? c->rows_left : c->group;
  if (c->group == 1) orthoconv_pf_round(c, (K + 15) / 16, 16);
  else orthoconv_pf_round(c, c->in_group, ldx);
}

/* The end of a round: its line alone, or the next round (the next row, the next
 * line across the group, or the next group), or the block's end. */
ORTHOCONV_PF_INLINE void orthoconv_pf_turn(orthoconv_pf_cursor *c) {
  if (c->half) {
    c->half = 0;
    c->at += c->step; /* the round's last line, after its last pair */
    c->off2 = 0;
    c->left = 1;
    return;
  }
  if (c->group == 1) {
    if (--c->rows_left == 0) {
      c->at = NULL;
      return;
    }
    c->row += c->ldx;
    c->at = c->row;
    orthoconv_pf_round(c, (c->K + 15) / 16, 16);
    return;
  }
  c->col += 16;
  if (c->col >= c->K) {
    c->col = 0;
    if (c->rows_left <= c->group) {
      c->at = NULL;
      return;
    }
    c->row += c->group * c->ldx;
    c->rows_left -= c->group;
    c->in_group = c->rows_left < c->group ? c->rows_left : c->group;
  }
  c->at = c->row + c->col;
  orthoconv_pf_round(c, c->in_group, c->ldx);
}

ORTHOCONV_PF_INLINE void orthoconv_pf_advance(orthoconv_pf_cursor *c) {
  if (!c->at) return;
  ORTHOCONV_PF_LINE(c->at);
  ORTHOCONV_PF_LINE(c->at + c->off2);
  if (--c->left) c->at += c->step;
  else orthoconv_pf_turn(c);
}
#endif
