/* orthoconv's _mt calls on OpenMP threads (compile the caller with -fopenmp).
 * Header-only: liborthoconv itself depends on no pool.
 *
 *   orthoconv_threadpool pool = orthoconv_threadpool_openmp();
 *   orthoconv_forward_mt(&pool, M, K, N, x, ldx, w, bias, act, y, ldy);
 */
#ifndef ORTHOCONV_OPENMP_H
#define ORTHOCONV_OPENMP_H
#include <omp.h>
#include "orthoconv.h"

static inline void orthoconv_openmp_parallel_for(void *context, size_t count, orthoconv_task_fn *task, void *arg) {
  (void)context;
  const long n = (long)count;
#pragma omp parallel for schedule(dynamic, 1)
  for (long i = 0; i < n; i++) task(arg, (size_t)i);
}

/* As many threads as omp_get_max_threads() says now. */
static inline orthoconv_threadpool orthoconv_threadpool_openmp(void) {
  orthoconv_threadpool p;
  p.context = NULL;
  p.threads = (size_t)omp_get_max_threads();
  p.parallel_for = orthoconv_openmp_parallel_for;
  return p;
}
#endif
