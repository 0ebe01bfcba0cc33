/* Inputs and outputs of the cases: one warm set per shape, shared by every
 * contender of that shape, and a cold pool larger than the last-level cache. */
#ifndef OCB_DATA_H
#define OCB_DATA_H
#include <stddef.h>
#include <stdint.h>
#include "impl.h"

/* Zeroed, 64-byte aligned (2 MiB and huge pages from 2 MiB on: data.c); aborts
 * when memory is short (a bench cannot go on). */
void *ocb_alloc_bytes(size_t bytes);
float *ocb_alloc(size_t nfloats);
/* Uniform in [-1, 1), the same sequence for the same seed. */
void ocb_fill(float *p, size_t n, unsigned seed);

typedef struct ocb_data {
  size_t M, K, N;
  float *x, *w, *bias, *dy, *a;           /* inputs */
  float *y, *dx, *dw, *dbias, *g, *grad;  /* outputs */
  float *wmut, *m, *v, *vel;              /* optimizer state */
  double *dw_exact, *dw_bound;            /* oracle of dW, computed on first use */
  /* x and w in bf16 and in 8 bits, made on first use by a bf16 or int8 case (lowprec.c) */
  uint16_t *xb, *wb;
  uint8_t *xq;
  int8_t *wq;
} ocb_data;

/* The warm set of a shape, created on first use and kept. */
ocb_data *ocb_data_get(size_t M, size_t K, size_t N);

/* The io of a warm call of case c. */
ocb_io ocb_io_warm(const ocb_case *c, ocb_data *d);

/* Cold runs rotate the large buffers (x/y, dy/dx, x/dy) of a case through
 * OCB_COLD_MB (default 256) MiB, or two copies when one is already larger. */
typedef struct ocb_cold { size_t slots, slot_floats; float *base; } ocb_cold;
ocb_cold ocb_cold_for(const ocb_case *c);
/* Points the rotating fields of io at slot i. */
void ocb_cold_io(const ocb_cold *cold, const ocb_case *c, size_t i, ocb_io *io);
#endif
