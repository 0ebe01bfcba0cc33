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
      /* Only here (check_overlap.c): built eagerly, its 128-bit fields cost a
       * small call two store-forwarding stalls (a quarter of a one-row layer call). */
      if (orthoconv_priv_bufs_meet(&b[i], &b[j])) return ORTHOCONV_EOVERLAP;
    }
  }
  return ORTHOCONV_OK;
}
