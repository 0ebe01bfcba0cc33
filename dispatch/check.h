/* Argument checks shared by every entry point: one mechanism, so that every
 * function rejects NULLs, short strides, overflowing sizes and overlaps alike. */
#ifndef ORTHOCONV_CHECK_H
#define ORTHOCONV_CHECK_H
#include <stddef.h>
#include "orthoconv.h"

/* A matrix argument: rows x cols elements with row stride ld (in elements). */
typedef struct orthoconv_priv_buf {
  const void *p;
  size_t rows, cols, ld;
  unsigned char is_output; /* written by the call: may overlap nothing */
  unsigned char optional;  /* NULL allowed (then skipped) */
  unsigned char esize;     /* bytes per element */
} orthoconv_priv_buf;

/* Float matrices read (IN), written (OUT), or either that may be NULL (OPT_*), and
 * the N-byte trainable mask (NULL allowed). */
#define ORTHOCONV_BUF_IN(p, rows, cols, ld) { (p), (rows), (cols), (ld), 0, 0, sizeof(float) }
#define ORTHOCONV_BUF_OUT(p, rows, cols, ld) { (p), (rows), (cols), (ld), 1, 0, sizeof(float) }
#define ORTHOCONV_BUF_OPT_IN(p, rows, cols, ld) { (p), (rows), (cols), (ld), 0, 1, sizeof(float) }
#define ORTHOCONV_BUF_OPT_OUT(p, rows, cols, ld) { (p), (rows), (cols), (ld), 1, 1, sizeof(float) }
#define ORTHOCONV_BUF_MASK(p, n) { (p), 1, (n), (n), 0, 1, 1 }

/* EINVAL for a NULL required pointer, ld < cols, a byte count that overflows
 * (or exceeds PTRDIFF_MAX, the largest possible object) or an address range that wraps; else EOVERLAP if an output's bytes meet any other
 * buffer's, element by element (rows of one may lie in the gaps between the rows of another); else OK.
 * Buffers with rows == 0 span nothing (and may be NULL). */
orthoconv_status orthoconv_priv_check(const orthoconv_priv_buf *b, size_t n);
/* Do some bytes of a and b coincide (both valid, non-empty)? (check_overlap.c) */
int orthoconv_priv_bufs_meet(const orthoconv_priv_buf *a, const orthoconv_priv_buf *b);

/* Is v finite (not NaN, not +-inf)? */
int orthoconv_priv_finite(float v);
#endif
