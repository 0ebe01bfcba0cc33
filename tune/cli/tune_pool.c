#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "tune_pool.h"

struct tp_pool {
  pthread_mutex_t lock;
  pthread_cond_t go, done;
  pthread_t *workers;
  size_t threads, generation, busy;
  int quit;
  orthoconv_task_fn *task;
  void *arg;
  size_t count;
  atomic_size_t next;
};

static void drain(tp_pool *p) {
  for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->count;) p->task(p->arg, i);
}

static void *worker(void *v) {
  tp_pool *p = v;
  size_t seen = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->quit && p->generation == seen) pthread_cond_wait(&p->go, &p->lock);
    if (p->quit) break;
    seen = p->generation;
    pthread_mutex_unlock(&p->lock);
    drain(p);
    pthread_mutex_lock(&p->lock);
    if (--p->busy == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

static void parallel_for(void *ctx, size_t count, orthoconv_task_fn *task, void *arg) {
  tp_pool *p = ctx;
  pthread_mutex_lock(&p->lock);
  p->task = task, p->arg = arg, p->count = count;
  atomic_store(&p->next, 0);
  p->busy = p->threads - 1;
  p->generation++;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->lock);
  drain(p);
  pthread_mutex_lock(&p->lock);
  while (p->busy) pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
}

tp_pool *tp_create(size_t threads) {
  tp_pool *p = calloc(1, sizeof *p);
  if (!p || threads < 1) return free(p), NULL;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  p->threads = threads;
  p->workers = calloc(threads, sizeof *p->workers);
  for (size_t i = 1; p->workers && i < threads; i++)
    if (pthread_create(&p->workers[i], NULL, worker, p) != 0) {
      p->threads = i; /* run with the ones that started */
      break;
    }
  return p;
}

void tp_destroy(tp_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->quit = 1;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->lock);
  for (size_t i = 1; i < p->threads; i++) pthread_join(p->workers[i], NULL);
  free(p->workers);
  free(p);
}

orthoconv_threadpool tp_view(tp_pool *p) {
  orthoconv_threadpool v = { p, p->threads, parallel_for };
  return v;
}
