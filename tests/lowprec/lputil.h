/* Helpers of the bf16 and int8 tests: byte matrices with canaries, inputs with
 * the extreme values the issue names, and the oracles: bf16 in double over the
 * bf16 values (the fp32 oracle on the widened inputs), int8 as exact integers
 * then the output formula in float, written from the header's text. */
#ifndef ORTHOCONV_LPUTIL_H
#define ORTHOCONV_LPUTIL_H
#include <stddef.h>
#include <stdint.h>
#include "orthoconv.h"

/* rows x cols elements of es bytes, row stride ld elements, inside an allocation
 * whose other bytes are canaries and whose last byte is the last element's.
 * offset elements before the first. */
typedef struct tbuf {
  unsigned char *base, *p;
  size_t n_alloc, rows, cols, ld, es;
} tbuf;
tbuf tbuf_new(size_t rows, size_t cols, size_t ld, size_t es, size_t offset);
void tbuf_free(tbuf *b);
size_t tbuf_canaries_broken(const tbuf *b);
/* A copy of the elements, to prove an input stayed as it was. */
unsigned char *tbuf_snapshot(const tbuf *b);
int tbuf_unchanged(const tbuf *b, const unsigned char *snap);

/* bf16 of a uniform value in [-1, 1) (rounded to nearest even). */
uint16_t lp_rand_bf16(void);
float lp_bf16_to_f32(uint16_t b);
/* Fills a u8 (mode 0: uniform; 1: all 0; 2: all 255; 3: 0 and 255 mixed) or s8
 * (0: uniform; 1: all -128; 2: all 127; 3: -128 and 127 mixed) matrix. */
void lp_fill_u8(tbuf *b, int mode);
void lp_fill_s8(int8_t *w, size_t n, int mode);

/* bf16: pre[m*N+n] = bias + sum x w over the bf16 values, exact in double;
 * bound = |bias| + sum |x w|. x is M x K bf16 (ldx), w K x N bf16 (dense). */
void lp_oracle_bf16(size_t M, size_t K, size_t N, const uint16_t *x, size_t ldx, const uint16_t *w,
    const float *bias, double *pre, double *bound);
/* int8: acc exact (64-bit); 0 if some |acc| exceeds int32 (a test bug). */
int lp_oracle_q8_acc(size_t M, size_t K, size_t N, const uint8_t *q, size_t ldq, int zp, const int8_t *w,
    int32_t *acc);
/* The header's formula, in float, one operation at a time. */
float lp_q8_formula(int32_t acc, float x_scale, float w_scale, float bias);

/* Checks row y[0..N) against pre-activations pre (double, with error bounds bnd)
 * after act: NONE and RELU with exact = 1 bit for bit (pre must then hold the
 * exact float values), otherwise within the activation's tolerance. Returns the
 * number of failures and reports the first through test_fail. */
int lp_check_row(const char *what, size_t m, const float *y, const double *pre, const double *bnd, size_t N,
    orthoconv_activation act, int exact);
#endif
