/* The forward driver's prefetch cursor (kernels/common/pf_cursor.h), run over
 * blocks of rows of many shapes and group sizes: every line of the block is
 * prefetched, nothing outside it, at least a line per call (the rate the
 * microkernels rely on), and the group order where a group has more than one
 * row (line c of each row before line c + 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const float *seen[1 << 16];
static size_t nseen;
#define ORTHOCONV_PF_LINE(p) (nseen < sizeof seen / sizeof seen[0] ? (void)(seen[nseen++] = (p)) : (void)0)
#include "pf_cursor.h"

static int fails;

static void check(size_t M, size_t first, size_t rows, size_t K, size_t ldx, size_t group) {
  static float x[64 * 1100];
  orthoconv_pf_cursor c;
  orthoconv_pf_start(&c, x, ldx, K, M, first, rows, group);
  const size_t nrows = first < M ? (M - first < rows ? M - first : rows) : 0, lines = (K + 15) / 16;
  static unsigned char hit[64 * 70];
  memset(hit, 0, sizeof hit);
  nseen = 0;
  size_t calls = 0;
  while (c.at && calls <= nrows * lines) orthoconv_pf_advance(&c), calls++;
  int bad = c.at != NULL;
  size_t last_col = 0, last_row = 0;
  for (size_t i = 0; i < nseen && !bad; i++) {
    const size_t off = (size_t)(seen[i] - x);
    const size_t r = off / ldx, col = off % ldx;
    if (r < first || r >= first + nrows || col >= K || col % 16) {
      bad = 1;
      break;
    }
    hit[(r - first) * 70 + col / 16] = 1;
    /* group order: within a group a line is not taken before the previous line of every row */
    if (group > 1 && (r - first) / group == (last_row - first) / group && col + 16 < last_col) bad = 1;
    last_col = col, last_row = r;
  }
  for (size_t r = 0; r < nrows && !bad; r++)
    for (size_t l = 0; l < lines; l++)
      if (!hit[r * 70 + l]) bad = 1;
  if (calls > nrows * lines) bad = 1; /* fewer than a line a call */
  if (bad) {
    fails++;
    fprintf(stderr, "FAIL: M %zu first %zu rows %zu K %zu ldx %zu group %zu (%zu calls, %zu lines)\n", M, first,
        rows, K, ldx, group, calls, nseen);
  }
}

int main(void) {
  const size_t Ks[] = { 1, 15, 16, 17, 31, 32, 33, 48, 100, 1024 }, groups[] = { 1, 2, 3, 8, 16 };
  size_t cases = 0;
  for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++)
    for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++)
      for (size_t M = 1; M <= 40; M += 3)
        for (size_t first = 0; first <= M; first += 5)
          for (size_t rows = 0; rows <= 24; rows += 3) {
            check(M, first, rows, Ks[ki], Ks[ki] + (ki & 1) * 5, groups[gi]);
            cases++;
          }
  printf("%zu cursor walks, %d failed\n", cases, fails);
  return fails != 0;
}
