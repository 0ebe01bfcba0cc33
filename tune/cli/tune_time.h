/* Timing as FFTW does it: grow the repetitions until one run lasts long enough
 * for the clock, then take the median of several runs. */
#ifndef ORTHOCONV_TUNE_TIME_H
#define ORTHOCONV_TUNE_TIME_H
#include <stddef.h>

typedef struct tt_opts {
  double min_run;  /* seconds one timed run must last at least */
  int runs;        /* samples, median taken */
  double max_total; /* stop sampling once this many seconds are spent (at least one sample) */
} tt_opts;

typedef struct tt_result {
  double sec;      /* median seconds per call */
  double spread;   /* interquartile range / median of the samples: how noisy this was */
  size_t reps;     /* calls per run */
  int runs;        /* samples taken (fewer when give_up cut it short) */
} tt_result;

typedef void tt_fn(void *ctx);
double tt_now(void);
/* Times fn(ctx). When the first sample is already slower than give_up seconds per
 * call (0 = never), stops there: the candidate cannot win. */
tt_result tt_measure(tt_fn *fn, void *ctx, const tt_opts *o, double give_up);
/* Runs the given number of calls per run, alternately for two functions, so that
 * drifting load hits both alike; results per function. */
void tt_interleave(tt_fn *fa, void *ca, tt_fn *fb, void *cb, size_t reps, int runs, tt_result *ra, tt_result *rb);
/* Pins the process to the CPU it runs on now; returns it, or -1. */
int tt_pin(void);
#endif
