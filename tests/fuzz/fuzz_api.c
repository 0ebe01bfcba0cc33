/* libFuzzer harness: every public call's arguments (tests/common/arena_call.c).
 * An input is a few calls in a row, each drawn from the next bytes: sizes,
 * strides, offsets into one arena (so that buffers may overlap), NULL and wild
 * pointers, enums, masks, NaN/Inf/huge hyper-parameters, the ISA cap. A call
 * must return the status the rules give, write nothing when it refuses, and
 * write only its outputs, correctly, when it accepts; else abort(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "common/arena_call.h"
#include "common/testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  arena_bytes b = { data, size, 0 };
  for (int calls = 0; calls < 4 && (calls == 0 || b.pos < b.n); calls++) arena_call(&b);
  if (test_failures) fflush(stdout), abort(); /* the reason is on stdout */
  return 0;
}
