/* orthoconv's _mt calls on a pthreadpool (the pool XNNPACK uses; Debian's
 * libpthreadpool-dev). Header-only: liborthoconv itself depends on no pool.
 *
 *   pthreadpool_t tp = pthreadpool_create(0);
 *   orthoconv_threadpool pool = orthoconv_threadpool_from_pthreadpool(tp);
 *   orthoconv_layer_forward_mt(&pool, layer, M, x, ldx, y, ldy);
 */
#ifndef ORTHOCONV_PTHREADPOOL_H
#define ORTHOCONV_PTHREADPOOL_H
#include <pthreadpool.h>
#include "orthoconv.h"

static inline void orthoconv_pthreadpool_parallel_for(void *context, size_t count, orthoconv_task_fn *task,
    void *arg) {
  /* orthoconv_task_fn and pthreadpool_task_1d_t are the same function type. */
  pthreadpool_parallelize_1d((pthreadpool_t)context, task, arg, count, 0);
}

/* A view of tp (NULL: pthreadpool's own caller-thread mode); tp must outlive it. */
static inline orthoconv_threadpool orthoconv_threadpool_from_pthreadpool(pthreadpool_t tp) {
  orthoconv_threadpool p;
  p.context = tp;
  p.threads = tp ? pthreadpool_get_threads_count(tp) : 1;
  p.parallel_for = orthoconv_pthreadpool_parallel_for;
  return p;
}
#endif
