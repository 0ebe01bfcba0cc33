/* The exact overlap test of two matrix arguments, for the rare calls whose byte
 * hulls overlap (dispatch/check.c tests the hulls first): built for size with the
 * set-up code (meson.build), being off every usual call's path. */
#include <stdint.h>
#include "check.h"

/* Byte offsets and sizes below are at most about 2^64 in magnitude and their
 * sums and products with row counts stay under 2^66, hence 128-bit arithmetic
 * (a 32-bit size_t needs only 64 bits). */
#if defined(__SIZEOF_INT128__)
typedef __int128 wide;
#else
typedef long long wide;
#endif

/* The bytes of a matrix argument: rows runs of len bytes, ld bytes apart. */
typedef struct rowset {
  wide base, ld, len;
  size_t rows;
} rowset;

static rowset rowset_of(const orthoconv_priv_buf *b) {
  /* With one row the stride is never used (and may be anything, even huge). */
  const rowset r = { (wide)(uintptr_t)b->p, b->rows > 1 ? (wide)b->ld * b->esize : 0,
                     (wide)b->cols * b->esize, b->rows };
  return r;
}

static wide floor_div(wide a, wide l) { return a / l - (a % l != 0 && a < 0); }

/* Is q * l in the open interval (lo, hi) for some integer q in [qlo, qhi]? (l > 0) */
static int multiple_between(wide lo, wide hi, wide l, wide qlo, wide qhi) {
  wide q = floor_div(lo, l) + 1; /* the smallest q with q l > lo */
  if (q < qlo) q = qlo;
  return q <= qhi && q * l < hi;
}

/* Rows [first, last] of a that can meet the byte range [lo, hi) at all. */
static void rows_meeting(const rowset *a, wide lo, wide hi, wide *first, wide *last) {
  *first = floor_div(lo - a->len - a->base, a->ld) + 1;
  if (*first < 0) *first = 0;
  *last = floor_div(hi - 1 - a->base, a->ld);
  if (*last > (wide)a->rows - 1) *last = (wide)a->rows - 1;
}

/* Do some bytes of a and b coincide? Row i of a meets row p of b when
 * i * a.ld - p * b.ld lies in (d - a.len, d + b.len), d = b.base - a.base.
 * O(1) when either has one row or both share the stride (a channel slice of
 * a concat buffer beside another); otherwise one check per row of the one with
 * fewer rows inside the other's hull. */
static int rowsets_meet(const rowset *a, const rowset *b) {
  const wide d = b->base - a->base, lo = d - a->len, hi = d + b->len;
  if (a->rows == 1 && b->rows == 1) return lo < 0 && 0 < hi;
  if (b->rows == 1) return multiple_between(lo, hi, a->ld, 0, (wide)a->rows - 1);
  if (a->rows == 1) return multiple_between(-hi, -lo, b->ld, 0, (wide)b->rows - 1);
  if (a->ld == b->ld) return multiple_between(lo, hi, a->ld, -((wide)b->rows - 1), (wide)a->rows - 1);
  const wide a_end = a->base + (wide)(a->rows - 1) * a->ld + a->len;
  const wide b_end = b->base + (wide)(b->rows - 1) * b->ld + b->len;
  wide a0, a1, b0, b1;
  rows_meeting(a, b->base, b_end, &a0, &a1);
  rows_meeting(b, a->base, a_end, &b0, &b1);
  const int by_a = a1 - a0 <= b1 - b0;
  const rowset *many = by_a ? b : a, *few = by_a ? a : b;
  for (wide i = by_a ? a0 : b0, end = by_a ? a1 : b1; i <= end; i++) {
    const rowset row = { few->base + i * few->ld, 0, few->len, 1 };
    if (rowsets_meet(&row, many)) return 1;
  }
  return 0;
}

int orthoconv_priv_bufs_meet(const orthoconv_priv_buf *a, const orthoconv_priv_buf *b) {
  const rowset ra = rowset_of(a), rb = rowset_of(b);
  return rowsets_meet(&ra, &rb);
}
