/* orthoconv-tune --threads T: the _mt calls' task grain (flops per task) on a pool of
 * T threads, measured on the layer forward, backward data and backward weights of
 * one M = 3136 layer. The grain never changes results, only how work is cut. */
#ifndef ORTHOCONV_TUNE_THREADS_H
#define ORTHOCONV_TUNE_THREADS_H
#include <stddef.h>
#include <stdint.h>
#include "tune_time.h"

typedef struct tth_result {
  uint32_t kflops;            /* chosen grain; 0 = keep the built-in cost model */
  double sec_default, sec_chosen; /* seconds for the three calls */
  char why[256];
} tth_result;

/* Runs under the table in force (kernels chosen), T >= 2. 0 if no pool could start. */
int tth_tune(size_t threads, size_t K, size_t N, const tt_opts *timing, double min_noise, tth_result *r);
#endif
