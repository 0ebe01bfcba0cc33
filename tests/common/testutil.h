/* Test helpers: deterministic random data, matrices placed so that over-reads and
 * stray writes are caught, and the error bound of shared/REFERENCE.md. */
#ifndef ORTHOCONV_TESTUTIL_H
#define ORTHOCONV_TESTUTIL_H
#include <stddef.h>
#include <stdint.h>

/* The exit code meson counts as "skipped". */
#define TEST_SKIP 77

extern int test_failures;
/* Records a failure and prints it; caps the output at 20 lines per run. */
void test_fail(const char *fmt, ...);
#define CHECK(cond, ...) do { if (!(cond)) test_fail(__VA_ARGS__); } while (0)
/* Prints "name: N failed" and returns the process exit code. */
int test_finish(const char *name);

/* Nonzero when run.sh runs the suite under qemu (ORTHOCONV_TEST_EMULATED set, not
 * "0"): every vector FMA is then a libm call, and tests keep to their small shapes,
 * those of at most TEST_SMALL_MACS multiply-adds (under a second even there). */
int test_emulated(void);
#define TEST_SMALL_MACS 4000000u

uint64_t test_rand_u64(void);
void test_seed(uint64_t seed);
/* Uniform in [-1, 1). */
float test_randf(void);

/* A rows x cols float matrix with row stride ld inside a larger allocation:
 * every float of the allocation that is not an element is a canary, and the last
 * element ends the allocation (so an over-read past it leaves the block, which
 * AddressSanitizer reports). offset floats before the first element make the
 * pointer unaligned on purpose. */
typedef struct tmat {
  float *base, *p;
  size_t n_alloc, rows, cols, ld;
} tmat;
tmat tmat_new(size_t rows, size_t cols, size_t ld, size_t offset);
void tmat_free(tmat *m);
void tmat_fill_random(tmat *m, float scale);
/* Sets every element to a recognisable pattern (for outputs, before the call). */
void tmat_fill_pattern(tmat *m);
/* Number of canary floats that changed since tmat_new. */
size_t tmat_canaries_broken(const tmat *m);
/* Bitwise equality of the elements of a and b (same shape). */
int tmat_same_bits(const tmat *a, const tmat *b);

/* The ISA named by argv[1] of a per-ISA test ("scalar", "avx2", ...). Returns it,
 * or -1 after printing why, with *exit_code 2 (bad usage) or TEST_SKIP (this CPU
 * or build cannot run it). */
int test_isa_arg(int argc, char **argv, int *exit_code);

/* |got - want| <= 1e-5 * bound, with NaN/inf never passing unless want is the same. */
int within_bound(double got, double want, double bound);
#endif
