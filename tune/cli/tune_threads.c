#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parallel.h"
#include "select.h"
#include "tune/profile.h"
#include "tune_pool.h"
#include "tune_threads.h"

typedef struct tth_ctx {
  orthoconv_threadpool pool;
  orthoconv_layer *layer;
  size_t M, K, N;
  float *x, *w, *y, *dy, *dx, *dw;
} tth_ctx;

static void three_calls(void *v) {
  tth_ctx *c = v;
  (void)orthoconv_layer_forward_mt(&c->pool, c->layer, c->M, c->x, c->K, c->y, c->N);
  (void)orthoconv_backward_data_mt(&c->pool, c->M, c->K, c->N, c->dy, c->N, c->w, c->dx, c->K);
  (void)orthoconv_backward_weights_mt(&c->pool, c->M, c->K, c->N, c->x, c->K, c->dy, c->N, NULL, c->dw, NULL, NULL, 0);
}

/* The table in force with another grain (each distinct one is kept by the library). */
static void use_grain(const orthoconv_priv_profile *base, uint32_t kflops, uint32_t threads) {
  static orthoconv_priv_profile t;
  if (base) t = *base;
  else memset(&t, 0, sizeof t);
  t.task_kflops = kflops;
  t.task_threads = kflops ? threads : 0;
  (void)orthoconv_priv_table_install(&t);
}

static float *filled(size_t n) {
  float *p = malloc(n * sizeof *p);
  if (!p) {
    fprintf(stderr, "orthoconv-tune: out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < n; i++) p[i] = (float)((i * 7919) % 2001) / 1000.0f - 1.0f;
  return p;
}

int tth_tune(size_t threads, size_t K, size_t N, const tt_opts *timing, double min_noise, tth_result *r) {
  memset(r, 0, sizeof *r);
  tp_pool *tp = tp_create(threads);
  if (!tp) return 0;
  tth_ctx c = { tp_view(tp), NULL, 3136, K, N, NULL, NULL, NULL, NULL, NULL, NULL };
  c.x = filled(c.M * K), c.w = filled(K * N), c.y = filled(c.M * N), c.dy = filled(c.M * N);
  c.dx = filled(c.M * K), c.dw = filled(K * N);
  if (orthoconv_layer_create(K, N, c.w, NULL, ORTHOCONV_ACT_NONE, &c.layer) != ORTHOCONV_OK) return 0;
  const orthoconv_priv_profile *base = orthoconv_priv_table_current();
  static const uint32_t grains[] = { 500, 1000, 2000, 8000, 16000, 32000 };
  use_grain(base, 0, 0);
  const double def = tt_measure(three_calls, &c, timing, 0).sec;
  double best = def;
  uint32_t best_g = 0;
  for (size_t i = 0; i < sizeof grains / sizeof grains[0]; i++) {
    use_grain(base, grains[i], (uint32_t)threads);
    const double s = tt_measure(three_calls, &c, timing, 0).sec;
    if (s < best) best = s, best_g = grains[i];
  }
  r->sec_default = def;
  r->sec_chosen = def;
  if (best_g) {
    /* Side by side with the default before believing it. */
    tt_result ra, rb;
    tth_ctx c2 = c;
    use_grain(base, best_g, (uint32_t)threads);
    tt_interleave(three_calls, &c, three_calls, &c2, 1, 5, &ra, &rb); /* warm both */
    tt_result rd, rg;
    use_grain(base, 0, 0);
    rd = tt_measure(three_calls, &c, timing, 0);
    use_grain(base, best_g, (uint32_t)threads);
    rg = tt_measure(three_calls, &c, timing, 0);
    const double noise = rd.spread > min_noise ? rd.spread : min_noise;
    if (rg.sec < rd.sec * (1.0 - noise)) {
      r->kflops = best_g;
      r->sec_default = rd.sec;
      r->sec_chosen = rg.sec;
      snprintf(r->why, sizeof r->why, "%u kflops per task: %.1f%% faster than the built-in %.0f, above noise %.0f%%",
               best_g, 100.0 * (rd.sec / rg.sec - 1.0), ORTHOCONV_TASK_FLOPS / 1e3, 100.0 * noise);
    } else {
      snprintf(r->why, sizeof r->why, "built-in grain kept: the best, %u kflops per task, is within noise %.0f%%", best_g,
               100.0 * noise);
    }
  } else {
    snprintf(r->why, sizeof r->why, "built-in grain (%.0f kflops per task) was the fastest", ORTHOCONV_TASK_FLOPS / 1e3);
  }
  use_grain(base, 0, 0);
  if (base) (void)orthoconv_priv_table_install(base);
  else (void)orthoconv_priv_table_install(NULL);
  orthoconv_layer_destroy(c.layer);
  free(c.x), free(c.w), free(c.y), free(c.dy), free(c.dx), free(c.dw);
  tp_destroy(tp);
  return 1;
}
