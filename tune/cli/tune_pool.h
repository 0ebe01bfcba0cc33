/* A small persistent thread pool for orthoconv-tune --threads: T - 1 workers that
 * wait on a condition variable, plus the calling thread. The tuner's own, so that
 * the library and the tool depend on no pool library. */
#ifndef ORTHOCONV_TUNE_POOL_H
#define ORTHOCONV_TUNE_POOL_H
#include "orthoconv.h"

typedef struct tp_pool tp_pool;
/* NULL if threads cannot be started. */
tp_pool *tp_create(size_t threads);
void tp_destroy(tp_pool *p);
/* The orthoconv view of the pool. */
orthoconv_threadpool tp_view(tp_pool *p);
#endif
