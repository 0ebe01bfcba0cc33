#include "parallel.h"
#include "select.h"

int orthoconv_priv_pool_valid(const orthoconv_threadpool *pool) {
  return !pool || (pool->threads >= 1 && pool->parallel_for);
}

void orthoconv_priv_parallel(const orthoconv_threadpool *pool, size_t count, orthoconv_task_fn *task, void *arg) {
  if (!pool || count <= 1 || pool->threads == 1) {
    for (size_t i = 0; i < count; i++) task(arg, i);
    return;
  }
  pool->parallel_for(pool->context, count, task, arg);
}

size_t orthoconv_priv_task_count(double flops, size_t units) {
  const orthoconv_priv_profile *p = orthoconv_priv_table_current();
  const int tuned = p && p->task_kflops;
  const double t = flops / (tuned ? 1e3 * (double)p->task_kflops : ORTHOCONV_TASK_FLOPS);
  size_t n = t < 1.0 ? 1 : t > 1e9 ? (size_t)1e9 : (size_t)t;
  if (n < 2 && !tuned && flops >= 2.0 * ORTHOCONV_TASK_FLOPS_MIN) n = 2;
  if (n > units) n = units;
  return n ? n : 1;
}

size_t orthoconv_priv_lcm(size_t a, size_t b) {
  size_t x = a, y = b;
  while (y) {
    const size_t r = x % y;
    x = y;
    y = r;
  }
  return a / x * b;
}
