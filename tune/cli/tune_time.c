#define _GNU_SOURCE /* sched_setaffinity, sched_getcpu */
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include "tune_time.h"

#define MAX_RUNS 64

double tt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double run(tt_fn *fn, void *ctx, size_t reps) {
  const double t0 = tt_now();
  for (size_t i = 0; i < reps; i++) fn(ctx);
  return tt_now() - t0;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static tt_result summarize(double *s, int n, size_t reps) {
  qsort(s, (size_t)n, sizeof *s, cmp);
  const double med = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  /* Quartiles, not the extremes: one sample hit by another process's burst
   * should not make every difference look like noise. */
  const double iqr = s[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1] - s[n / 4];
  tt_result r = { med, med > 0 ? iqr / med : 0, reps, n };
  return r;
}

tt_result tt_measure(tt_fn *fn, void *ctx, const tt_opts *o, double give_up) {
  double samples[MAX_RUNS];
  const int runs = o->runs < 1 ? 1 : o->runs > MAX_RUNS ? MAX_RUNS : o->runs;
  size_t reps = 1;
  const double start = tt_now();
  double t = run(fn, ctx, reps); /* also the warm-up: first touch of outputs, code in cache */
  int n = 0;
  if (t >= o->min_run) {
    samples[n++] = t; /* a call this slow is its own run; repeating the warm-up costs too much */
  } else {
    while ((t = run(fn, ctx, reps)) < o->min_run) {
      const double grow = t > 0 ? 1.25 * o->min_run / t : 16;
      reps = (size_t)((double)reps * (grow < 2 ? 2 : grow > 16 ? 16 : grow));
    }
    samples[n++] = t / (double)reps;
  }
  if (give_up > 0 && samples[0] > give_up) return summarize(samples, n, reps);
  while (n < runs && (o->max_total <= 0 || tt_now() - start < o->max_total))
    samples[n++] = run(fn, ctx, reps) / (double)reps;
  return summarize(samples, n, reps);
}

void tt_interleave(tt_fn *fa, void *ca, tt_fn *fb, void *cb, size_t reps, int runs, tt_result *ra, tt_result *rb) {
  double sa[MAX_RUNS], sb[MAX_RUNS];
  if (runs > MAX_RUNS) runs = MAX_RUNS;
  if (reps == 0) reps = 1;
  for (int i = 0; i < runs; i++) {
    sa[i] = run(fa, ca, reps) / (double)reps;
    sb[i] = run(fb, cb, reps) / (double)reps;
  }
  *ra = summarize(sa, runs, reps);
  *rb = summarize(sb, runs, reps);
}

int tt_pin(void) {
  const int cpu = sched_getcpu();
  if (cpu < 0) return -1;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}
