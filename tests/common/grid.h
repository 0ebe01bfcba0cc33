/* The shape grid of the foundation issue: M = 0, 1, 2, 7, 49, 3137;
 * K = 1, 3, 16, 17, 1000, 1024, 1025; N = 1, 2, 7, 10, 11, 16, 17, 33.
 * Shapes whose M*K*N exceeds a budget are left out except the headline-sized
 * ones listed in grid.c, so that the suite stays quick under emulation.
 * Small shapes run twice: dense and aligned, then padded strides with every
 * pointer one float off alignment; larger ones alternate between the two. */
#ifndef ORTHOCONV_GRID_H
#define ORTHOCONV_GRID_H
#include <stddef.h>

typedef struct grid_shape {
  size_t M, K, N;
  size_t ldx, ldy; /* row strides of the M x K and M x N matrices */
  size_t off;      /* floats before each buffer's first element */
} grid_shape;

typedef struct grid_iter {
  int has_m;
  size_t im, ik, in, layout, count;
} grid_iter;

/* has_m 0: ops without M (the grid over K and N only, M reported as 0). */
void grid_begin(grid_iter *it, int has_m);
int grid_next(grid_iter *it, grid_shape *out);
#endif
