#include "thread_pool.h"
#include <pthread.h>
#include <stdatomic.h>

typedef struct run { orthoconv_task_fn *task; void *arg; size_t count; atomic_size_t next; } run;

static void *worker(void *p) {
  run *r = p;
  for (size_t i; (i = atomic_fetch_add(&r->next, 1)) < r->count;) r->task(r->arg, i);
  return NULL;
}

void test_thread_parallel_for(void *context, size_t count, orthoconv_task_fn *task, void *arg) {
  const test_pool_threads *p = context;
  run r = { task, arg, count, 0 };
  pthread_t t[16];
  const size_t n = p->threads < 16 ? p->threads : 16;
  for (size_t i = 1; i < n; i++) pthread_create(&t[i], NULL, worker, &r);
  worker(&r);
  for (size_t i = 1; i < n; i++) pthread_join(t[i], NULL);
}
