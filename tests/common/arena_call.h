/* One public call with every buffer at an offset into one arena, so that buffers
 * may overlap, its arguments read from a byte stream (a fuzzer's input or a
 * seeded generator): sizes, strides (short, huge, overflowing), NULL and wild
 * pointers, enums in and out of range, masks, NaN/Inf/huge hyper-parameters, the
 * ISA cap. Then the checks every call must pass:
 *  - the status is the one the rules give, from a model written apart from the
 *    library (overlap decided by marking every byte of every element);
 *  - a rejected call wrote nothing; an accepted one wrote only its outputs, and
 *    they agree with the double oracle (NaN and Inf as include/orthoconv.h says).
 * Failures are reported through test_fail (testutil.h). */
#ifndef ORTHOCONV_ARENA_CALL_H
#define ORTHOCONV_ARENA_CALL_H
#include <stddef.h>
#include "orthoconv.h"

typedef struct arena_bytes {
  const unsigned char *p;
  size_t n, pos; /* past the end every byte reads as 0 */
} arena_bytes;

/* What arena_call did, for tests that want to see both outcomes happen. */
typedef struct arena_outcome {
  int called;             /* 0: the drawn arguments could not be backed by the arena */
  orthoconv_status status;
  int hulls_met;          /* an output's address span met another buffer's */
} arena_outcome;

/* Runs one call drawn from b. */
arena_outcome arena_call(arena_bytes *b);
#endif
