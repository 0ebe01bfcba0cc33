#include <stddef.h>
#include <stdint.h>
#include "check.h"

int orthoconv_priv_finite(float v) { return v - v == 0.0f; }

/* Bytes from the first to one past the last float touched; 0 if it overflows. */
static size_t span_bytes(const orthoconv_priv_buf *b) {
  if (b->rows == 0 || b->cols == 0) return 0;
  size_t elems;
  if (__builtin_mul_overflow(b->rows - 1, b->ld, &elems) ||
      __builtin_add_overflow(elems, b->cols, &elems) ||
      __builtin_mul_overflow(elems, (size_t)b->esize, &elems) || elems > PTRDIFF_MAX)
    return 0; /* C objects never exceed PTRDIFF_MAX bytes: such a size is a caller bug */
  return elems;
}

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

orthoconv_status orthoconv_priv_check(const orthoconv_priv_buf *b, size_t n) {
  size_t bytes[8];
  if (n > sizeof bytes / sizeof bytes[0]) return ORTHOCONV_EINVAL;
  for (size_t i = 0; i < n; i++) {
    bytes[i] = 0;
    if (b[i].rows == 0) continue;
    if (!b[i].p) {
      if (b[i].optional) continue;
      return ORTHOCONV_EINVAL;
    }
    if (b[i].cols == 0 || b[i].ld < b[i].cols) return ORTHOCONV_EINVAL;
    bytes[i] = span_bytes(&b[i]);
    uintptr_t end;
    if (bytes[i] == 0 || __builtin_add_overflow((uintptr_t)b[i].p, bytes[i], &end)) return ORTHOCONV_EINVAL;
  }
  for (size_t i = 0; i < n; i++) {
    if (!bytes[i] || !b[i].is_output) continue;
    const uintptr_t a0 = (uintptr_t)b[i].p, a1 = a0 + bytes[i];
    for (size_t j = 0; j < n; j++) {
      if (j == i || !bytes[j]) continue;
      const uintptr_t b0 = (uintptr_t)b[j].p, b1 = b0 + bytes[j];
      if (!(a0 < b1 && b0 < a1)) continue; /* disjoint hulls: the usual case */
      /* Only here: built eagerly, the 128-bit fields cost a small call two
       * store-forwarding stalls (a quarter of a one-row layer call). */
      const rowset ra = rowset_of(&b[i]), rb = rowset_of(&b[j]);
      if (rowsets_meet(&ra, &rb)) return ORTHOCONV_EOVERLAP;
    }
  }
  return ORTHOCONV_OK;
}
