/* Public calls with arguments drawn at random (tests/common/arena_call.c: buffers
 * at offsets into one arena, strides, NULL and wild pointers, enums, masks,
 * hyper-parameters, the ISA cap), each against the model of the rules and the
 * double oracle. The libFuzzer harness tests/fuzz/fuzz_api.c runs the same calls
 * from its inputs; this is the seeded, bounded run of the suite. It also checks
 * that every outcome happened: accepted, EINVAL, EOVERLAP, and accepted with an
 * output interleaved with another buffer. */
#include <stdio.h>
#include "common/arena_call.h"
#include "common/testutil.h"

enum { CALLS = 20000, BYTES = 96 };

int main(void) {
  unsigned char bytes[BYTES];
  size_t called = 0, ok = 0, inval = 0, overlap = 0, interleaved = 0;
  for (unsigned i = 0; i < CALLS; i++) {
    test_seed(0x5eed0000u + i);
    for (size_t j = 0; j < BYTES; j++) bytes[j] = (unsigned char)(test_rand_u64() >> 56);
    arena_bytes b = { bytes, BYTES, 0 };
    const arena_outcome o = arena_call(&b);
    if (!o.called) continue;
    called++;
    ok += o.status == ORTHOCONV_OK;
    inval += o.status == ORTHOCONV_EINVAL;
    overlap += o.status == ORTHOCONV_EOVERLAP;
    interleaved += o.status == ORTHOCONV_OK && o.hulls_met;
  }
  orthoconv_set_isa(orthoconv_cpu_isa());
  printf("%zu calls made: %zu accepted (%zu with an output between another buffer's rows), %zu EINVAL, %zu EOVERLAP\n",
         called, ok, interleaved, inval, overlap);
  CHECK(ok > CALLS / 20 && inval > CALLS / 20 && overlap > CALLS / 100 && interleaved > 0,
        "some outcome too rare to mean anything");
  return test_finish("arena");
}
