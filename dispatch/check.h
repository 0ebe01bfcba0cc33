/* Argument checks shared by every entry point: one mechanism, so that every
 * function rejects NULLs, short strides, overflowing sizes and overlaps alike. */
#ifndef ORTHOCONV_CHECK_H
#define ORTHOCONV_CHECK_H
#include <stddef.h>
#include "orthoconv.h"

/* A float matrix argument: rows x cols with row stride ld (in floats). */
typedef struct orthoconv_priv_buf {
  const void *p;
  size_t rows, cols, ld;
  unsigned char is_output; /* written by the call: may overlap nothing */
  unsigned char optional;  /* NULL allowed (then skipped) */
} orthoconv_priv_buf;

/* EINVAL for a NULL required pointer, ld < cols, a byte count that overflows or an
 * address range that wraps; else EOVERLAP if an output's bytes meet any other
 * buffer's; else OK. Buffers with rows == 0 span nothing (and may be NULL). */
orthoconv_status orthoconv_priv_check(const orthoconv_priv_buf *b, size_t n);

/* Is v finite (not NaN, not +-inf)? */
int orthoconv_priv_finite(float v);
#endif
