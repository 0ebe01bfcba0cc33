/* The forward driver's prefetch cursor (kernels/common/pf_cursor.h), walked over
 * blocks of rows of many shapes and group sizes. Checked: every line of the
 * block is prefetched and nothing outside it; every pointer the cursor holds
 * after a call (its row; in groups the next pair, its second line and the group's row) is a
 * line of the block; the calls are as few as two lines a call allow (one row at
 * a time: half the block's lines, rounded up; in groups: half of each line
 * across a group, rounded up), the rate the microkernels count on; and the order
 * (row by row, or within a group line c of every row before line c + 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const float *seen[1 << 16];
static size_t nseen;
#define ORTHOCONV_PF_LINE(p) (nseen < sizeof seen / sizeof seen[0] ? (void)(seen[nseen++] = (p)) : (void)0)
#include "pf_cursor.h"

enum { MAXM = 40, MAXLD = 1100, MAXLINES = 70 };
static float x[MAXM * MAXLD];
static int fails;

/* p is a line of rows [first, first + nrows), within a row's first K floats */
static int in_block(const float *p, size_t first, size_t nrows, size_t K, size_t ldx) {
  if (p < x || p >= x + MAXM * MAXLD) return 0;
  const size_t off = (size_t)(p - x), r = off / ldx, col = off % ldx;
  return r >= first && r < first + nrows && col < K && col % 16 == 0;
}

static void check(size_t M, size_t first, size_t rows, size_t K, size_t ldx, size_t group) {
  orthoconv_pf_cursor c = { 0 };
  orthoconv_pf_start(&c, x, ldx, K, M, first, rows, group);
  const size_t nrows = first < M ? (M - first < rows ? M - first : rows) : 0, lines = (K + 15) / 16;
  size_t expect = 0; /* calls */
  if (group <= 1) expect = (nrows * lines + 1) / 2;
  else
    for (size_t g = 0; g < nrows; g += group) expect += lines * (((nrows - g < group ? nrows - g : group) + 1) / 2);
  static unsigned char hit[MAXM * MAXLINES];
  memset(hit, 0, sizeof hit);
  nseen = 0;
  size_t calls = 0;
  int bad = 0;
  /* one row at a time the cursor is its row and column; in groups, its pair */
  while ((group <= 1 ? c.row != NULL : c.at != NULL) && calls <= expect && !bad) {
    orthoconv_pf_advance(&c), calls++;
    if (group <= 1 ? c.row && (!in_block(c.row, first, nrows, K, ldx) || c.col >= K)
                   : c.at && (!in_block(c.at, first, nrows, K, ldx) ||
                                 !in_block(c.at + c.off2, first, nrows, K, ldx) ||
                                 !in_block(c.grow, first, nrows, K, ldx)))
      bad = 1;
  }
  if ((group <= 1 ? c.row != NULL : c.at != NULL) || calls != expect) bad = 1;
  size_t prev_r = 0, prev_col = 0;
  for (size_t i = 0; i < nseen && !bad; i++) {
    if (!in_block(seen[i], first, nrows, K, ldx)) {
      bad = 1;
      break;
    }
    const size_t off = (size_t)(seen[i] - x), r = off / ldx, col = off % ldx;
    hit[(r - first) * MAXLINES + col / 16] = 1;
    if (i) { /* a line alone is the same line twice: equal is allowed */
      if (group <= 1) bad |= r < prev_r || (r == prev_r && col < prev_col);
      else if ((r - first) / group == (prev_r - first) / group)
        bad |= col < prev_col || (col == prev_col && r < prev_r);
      else bad |= r < prev_r;
    }
    prev_r = r, prev_col = col;
  }
  for (size_t r = 0; r < nrows && !bad; r++)
    for (size_t l = 0; l < lines; l++)
      if (!hit[r * MAXLINES + l]) bad = 1;
  if (bad) {
    fails++;
    if (fails < 10)
      fprintf(stderr, "FAIL: M %zu first %zu rows %zu K %zu ldx %zu group %zu (%zu calls, %zu expected)\n", M,
          first, rows, K, ldx, group, calls, expect);
  }
}

int main(void) {
  const size_t Ks[] = { 1, 5, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 65, 100, 1000, 1024 };
  const size_t groups[] = { 1, 2, 3, 8, 16 };
  size_t cases = 0;
  for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++)
    for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++)
      for (size_t M = 1; M <= MAXM; M += 3)
        for (size_t first = 0; first <= M; first += 5)
          for (size_t rows = 0; rows <= 24; rows += 3) {
            check(M, first, rows, Ks[ki], Ks[ki] + (ki & 1) * 3, groups[gi]);
            cases++;
          }
  printf("%zu cursor walks, %d failed\n", cases, fails);
  return fails != 0;
}
