/* A pool of the tests' own: real threads started per call (so tasks of one call
 * really run at the same time), each taking the next task index. */
#ifndef ORTHOCONV_TEST_THREAD_POOL_H
#define ORTHOCONV_TEST_THREAD_POOL_H
#include "orthoconv.h"

/* context: a test_pool_threads; at most 16 threads run. */
typedef struct test_pool_threads { size_t threads; } test_pool_threads;
void test_thread_parallel_for(void *context, size_t count, orthoconv_task_fn *task, void *arg);
#endif
