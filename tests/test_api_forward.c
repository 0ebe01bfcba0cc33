/* Forward, layer and backward through the public API and dispatch (the variants
 * themselves are covered by test_kernels): argument routing, bias, every
 * activation, M == 0, layer weight updates, against the double oracle. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/oracle.h"
#include "common/testutil.h"

static void check_y(const char *what, size_t M, size_t K, size_t N, const tmat *x, const float *w,
                    const float *bias, orthoconv_activation act, const tmat *y) {
  double *pre = malloc(M * N * sizeof *pre), *bnd = malloc(M * N * sizeof *bnd);
  oracle_forward_pre(M, K, N, x->p, x->ld, w, bias, pre, bnd);
  for (size_t m = 0; m < M; m++) {
    double rb = 0;
    for (size_t n = 0; n < N; n++) rb = fmax(rb, bnd[m * N + n]);
    oracle_activation(pre + m * N, N, act);
    for (size_t n = 0; n < N; n++) {
      const double got = y->p[m * y->ld + n], want = pre[m * N + n];
      CHECK(fabs(got - want) <= oracle_post_tolerance(act, want, bnd[m * N + n], rb),
            "%s act %d M=%zu K=%zu N=%zu y[%zu][%zu] = %.9g want %.9g", what, (int)act, M, K, N, m, n, got, want);
    }
  }
  CHECK(tmat_canaries_broken(y) == 0, "%s: canaries around y broken", what);
  free(pre), free(bnd);
}

static void forward_case(size_t M, size_t K, size_t N, orthoconv_activation act, int with_bias) {
  tmat x = tmat_new(M, K, K + 1, 1), y = tmat_new(M, N, N + 2, 1);
  float *w = malloc(K * N * 4), *b = malloc(N * 4);
  tmat_fill_random(&x, 1.0f);
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
  for (size_t i = 0; i < N; i++) b[i] = test_randf();
  const float *bias = with_bias ? b : NULL;
  tmat_fill_pattern(&y);
  CHECK(orthoconv_forward(M, K, N, x.p, x.ld, w, bias, act, y.p, y.ld) == ORTHOCONV_OK, "forward status");
  check_y("orthoconv_forward", M, K, N, &x, w, bias, act, &y);

  orthoconv_layer *l = NULL;
  CHECK(orthoconv_layer_create(K, N, w, bias, act, &l) == ORTHOCONV_OK && l, "layer_create");
  tmat_fill_pattern(&y);
  CHECK(orthoconv_layer_forward(l, M, x.p, x.ld, y.p, y.ld) == ORTHOCONV_OK, "layer_forward status");
  check_y("orthoconv_layer_forward", M, K, N, &x, w, bias, act, &y);
  /* New weights in the same layer: the packed copy must follow. */
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
  CHECK(orthoconv_layer_set_weights(l, w, b) == ORTHOCONV_OK, "set_weights");
  tmat_fill_pattern(&y);
  CHECK(orthoconv_layer_forward(l, M, x.p, x.ld, y.p, y.ld) == ORTHOCONV_OK, "layer_forward 2");
  check_y("layer after set_weights", M, K, N, &x, w, b, act, &y);
  orthoconv_layer_destroy(l);
  free(w), free(b);
  tmat_free(&x), tmat_free(&y);
}

static void backward_case(size_t M, size_t K, size_t N) {
  tmat dy = tmat_new(M, N, N + 3, 1), x = tmat_new(M, K, K + 2, 1), dx = tmat_new(M, K, K + 1, 1);
  float *w = malloc(K * N * 4), *dw = malloc(K * N * 4), *db = malloc(N * 4);
  unsigned char *t = malloc(N);
  tmat_fill_random(&dy, 1.0f);
  tmat_fill_random(&x, 1.0f);
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
  for (size_t n = 0; n < N; n++) t[n] = n % 2 == 0;
  CHECK(orthoconv_backward_data(M, K, N, dy.p, dy.ld, w, dx.p, dx.ld) == ORTHOCONV_OK, "backward_data status");
  double *e = malloc(M * K * 8), *bd = malloc(M * K * 8);
  oracle_backward_data(M, K, N, dy.p, dy.ld, w, e, bd);
  for (size_t m = 0; m < M; m++)
    for (size_t k = 0; k < K; k++)
      CHECK(within_bound(dx.p[m * dx.ld + k], e[m * K + k], bd[m * K + k]), "backward_data M=%zu K=%zu N=%zu", M, K, N);
  CHECK(tmat_canaries_broken(&dx) == 0, "dx canaries");
  CHECK(orthoconv_backward_weights(M, K, N, x.p, x.ld, dy.p, dy.ld, t, dw, db) == ORTHOCONV_OK, "backward_weights status");
  double *ew = malloc(K * N * 8), *bw = malloc(K * N * 8), *eb = malloc(N * 8), *bb = malloc(N * 8);
  oracle_backward_weights(M, K, N, x.p, x.ld, dy.p, dy.ld, ew, bw, eb, bb);
  for (size_t i = 0; i < K * N; i++)
    CHECK(t[i % N] ? within_bound(dw[i], ew[i], bw[i]) : dw[i] == 0.0f, "backward_weights M=%zu K=%zu N=%zu dw[%zu]", M, K, N, i);
  for (size_t n = 0; n < N; n++) CHECK(t[n] ? within_bound(db[n], eb[n], bb[n]) : db[n] == 0.0f, "dbias[%zu]", n);
  free(w), free(dw), free(db), free(t), free(e), free(bd), free(ew), free(bw), free(eb), free(bb);
  tmat_free(&dy), tmat_free(&x), tmat_free(&dx);
}

/* M == 0: nothing to compute, and the outputs it is given stay as they were
 * (NULL inputs are fine, the outputs are real buffers, so a write would show). */
static void m_zero_is_a_no_op(void) {
  float w[4] = { 1, 2, 3, 4 }, y[4] = { 7, 7, 7, 7 }, dx[4] = { 8, 8, 8, 8 };
  CHECK(orthoconv_forward(0, 2, 2, NULL, 2, w, NULL, ORTHOCONV_ACT_SOFTMAX, y, 2) == ORTHOCONV_OK, "M=0 forward");
  orthoconv_layer *l = NULL;
  CHECK(orthoconv_layer_create(2, 2, w, NULL, ORTHOCONV_ACT_RELU, &l) == ORTHOCONV_OK, "layer_create");
  CHECK(orthoconv_layer_forward(l, 0, NULL, 2, y, 2) == ORTHOCONV_OK, "M=0 layer_forward");
  orthoconv_layer_destroy(l);
  CHECK(orthoconv_backward_data(0, 2, 2, NULL, 2, w, dx, 2) == ORTHOCONV_OK, "M=0 backward_data");
  float dw[4] = { 9, 9, 9, 9 }, db[2] = { 9, 9 };
  CHECK(orthoconv_backward_weights(0, 2, 2, NULL, 2, NULL, 2, NULL, dw, db) == ORTHOCONV_OK, "M=0 backward_weights");
  CHECK(dw[0] == 0 && dw[1] == 0 && dw[2] == 0 && dw[3] == 0 && db[0] == 0 && db[1] == 0, "M=0 backward_weights writes zeros");
  for (int i = 0; i < 4; i++) CHECK(y[i] == 7.0f && dx[i] == 8.0f, "M=0 wrote y or dx [%d]", i);
}

int main(void) {
  static const size_t shapes[][3] = { { 1, 1024, 10 }, { 49, 1024, 10 }, { 3137, 1024, 10 }, { 7, 17, 33 }, { 2, 3, 1 }, { 50, 1025, 16 }, { 5, 100, 7 } };
  /* Under qemu the large shape runs with one activation; the native run has them all. */
  const int emulated = test_emulated();
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int large = shapes[s][0] * shapes[s][1] * shapes[s][2] > TEST_SMALL_MACS;
    for (int act = 0; act <= ORTHOCONV_ACT_SOFTMAX; act++)
      if (!(emulated && large && act != ORTHOCONV_ACT_NONE))
        forward_case(shapes[s][0], shapes[s][1], shapes[s][2], (orthoconv_activation)act, act % 2);
    backward_case(shapes[s][0], shapes[s][1], shapes[s][2]);
  }
  m_zero_is_a_no_op();
  return test_finish("api_forward");
}
