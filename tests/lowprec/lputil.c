#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/oracle.h"
#include "common/testutil.h"
#include "lputil.h"

#define CANARY 0xa5u

tbuf tbuf_new(size_t rows, size_t cols, size_t ld, size_t es, size_t offset) {
  tbuf b = { NULL, NULL, 0, rows, cols, ld, es };
  const size_t span = rows ? ((rows - 1) * ld + cols) * es : 0;
  b.n_alloc = offset * es + span + (span ? 0 : 1);
  b.base = malloc(b.n_alloc);
  if (!b.base) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  memset(b.base, CANARY, b.n_alloc);
  b.p = b.base + offset * es;
  return b;
}

void tbuf_free(tbuf *b) {
  free(b->base);
  b->base = b->p = NULL;
}

static int is_elem(const tbuf *b, size_t i) {
  const size_t first = (size_t)(b->p - b->base);
  if (i < first || b->rows == 0) return 0;
  const size_t e = (i - first) / b->es;
  return e / b->ld < b->rows && e % b->ld < b->cols;
}

size_t tbuf_canaries_broken(const tbuf *b) {
  size_t n = 0;
  for (size_t i = 0; i < b->n_alloc; i++) n += !is_elem(b, i) && b->base[i] != CANARY;
  return n;
}

unsigned char *tbuf_snapshot(const tbuf *b) {
  const size_t row = b->cols * b->es;
  unsigned char *s = malloc(b->rows * row + 1);
  for (size_t r = 0; r < b->rows; r++) memcpy(s + r * row, b->p + r * b->ld * b->es, row);
  return s;
}

int tbuf_unchanged(const tbuf *b, const unsigned char *snap) {
  const size_t row = b->cols * b->es;
  for (size_t r = 0; r < b->rows; r++)
    if (memcmp(snap + r * row, b->p + r * b->ld * b->es, row) != 0) return 0;
  return 1;
}

float lp_bf16_to_f32(uint16_t b) {
  const uint32_t u = (uint32_t)b << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

uint16_t lp_rand_bf16(void) {
  const float f = test_randf();
  uint32_t u;
  memcpy(&u, &f, 4);
  /* Round to nearest even, written independently of the library's code. */
  const uint32_t low = u & 0xffffu, hi = u >> 16;
  const uint32_t up = low > 0x8000u || (low == 0x8000u && (hi & 1u));
  return (uint16_t)(hi + up);
}

void lp_fill_u8(tbuf *b, int mode) {
  for (size_t r = 0; r < b->rows; r++)
    for (size_t c = 0; c < b->cols; c++) {
      const uint64_t v = test_rand_u64();
      b->p[r * b->ld + c] = mode == 0 ? (uint8_t)(v >> 24) : mode == 1 ? 0 : mode == 2 ? 255 : (v >> 30 & 1) ? 255 : 0;
    }
}

void lp_fill_s8(int8_t *w, size_t n, int mode) {
  for (size_t i = 0; i < n; i++) {
    const uint64_t v = test_rand_u64();
    w[i] = mode == 0 ? (int8_t)(int)((v >> 24 & 255u) - 128) : mode == 1 ? -128 : mode == 2 ? 127 : (v >> 30 & 1) ? 127 : -128;
  }
}

void lp_oracle_bf16(size_t M, size_t K, size_t N, const uint16_t *x, size_t ldx, const uint16_t *w,
    const float *bias, double *pre, double *bound) {
  float *xf = malloc((M * K + 1) * sizeof *xf), *wf = malloc((K * N + 1) * sizeof *wf);
  for (size_t m = 0; m < M; m++)
    for (size_t k = 0; k < K; k++) xf[m * K + k] = lp_bf16_to_f32(x[m * ldx + k]);
  for (size_t i = 0; i < K * N; i++) wf[i] = lp_bf16_to_f32(w[i]);
  /* Products of two bf16 values are exact in float and in double. */
  oracle_forward_pre(M, K, N, xf, K, wf, bias, pre, bound);
  free(xf);
  free(wf);
}

int lp_oracle_q8_acc(size_t M, size_t K, size_t N, const uint8_t *q, size_t ldq, int zp, const int8_t *w,
    int32_t *acc) {
  int ok = 1;
  for (size_t m = 0; m < M; m++)
    for (size_t n = 0; n < N; n++) {
      int64_t s = 0;
      for (size_t k = 0; k < K; k++) s += ((int64_t)q[m * ldq + k] - zp) * (int64_t)w[k * N + n];
      ok &= s >= INT32_MIN && s <= INT32_MAX;
      acc[m * N + n] = (int32_t)s;
    }
  return ok;
}

float lp_q8_formula(int32_t acc, float x_scale, float w_scale, float bias) {
  volatile float s = x_scale * w_scale; /* volatile: each step rounded to float on its own */
  volatile float p = (float)acc * s;
  volatile float y = p + bias;
  return y;
}

int lp_check_row(const char *what, size_t m, const float *y, const double *pre, const double *bnd, size_t N,
    orthoconv_activation act, int exact) {
  double *r = malloc(N * sizeof *r), rb = 0;
  int bad = 0;
  for (size_t n = 0; n < N; n++) r[n] = pre[n], rb = fmax(rb, bnd[n]);
  oracle_activation(r, N, act);
  exact = exact && (act == ORTHOCONV_ACT_NONE || act == ORTHOCONV_ACT_RELU);
  for (size_t n = 0; n < N; n++) {
    int ok;
    if (exact) {
      const float want = (float)r[n];
      ok = memcmp(&want, &y[n], sizeof want) == 0;
    } else {
      ok = fabs((double)y[n] - r[n]) <= oracle_post_tolerance(act, r[n], bnd[n], rb);
    }
    if (!ok && !bad++)
      test_fail("%s act %d row %zu y[%zu] = %.9g, want %.9g%s", what, (int)act, m, n, y[n], r[n],
          exact ? " (bit for bit)" : "");
  }
  free(r);
  return bad;
}
