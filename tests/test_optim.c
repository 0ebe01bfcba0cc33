/* 100 SGD and AdamW steps through the public API with weight decay and momentum:
 * frozen filters (and their velocity, m, v) bit-identical to where they started,
 * trainable ones following the same steps done in double. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "orthoconv.h"
#include "common/testutil.h"

enum { K = 1024, N = 10, STEPS = 100 };
static const unsigned char trainable[N] = { 1, 0, 1, 1, 0, 0, 1, 0, 1, 1 };

static void run_sgd(int nesterov) {
  const orthoconv_sgd opt = { 0.05f, 0.9f, 0.01f, nesterov };
  float *w = malloc(K * N * 4), *w0 = malloc(K * N * 4), *vel = calloc(K * N, 4), *g = malloc(K * N * 4);
  double *wd = malloc(K * N * 8), *vd = calloc(K * N, 8);
  for (size_t i = 0; i < K * N; i++) wd[i] = w0[i] = w[i] = test_randf();
  for (int s = 0; s < STEPS; s++) {
    for (size_t i = 0; i < K * N; i++) g[i] = test_randf();
    CHECK(orthoconv_sgd_step(&opt, K, N, w, g, vel, trainable) == ORTHOCONV_OK, "sgd status");
    for (size_t i = 0; i < K * N; i++) {
      if (!trainable[i % N]) continue;
      double gp = g[i] + (double)opt.weight_decay * wd[i];
      vd[i] = opt.momentum * vd[i] + gp;
      gp = nesterov ? gp + opt.momentum * vd[i] : vd[i];
      wd[i] -= (double)opt.lr * gp;
    }
  }
  size_t frozen_moved = 0, off = 0;
  for (size_t i = 0; i < K * N; i++) {
    if (!trainable[i % N]) {
      frozen_moved += memcmp(&w[i], &w0[i], 4) != 0 || vel[i] != 0.0f || signbit(vel[i]);
      continue;
    }
    off += fabs(w[i] - wd[i]) > 1e-4 * (1 + fabs(wd[i]));
  }
  CHECK(frozen_moved == 0, "sgd nesterov=%d: %zu frozen weights or velocities changed", nesterov, frozen_moved);
  CHECK(off == 0, "sgd nesterov=%d: %zu trainable weights off the double trajectory", nesterov, off);
  free(w), free(w0), free(vel), free(g), free(wd), free(vd);
}

static void run_adamw(void) {
  const orthoconv_adamw opt = { 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f };
  float *w = malloc(K * N * 4), *w0 = malloc(K * N * 4), *m = calloc(K * N, 4), *v = calloc(K * N, 4), *g = malloc(K * N * 4);
  double *wd = malloc(K * N * 8), *md = calloc(K * N, 8), *vd = calloc(K * N, 8);
  for (size_t i = 0; i < K * N; i++) wd[i] = w0[i] = w[i] = test_randf();
  for (size_t t = 1; t <= STEPS; t++) {
    for (size_t i = 0; i < K * N; i++) g[i] = test_randf();
    CHECK(orthoconv_adamw_step(&opt, t, K, N, w, g, m, v, trainable) == ORTHOCONV_OK, "adamw status");
    const double bc1 = 1 - pow(opt.beta1, (double)t), bc2 = 1 - pow(opt.beta2, (double)t);
    for (size_t i = 0; i < K * N; i++) {
      if (!trainable[i % N]) continue;
      wd[i] -= (double)opt.lr * opt.weight_decay * wd[i];
      md[i] = opt.beta1 * md[i] + (1 - (double)opt.beta1) * g[i];
      vd[i] = opt.beta2 * vd[i] + (1 - (double)opt.beta2) * (double)g[i] * g[i];
      wd[i] -= opt.lr * (md[i] / bc1) / (sqrt(vd[i] / bc2) + opt.eps);
    }
  }
  size_t frozen_moved = 0, off = 0;
  for (size_t i = 0; i < K * N; i++) {
    if (!trainable[i % N]) {
      frozen_moved += memcmp(&w[i], &w0[i], 4) != 0 || m[i] != 0.0f || v[i] != 0.0f || signbit(m[i]);
      continue;
    }
    off += fabs(w[i] - wd[i]) > 1e-4 * (1 + fabs(wd[i]));
  }
  CHECK(frozen_moved == 0, "adamw: %zu frozen weights or moments changed", frozen_moved);
  CHECK(off == 0, "adamw: %zu trainable weights off the double trajectory", off);
  free(w), free(w0), free(m), free(v), free(g), free(wd), free(md), free(vd);
}

/* momentum 0: velocity is not used and need not be valid, so the call may not even
 * form velocity + i from it (a wild pointer near the top of the address space
 * wraps: UndefinedBehaviorSanitizer's pointer-overflow check catches it). */
static void sgd_without_momentum_ignores_velocity(void) {
  const orthoconv_sgd opt = { 0.05f, 0.0f, 0.01f, 0 };
  float *wild = (float *)(UINTPTR_MAX - 63);
  for (int isa = 0; isa < 4; isa++) {
    if (orthoconv_set_isa((orthoconv_isa)isa) != ORTHOCONV_OK) continue;
    float *w = malloc(K * N * 4), *g = malloc(K * N * 4);
    double *want = malloc(K * N * 8);
    for (size_t i = 0; i < K * N; i++) {
      w[i] = test_randf();
      g[i] = test_randf();
      want[i] = w[i] - (double)opt.lr * (g[i] + (double)opt.weight_decay * w[i]);
    }
    for (int masked = 0; masked < 2; masked++) {
      float *w1 = malloc(K * N * 4);
      memcpy(w1, w, K * N * 4);
      CHECK(orthoconv_sgd_step(&opt, K, N, w1, g, wild, masked ? trainable : NULL) == ORTHOCONV_OK,
            "%s: sgd momentum 0 with an unused velocity pointer", orthoconv_isa_name((orthoconv_isa)isa));
      size_t off = 0;
      for (size_t i = 0; i < K * N; i++)
        off += masked && !trainable[i % N] ? memcmp(&w1[i], &w[i], 4) != 0
                                           : !within_bound(w1[i], want[i], fabs(w[i]) + 2 * (fabs(g[i]) + fabs(w[i])));
      CHECK(off == 0, "%s: sgd momentum 0 masked=%d: %zu weights wrong", orthoconv_isa_name((orthoconv_isa)isa), masked, off);
      free(w1);
    }
    free(w), free(g), free(want);
  }
  orthoconv_set_isa(orthoconv_cpu_isa());
}

int main(void) {
  sgd_without_momentum_ignores_velocity();
  run_sgd(0);
  run_sgd(1);
  run_adamw();
  return test_finish("optim");
}
