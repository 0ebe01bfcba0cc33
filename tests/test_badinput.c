/* Every bad input gets its status and leaves every output as it was. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "orthoconv.h"
#include "common/oracle.h"
#include "common/testutil.h"

enum { M = 4, K = 8, N = 3 };
static float x[M * K], w[K * N], bias[N], y[M * N], dx[M * K], dw[K * N], db[N], g[N * N];
static float grad[K * N], vel[K * N], mom[K * N], var[K * N], pen;
static float big[4096];
static unsigned char tr[N] = { 1, 0, 1 };

/* Outputs get a pattern before each call; afterwards the pattern must be intact. */
static float *outs[] = { y, dx, dw, db, g, grad, vel, mom, var, w, &pen, big };
static const size_t out_n[] = { M * N, M * K, K * N, N, N * N, K * N, K * N, K * N, K * N, K * N, 1, 4096 };
#define NOUT (sizeof outs / sizeof outs[0])

static void arm(void) {
  for (size_t o = 0; o < NOUT; o++)
    for (size_t i = 0; i < out_n[o]; i++) outs[o][i] = (float)(o * 1000 + i) + 0.5f;
}
static size_t disturbed(void) {
  size_t d = 0;
  for (size_t o = 0; o < NOUT; o++)
    for (size_t i = 0; i < out_n[o]; i++) d += outs[o][i] != (float)(o * 1000 + i) + 0.5f;
  return d;
}

#define EXPECT(call, want)                                                                  \
  do {                                                                                    \
    arm();                                                                                \
    const orthoconv_status s_ = (call);                                                   \
    CHECK(s_ == (want), "line %d: %s returned %d (%s), want %d", __LINE__, #call, (int)s_, \
          orthoconv_strerror(s_), (int)(want));                                           \
    CHECK(disturbed() == 0, "line %d: %s wrote an output", __LINE__, #call);             \
  } while (0)

#define EINV ORTHOCONV_EINVAL
#define EOVL ORTHOCONV_EOVERLAP

static void forward(void) {
  const orthoconv_activation A = ORTHOCONV_ACT_RELU;
  EXPECT(orthoconv_forward(M, K, N, NULL, K, w, bias, A, y, N), EINV);
  EXPECT(orthoconv_forward(M, K, N, x, K, NULL, bias, A, y, N), EINV);
  EXPECT(orthoconv_forward(M, K, N, x, K, w, bias, A, NULL, N), EINV);
  EXPECT(orthoconv_forward(M, 0, N, x, K, w, bias, A, y, N), EINV);
  EXPECT(orthoconv_forward(M, K, 0, x, K, w, bias, A, y, N), EINV);
  EXPECT(orthoconv_forward(M, K, N, x, K - 1, w, bias, A, y, N), EINV);
  EXPECT(orthoconv_forward(M, K, N, x, K, w, bias, A, y, N - 1), EINV);
  EXPECT(orthoconv_forward(M, K, N, x, K, w, bias, (orthoconv_activation)6, y, N), EINV);
  EXPECT(orthoconv_forward(M, K, N, x, K, w, bias, (orthoconv_activation)-1, y, N), EINV);
  EXPECT(orthoconv_forward(SIZE_MAX / 2, K, N, x, K, w, bias, A, y, N), EINV);      /* bytes overflow */
  EXPECT(orthoconv_forward(2, K, N, x, SIZE_MAX / 8, w, bias, A, y, N), EINV);      /* bytes overflow */
  EXPECT(orthoconv_forward(M, K, N, (const float *)(UINTPTR_MAX - 64), K, w, bias, A, y, N), EINV); /* wraps */
  EXPECT(orthoconv_forward(M, K, N, big, K, w, bias, A, big + 5, N), EOVL);        /* y inside x */
  EXPECT(orthoconv_forward(M, K, N, x, K, big, bias, A, big + K * N - 1, N), EOVL); /* y meets w's end */
  EXPECT(orthoconv_forward(M, K, N, x, K, w, big, A, big, N), EOVL);               /* y is bias */
  EXPECT(orthoconv_forward(2, K, N, big, 100, w, NULL, A, big + K - 1, N), EOVL);   /* y meets x's first row */
  EXPECT(orthoconv_forward(2, K, N, big, 100, w, NULL, A, big + 100 - N + 1, N), EOVL); /* y's row 1 meets x's */
}

static void layer(void) {
  orthoconv_layer *l = (orthoconv_layer *)&pen, *keep = l;
  EXPECT(orthoconv_layer_create(K, N, w, bias, ORTHOCONV_ACT_NONE, NULL), EINV);
  EXPECT(orthoconv_layer_create(K, N, NULL, bias, ORTHOCONV_ACT_NONE, &l), EINV);
  EXPECT(orthoconv_layer_create(0, N, w, bias, ORTHOCONV_ACT_NONE, &l), EINV);
  EXPECT(orthoconv_layer_create(K, N, w, bias, (orthoconv_activation)77, &l), EINV);
  EXPECT(orthoconv_layer_create(SIZE_MAX / 4, 8, w, bias, ORTHOCONV_ACT_NONE, &l), EINV);
  CHECK(l == keep, "layer_create wrote *out on failure");
  EXPECT(orthoconv_layer_forward(NULL, M, x, K, y, N), EINV);
  EXPECT(orthoconv_layer_set_weights(NULL, w, bias), EINV);
  orthoconv_layer *ok = NULL;
  float w0[K * N];
  memcpy(w0, w, sizeof w0);
  CHECK(orthoconv_layer_create(K, N, w0, NULL, ORTHOCONV_ACT_NONE, &ok) == ORTHOCONV_OK, "create");
  EXPECT(orthoconv_layer_forward(ok, M, x, K - 1, y, N), EINV);
  EXPECT(orthoconv_layer_forward(ok, M, big, K, big + 1, N), EOVL);
  EXPECT(orthoconv_layer_forward(ok, M, x, K, NULL, N), EINV);
  EXPECT(orthoconv_layer_set_weights(ok, NULL, NULL), EINV);
  orthoconv_layer_destroy(ok);
  orthoconv_layer_destroy(NULL);
}

static void backward(void) {
  EXPECT(orthoconv_backward_data(M, K, N, NULL, N, w, dx, K), EINV);
  EXPECT(orthoconv_backward_data(M, K, N, y, N, w, dx, K - 1), EINV);
  EXPECT(orthoconv_backward_data(M, K, N, y, N - 1, w, dx, K), EINV);
  EXPECT(orthoconv_backward_data(M, 0, N, y, N, w, dx, K), EINV);
  EXPECT(orthoconv_backward_data(M, K, N, big, N, w, big + 2, K), EOVL);
  EXPECT(orthoconv_backward_weights(M, K, N, x, K, y, N, tr, NULL, db), EINV);
  EXPECT(orthoconv_backward_weights(M, K, N, x, K - 1, y, N, tr, dw, db), EINV);
  EXPECT(orthoconv_backward_weights(M, K, 0, x, K, y, N, tr, dw, db), EINV);
  EXPECT(orthoconv_backward_weights(M, K, N, big, K, y, N, tr, big + 3, db), EOVL);
  EXPECT(orthoconv_backward_weights(M, K, N, x, K, y, N, tr, big, big + K * N - 1), EOVL); /* dw meets dbias */
  EXPECT(orthoconv_backward_weights(M, K, N, x, K, y, N, (unsigned char *)big + 6, big + 2, db), EOVL); /* mask meets dw */
  EXPECT(orthoconv_backward_weights(SIZE_MAX / 4, K, N, x, K, y, N, tr, dw, db), EINV);
}

static void regularizers(void) {
  EXPECT(orthoconv_gram(K, N, NULL, g), EINV);
  EXPECT(orthoconv_gram(K, N, w, NULL), EINV);
  EXPECT(orthoconv_gram(0, N, w, g), EINV);
  EXPECT(orthoconv_gram(K, N, big, big + 7), EOVL);
  EXPECT(orthoconv_regularize((orthoconv_regularizer)6, 1.0f, K, N, w, tr, &pen, grad), EINV);
  EXPECT(orthoconv_regularize(ORTHOCONV_REG_SO, NAN, K, N, w, tr, &pen, grad), EINV);
  EXPECT(orthoconv_regularize(ORTHOCONV_REG_SO, INFINITY, K, N, w, tr, &pen, grad), EINV);
  EXPECT(orthoconv_regularize(ORTHOCONV_REG_SO, 1.0f, K, N, NULL, tr, &pen, grad), EINV);
  EXPECT(orthoconv_regularize(ORTHOCONV_REG_SO, 1.0f, 0, N, w, tr, &pen, grad), EINV);
  EXPECT(orthoconv_regularize(ORTHOCONV_REG_SO, 1.0f, 1, ORTHOCONV_REG_MAX_N + 1, big, NULL, &pen, NULL), ORTHOCONV_EUNSUPPORTED);
  EXPECT(orthoconv_regularize(ORTHOCONV_REG_SO, 1.0f, K, N, big, tr, &pen, big + 1), EOVL);
  EXPECT(orthoconv_regularize(ORTHOCONV_REG_SO, 1.0f, K, N, w, tr, big + 2, big), EOVL);
  EXPECT(orthoconv_regularize(ORTHOCONV_REG_SO, 1.0f, K, N, big, tr, big + 2, NULL), EOVL);
}

static void optimizers(void) {
  const orthoconv_sgd sgd = { 0.1f, 0.9f, 0.0f, 0 };
  orthoconv_sgd bad = sgd;
  EXPECT(orthoconv_sgd_step(NULL, K, N, w, grad, vel, tr), EINV);
  EXPECT(orthoconv_sgd_step(&sgd, K, N, w, grad, NULL, tr), EINV); /* momentum needs velocity */
  EXPECT(orthoconv_sgd_step(&sgd, K, 0, w, grad, vel, tr), EINV);
  EXPECT(orthoconv_sgd_step(&sgd, K, N, w, NULL, vel, tr), EINV);
  EXPECT(orthoconv_sgd_step(&sgd, K, N, big, big + 1, vel, tr), EOVL);
  EXPECT(orthoconv_sgd_step(&sgd, K, N, big, grad, big + K * N - 1, tr), EOVL);
  bad.lr = NAN;
  EXPECT(orthoconv_sgd_step(&bad, K, N, w, grad, vel, tr), EINV);
  bad.lr = -1.0f;
  EXPECT(orthoconv_sgd_step(&bad, K, N, w, grad, vel, tr), EINV);
  bad = sgd, bad.momentum = INFINITY;
  EXPECT(orthoconv_sgd_step(&bad, K, N, w, grad, vel, tr), EINV);
  bad = sgd, bad.weight_decay = -0.1f;
  EXPECT(orthoconv_sgd_step(&bad, K, N, w, grad, vel, tr), EINV);
  bad = sgd, bad.momentum = 0.0f, bad.nesterov = 1;
  EXPECT(orthoconv_sgd_step(&bad, K, N, w, grad, vel, tr), EINV);

  const orthoconv_adamw aw = { 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f };
  orthoconv_adamw b2 = aw;
  EXPECT(orthoconv_adamw_step(&aw, 0, K, N, w, grad, mom, var, tr), EINV);
  EXPECT(orthoconv_adamw_step(NULL, 1, K, N, w, grad, mom, var, tr), EINV);
  EXPECT(orthoconv_adamw_step(&aw, 1, K, N, w, grad, NULL, var, tr), EINV);
  EXPECT(orthoconv_adamw_step(&aw, 1, K, N, w, grad, mom, NULL, tr), EINV);
  EXPECT(orthoconv_adamw_step(&aw, 1, K, N, w, grad, big, big + 4, tr), EOVL);
  EXPECT(orthoconv_adamw_step(&aw, 1, K, N, big, grad, mom, big + 9, tr), EOVL);
  b2.beta1 = 1.0f;
  EXPECT(orthoconv_adamw_step(&b2, 1, K, N, w, grad, mom, var, tr), EINV);
  b2 = aw, b2.beta2 = NAN;
  EXPECT(orthoconv_adamw_step(&b2, 1, K, N, w, grad, mom, var, tr), EINV);
  b2 = aw, b2.eps = -1.0f;
  EXPECT(orthoconv_adamw_step(&b2, 1, K, N, w, grad, mom, var, tr), EINV);
  b2 = aw, b2.lr = INFINITY;
  EXPECT(orthoconv_adamw_step(&b2, 1, K, N, w, grad, mom, var, tr), EINV);
  b2 = aw, b2.weight_decay = NAN;
  EXPECT(orthoconv_adamw_step(&b2, 1, K, N, w, grad, mom, var, tr), EINV);
}

/* Overlap is decided element by element, not by address spans: an output whose
 * rows sit between an input's rows (a channel slice of a concat buffer) is fine. */
static void concat_slices(void) {
  enum { C = K + N, R = 6 };
  static float cat[R * 2 * C + 64], keep[sizeof cat / sizeof cat[0]];
  for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++) cat[i] = test_randf();
  /* y = channels [K, K + N) of each pixel, x = channels [0, K): accepted, right */
  for (int strided_x = 0; strided_x < 2; strided_x++) {
    const size_t ldx = strided_x ? 2 * C : C; /* x every other pixel: rows of y between and inside its gaps */
    memcpy(keep, cat, sizeof cat);
    const orthoconv_status s = orthoconv_forward(R, K, N, cat, ldx, w, bias, ORTHOCONV_ACT_NONE, cat + K, C);
    CHECK(s == ORTHOCONV_OK, "concat slice (ldx %zu): forward returned %d", ldx, (int)s);
    double pre[R * N], bnd[R * N];
    oracle_forward_pre(R, K, N, keep, ldx, w, bias, pre, bnd);
    for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++) {
      const size_t m = i / C, c = i % C;
      if (m < R && c >= K && c < C)
        CHECK(within_bound(cat[i], pre[m * N + c - K], bnd[m * N + c - K]), "concat slice: y[%zu][%zu] wrong", m, c - K);
      else
        CHECK(memcmp(&cat[i], &keep[i], sizeof cat[i]) == 0, "concat slice (ldx %zu): float %zu outside y written", ldx, i);
    }
  }
  memcpy(keep, cat, sizeof cat);
  CHECK(orthoconv_backward_data(R, K, N, cat + K, C, w, cat, C) == ORTHOCONV_OK, "concat slice: backward_data rejected");
  for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++)
    if (!(i / C < R && i % C < K)) CHECK(memcmp(&cat[i], &keep[i], sizeof cat[i]) == 0, "backward_data wrote float %zu outside dx", i);
  /* More layouts with rows in the gaps of another buffer: accepted. */
  CHECK(orthoconv_forward(R, K, N, cat + N, C, w, bias, ORTHOCONV_ACT_NONE, cat, C) == ORTHOCONV_OK, "y first");
  CHECK(orthoconv_forward(1, K, N, cat, SIZE_MAX, w, bias, ORTHOCONV_ACT_NONE, cat + K, SIZE_MAX) == ORTHOCONV_OK,
        "one row, huge strides");
  CHECK(orthoconv_backward_data(R, K, N, cat, 2 * C, w, cat + 2 * C - K, 2 * C) == ORTHOCONV_OK, "dx between dy rows");
  CHECK(orthoconv_backward_weights(R, K, N, cat, C, big, N, tr, dw, cat + (R - 1) * C + K) == ORTHOCONV_OK,
        "dbias in a gap of x");
  /* Every true overlap is still refused. */
  EXPECT(orthoconv_forward(R, K, N, big, C, w, bias, ORTHOCONV_ACT_NONE, big + K - 1, C), EOVL); /* x's last channel */
  EXPECT(orthoconv_forward(R, K, N, big, C, w, bias, ORTHOCONV_ACT_NONE, big + K, C + 1), EOVL); /* drifts into x */
  EXPECT(orthoconv_forward(R, K, N, big, C, w, bias, ORTHOCONV_ACT_NONE, big + K, C - 1), EOVL); /* drifts back */
  EXPECT(orthoconv_forward(R, K, N, big + N, C, w, bias, ORTHOCONV_ACT_NONE, big + 1, C), EOVL); /* y's last meets x */
  EXPECT(orthoconv_forward(1, K, N, big, SIZE_MAX, w, bias, ORTHOCONV_ACT_NONE, big + K - 1, SIZE_MAX), EOVL);
  EXPECT(orthoconv_backward_data(R, K, N, big, C, w, big + N - 1, C), EOVL);
  EXPECT(orthoconv_backward_data(R, K, N, big, 2 * C, w, big + 2 * C - K + 1, 2 * C), EOVL);
  EXPECT(orthoconv_backward_weights(R, K, N, big, C, y, N, tr, dw, big + (R - 1) * C + K - 1), EOVL); /* dbias */
}

static void enums(void) {
  EXPECT(orthoconv_set_isa((orthoconv_isa)9), EINV);
  CHECK(orthoconv_strerror((orthoconv_status)42) != NULL, "strerror(42) is NULL");
  CHECK(strcmp(orthoconv_isa_name((orthoconv_isa)9), "unknown") == 0, "isa_name(9)");
  CHECK(orthoconv_selected_kernel((orthoconv_op)99, 1, 1, 1) == NULL, "selected_kernel(99)");
}

int main(void) {
  for (size_t i = 0; i < M * K; i++) x[i] = test_randf();
  for (size_t i = 0; i < N; i++) bias[i] = test_randf();
  forward();
  layer();
  backward();
  regularizers();
  optimizers();
  concat_slices();
  enums();
  return test_finish("badinput");
}
