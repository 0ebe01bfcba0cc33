#include "lowprec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data.h"
#include "orthoconv.h"

/* x in [-1, 1): q = x / x_scale + 128 fills [0, 255]; w in [-0.05, 0.05). */
#define X_SCALE (1.0f / 127.5f)
#define ZP 128
#define W_SCALE (0.05f / 127.0f)

int ocb_is_lp(ocb_op op) { return op == OCB_FWD_BF16 || op == OCB_QFWD; }

void ocb_lp_io(ocb_data *d, ocb_io *io) {
  const size_t MK = d->M * d->K, KN = d->K * d->N;
  if (!d->xb) {
    /* 64 bytes past each: XNNPACK may read a little beyond its inputs */
    d->xb = ocb_alloc_bytes(2 * MK + 64), d->wb = ocb_alloc_bytes(2 * KN + 64), d->xq = ocb_alloc_bytes(MK + 64),
    d->wq = ocb_alloc_bytes(KN + 64);
    float *wd = malloc(KN * sizeof *wd);
    if (!wd) abort();
    for (size_t i = 0; i < KN; i++) wd[i] = d->w[i] / W_SCALE;
    if (orthoconv_f32_to_bf16(MK, d->x, d->xb) != ORTHOCONV_OK || orthoconv_f32_to_bf16(KN, d->w, d->wb) != ORTHOCONV_OK ||
        orthoconv_quantize_u8(MK, d->x, X_SCALE, ZP, d->xq) != ORTHOCONV_OK ||
        orthoconv_quantize_u8(KN, wd, 1.0f, 128, (uint8_t *)d->wq) != ORTHOCONV_OK)
      abort();
    /* u8 around 128 -> s8, clamped to the symmetric range [-127, 127] */
    for (size_t i = 0; i < KN; i++) {
      const int v = ((uint8_t *)d->wq)[i] - 128;
      d->wq[i] = (int8_t)(v < -127 ? -127 : v);
    }
    free(wd);
  }
  io->xb = d->xb, io->wb = d->wb, io->xq = d->xq, io->wq = d->wq;
  io->x_scale = X_SCALE, io->w_scale = W_SCALE, io->zp = ZP;
}

void ocb_lp_work(const ocb_case *c, double *flops, double *bytes) {
  const double M = (double)c->M, K = (double)c->K, N = (double)c->N, e = c->op == OCB_QFWD ? 1 : 2;
  *flops = 2 * M * K * N;
  *bytes = e * (M * K + K * N) + 4 * M * N;
}

static unsigned char *pool;
static size_t pool_bytes;

ocb_cold ocb_lp_cold_for(const ocb_case *c) {
  const size_t xb = (c->op == OCB_QFWD ? 1 : 2) * c->M * c->K, slot = (xb + 63) / 64 * 64 + (c->M * c->N * 4 + 63) / 64 * 64;
  const char *env = getenv("OCB_COLD_MB");
  const size_t want = (env && atol(env) > 0 ? (size_t)atol(env) : 256) << 20;
  size_t slots = (want + slot - 1) / slot;
  if (slots < 2) slots = 2;
  if (slots * slot > pool_bytes) {
    free(pool);
    pool_bytes = slots * slot;
    pool = ocb_alloc_bytes(pool_bytes + 64);
    uint16_t v = 0x3c00;
    for (size_t i = 0; i + 1 < pool_bytes; i += 2, v = (uint16_t)(v * 31u + 7u)) {
      const uint16_t b = (uint16_t)(0x3c00u | (v & 0x80ffu)); /* |value| in [2^-7, 2^-6): normal, finite */
      memcpy(pool + i, &b, 2);
    }
  }
  ocb_cold cold = { slots, slot, (float *)(void *)pool }; /* slot counts bytes here */
  return cold;
}

void ocb_lp_cold_io(const ocb_cold *cold, const ocb_case *c, size_t i, ocb_io *io) {
  unsigned char *p = (unsigned char *)(void *)cold->base + (i % cold->slots) * cold->slot_floats;
  const size_t xb = (c->op == OCB_QFWD ? 1 : 2) * c->M * c->K;
  if (c->op == OCB_QFWD) io->xq = p;
  else io->xb = (const uint16_t *)(const void *)p;
  io->y = (float *)(void *)(p + (xb + 63) / 64 * 64);
}

static float bf(uint16_t b) {
  const uint32_t u = (uint32_t)b << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* The header's int8 formula, each operation rounded to float. */
static float q8_formula(int32_t acc, float xs, float ws, float b) {
  volatile float s = xs * ws;
  volatile float p = (float)acc * s;
  volatile float y = p + b;
  return y;
}

int ocb_lp_check(const ocb_case *c, ocb_data *d, const ocb_io *io, char *err, size_t n) {
  const size_t K = c->K, N = c->N;
  /* Rows: all up to a budget of products, else both ends and a stride. */
  const size_t keep = (size_t)(5e7 / ((double)K * (double)N)) + 1;
  const size_t stride = c->M <= keep ? 1 : c->M / keep + 1;
  for (size_t m = 0; m < c->M; m++) {
    if (!(m < 32 || m + 32 >= c->M || m % stride == 0)) continue;
    for (size_t j = 0; j < N; j++) {
      const double b = io->bias ? io->bias[j] : 0.0;
      double want, tol;
      const double got = io->y[m * N + j];
      if (c->op == OCB_FWD_BF16) {
        double z = b, s = fabs(b);
        for (size_t k = 0; k < K; k++) {
          const double p = (double)bf(d->xb[m * K + k]) * bf(d->wb[k * N + j]);
          z += p, s += fabs(p);
        }
        want = z, tol = 1e-5 * s;
      } else {
        int64_t acc = 0;
        for (size_t k = 0; k < K; k++) acc += ((int64_t)d->xq[m * K + k] - io->zp) * d->wq[k * N + j];
        if (!c->im->anchor) { /* ours: the formula, bit for bit */
          const float f = q8_formula((int32_t)acc, io->x_scale, io->w_scale, (float)b);
          if (memcmp(&f, &io->y[m * N + j], 4) != 0) {
            snprintf(err, n, "wrong answer: y[%zu][%zu] = %.9g, the formula gives %.9g (bit for bit)", m, j, got, f);
            return 0;
          }
          continue;
        }
        want = (double)acc * io->x_scale * io->w_scale + b;
        tol = 1e-6 * (fabs(want) + fabs(b)) + io->y_quantum;
      }
      if (!(fabs(got - want) <= tol)) {
        snprintf(err, n, "wrong answer: y[%zu][%zu] = %.8g, exact %.8g (tolerance %.3g)", m, j, got, want, tol);
        return 0;
      }
    }
  }
  return 1;
}
