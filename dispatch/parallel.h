/* Running a call's tasks: on the caller's pool, or one after another. And the cost
 * model that fixes how many tasks a call has (from its shape, never from the pool). */
#ifndef ORTHOCONV_PARALLEL_H
#define ORTHOCONV_PARALLEL_H
#include <stddef.h>
#include "orthoconv.h"

/* NULL, or a pool with threads >= 1 and a parallel_for. */
int orthoconv_priv_pool_valid(const orthoconv_threadpool *pool);
/* task(arg, i) for i in [0, count): in order on this thread when the pool is NULL
 * or count is 1, else through the pool. */
void orthoconv_priv_parallel(const orthoconv_threadpool *pool, size_t count, orthoconv_task_fn *task, void *arg);
/* How many tasks a call of this many flops has, at most units (the pieces it can be
 * cut into): about one per ORTHOCONV_TASK_FLOPS of work (or the grain a profile
 * records, tuned by orthoconv-tune --threads T), so that a task outlasts waking a
 * pool thread (~5-20 us) by far and small calls stay whole. */
#define ORTHOCONV_TASK_FLOPS 4e6
/* Without a profile's grain, a call of two such halves or more is cut in two at
 * least: the forward at 49 x 1024 x 10 (1 MFLOP) ran 9.5 us as one task and 5.7 us
 * as two on 2 threads of a Zen 4 pthreadpool (xnnpack: 8.4); the grain of 500
 * kflops for every call instead made backward data at M = 3136 1.06-1.29x slower. */
#define ORTHOCONV_TASK_FLOPS_MIN 5e5
size_t orthoconv_priv_task_count(double flops, size_t units);
/* The least common multiple of a, b >= 1: a size that holds whole tiles of both
 * (W padded for several kernels, K cut for several chunk widths). */
size_t orthoconv_priv_lcm(size_t a, size_t b);
#endif
