#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "select.h"

int test_failures;

void test_fail(const char *fmt, ...) {
  if (test_failures++ < 20) {
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
  }
}

int test_emulated(void) {
  const char *e = getenv("ORTHOCONV_TEST_EMULATED");
  return e && *e && strcmp(e, "0") != 0;
}

int test_finish(const char *name) {
  if (test_failures) printf("%s: %d checks failed\n", name, test_failures);
  else printf("%s: all checks passed\n", name);
  return test_failures ? 1 : 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
void test_seed(uint64_t seed) { rng_state = seed ? seed : 1; }
uint64_t test_rand_u64(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
float test_randf(void) { return (float)((double)(test_rand_u64() >> 40) / (double)(1ull << 24) * 2.0 - 1.0); }

static const uint32_t canary_bits = 0x7fa5c3e1u; /* a NaN no kernel computes */
static const uint32_t pattern_bits = 0xff8badd5u;

static float bits_to_float(uint32_t b) {
  float f;
  memcpy(&f, &b, 4);
  return f;
}

static int is_element(const tmat *m, size_t i) {
  const size_t first = (size_t)(m->p - m->base);
  if (i < first || m->rows == 0) return 0;
  const size_t rel = i - first;
  return rel / m->ld < m->rows && rel % m->ld < m->cols;
}

tmat tmat_new(size_t rows, size_t cols, size_t ld, size_t offset) {
  tmat m = { NULL, NULL, 0, rows, cols, ld };
  const size_t span = rows ? (rows - 1) * ld + cols : 0;
  m.n_alloc = offset + span + (span ? 0 : 1);
  m.base = malloc(m.n_alloc * sizeof(float));
  if (!m.base) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  const float c = bits_to_float(canary_bits);
  for (size_t i = 0; i < m.n_alloc; i++) m.base[i] = c;
  m.p = m.base + offset;
  return m;
}

void tmat_free(tmat *m) {
  free(m->base);
  m->base = m->p = NULL;
}

void tmat_fill_random(tmat *m, float scale) {
  for (size_t r = 0; r < m->rows; r++)
    for (size_t c = 0; c < m->cols; c++) m->p[r * m->ld + c] = scale * test_randf();
}

void tmat_fill_pattern(tmat *m) {
  const float v = bits_to_float(pattern_bits);
  for (size_t r = 0; r < m->rows; r++)
    for (size_t c = 0; c < m->cols; c++) m->p[r * m->ld + c] = v;
}

size_t tmat_canaries_broken(const tmat *m) {
  size_t broken = 0;
  for (size_t i = 0; i < m->n_alloc; i++) {
    if (is_element(m, i)) continue;
    uint32_t b;
    memcpy(&b, &m->base[i], 4);
    broken += b != canary_bits;
  }
  return broken;
}

int tmat_same_bits(const tmat *a, const tmat *b) {
  for (size_t r = 0; r < a->rows; r++)
    if (memcmp(a->p + r * a->ld, b->p + r * b->ld, a->cols * sizeof(float)) != 0) return 0;
  return 1;
}

int within_bound(double got, double want, double bound) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return got == want;
  return fabs(got - want) <= 1e-5 * bound;
}

int test_isa_arg(int argc, char **argv, int *exit_code) {
  *exit_code = 2;
  if (argc != 2) {
    fprintf(stderr, "usage: %s scalar|avx2|avx512|neon\n", argv[0]);
    return -1;
  }
  for (int i = 0; i < 4; i++) {
    if (strcmp(argv[1], orthoconv_isa_name((orthoconv_isa)i)) != 0) continue;
    if (orthoconv_priv_isa_runnable((orthoconv_isa)i)) return i;
    printf("ISA %s: not runnable on this CPU/build, skipped\n", argv[1]);
    *exit_code = TEST_SKIP;
    return -1;
  }
  fprintf(stderr, "%s: unknown ISA %s\n", argv[0], argv[1]);
  return -1;
}
