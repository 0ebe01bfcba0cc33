/* Bad input to the bf16 and int8 calls: the status the header promises, and no
 * output touched (nor *out set). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "orthoconv.h"
#include "common/testutil.h"

enum { M = 4, K = 8, N = 3 };
static float xf[M * K], w[K * N], bias[N], ws[N], y[M * N], big[4096];
static uint16_t xb[M * K], hb[4096];
static uint8_t q[M * K], qb[4096];
static int8_t wq[K * N];

static float *outs[] = { y, big };
static const size_t out_n[] = { M * N, 4096 };

static void arm(void) {
  for (size_t o = 0; o < 2; o++)
    for (size_t i = 0; i < out_n[o]; i++) outs[o][i] = (float)(o * 1000 + i) + 0.5f;
  for (size_t i = 0; i < 4096; i++) hb[i] = (uint16_t)(i * 7 + 1), qb[i] = (uint8_t)(i * 3 + 1);
}
static size_t disturbed(void) {
  size_t d = 0;
  for (size_t o = 0; o < 2; o++)
    for (size_t i = 0; i < out_n[o]; i++) d += outs[o][i] != (float)(o * 1000 + i) + 0.5f;
  for (size_t i = 0; i < 4096; i++) d += hb[i] != (uint16_t)(i * 7 + 1) || qb[i] != (uint8_t)(i * 3 + 1);
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
#define EUNS ORTHOCONV_EUNSUPPORTED

static void conversions(void) {
  EXPECT(orthoconv_f32_to_bf16(4, NULL, hb), EINV);
  EXPECT(orthoconv_f32_to_bf16(4, xf, NULL), EINV);
  EXPECT(orthoconv_f32_to_bf16(8, big, (uint16_t *)(void *)(big + 2)), EOVL);
  EXPECT(orthoconv_f32_to_bf16(SIZE_MAX / 2, xf, hb), EINV);
  const float nanx[3] = { 1.0f, NAN, 2.0f };
  EXPECT(orthoconv_quantize_u8(3, nanx, 0.1f, 0, qb), EINV); /* NaN has no u8 */
  EXPECT(orthoconv_quantize_u8(3, xf, 0.0f, 0, qb), EINV);
  EXPECT(orthoconv_quantize_u8(3, xf, -1.0f, 0, qb), EINV);
  EXPECT(orthoconv_quantize_u8(3, xf, INFINITY, 0, qb), EINV);
  EXPECT(orthoconv_quantize_u8(3, xf, NAN, 0, qb), EINV);
  EXPECT(orthoconv_quantize_u8(3, NULL, 0.1f, 0, qb), EINV);
  EXPECT(orthoconv_quantize_u8(3, xf, 0.1f, 0, NULL), EINV);
  EXPECT(orthoconv_quantize_u8(16, big, 0.1f, 0, (uint8_t *)(void *)(big + 1)), EOVL);
}

static void bf16_layer(void) {
  const orthoconv_activation A = ORTHOCONV_ACT_RELU;
  orthoconv_layer *l = (orthoconv_layer *)(void *)&l, *keep = l;
  EXPECT(orthoconv_layer_create_bf16(K, N, w, bias, A, NULL), EINV);
  EXPECT(orthoconv_layer_create_bf16(0, N, w, bias, A, &l), EINV);
  EXPECT(orthoconv_layer_create_bf16(K, 0, w, bias, A, &l), EINV);
  EXPECT(orthoconv_layer_create_bf16(K, N, NULL, bias, A, &l), EINV);
  EXPECT(orthoconv_layer_create_bf16(K, N, w, bias, (orthoconv_activation)6, &l), EINV);
  EXPECT(orthoconv_layer_create_bf16(SIZE_MAX / 4, 8, w, bias, A, &l), EINV);
  CHECK(l == keep, "a failed create_bf16 set *out");
  orthoconv_layer *lb = NULL, *lf = NULL;
  CHECK(orthoconv_layer_create_bf16(K, N, w, bias, A, &lb) == ORTHOCONV_OK, "create_bf16");
  CHECK(orthoconv_layer_create(K, N, w, bias, A, &lf) == ORTHOCONV_OK, "create");
  EXPECT(orthoconv_layer_forward_bf16(NULL, M, xb, K, y, N), EINV);
  EXPECT(orthoconv_layer_forward_bf16(lf, M, xb, K, y, N), EINV);   /* an fp32 layer */
  EXPECT(orthoconv_layer_forward(lb, M, xf, K, y, N), EINV);        /* a bf16 layer */
  EXPECT(orthoconv_layer_forward_bf16(lb, M, NULL, K, y, N), EINV);
  EXPECT(orthoconv_layer_forward_bf16(lb, M, xb, K, NULL, N), EINV);
  EXPECT(orthoconv_layer_forward_bf16(lb, M, xb, K - 1, y, N), EINV);
  EXPECT(orthoconv_layer_forward_bf16(lb, M, xb, K, y, N - 1), EINV);
  EXPECT(orthoconv_layer_forward_bf16(lb, SIZE_MAX / 2, xb, K, y, N), EINV);
  EXPECT(orthoconv_layer_forward_bf16(lb, M, hb, K, (float *)(void *)(hb + 4), N), EOVL); /* y inside x */
  EXPECT(orthoconv_layer_set_weights(lb, NULL, bias), EINV);
  EXPECT(orthoconv_layer_forward_bf16(lb, 0, NULL, K, NULL, N), ORTHOCONV_OK); /* M = 0: no-op */
  orthoconv_layer_destroy(lb);
  orthoconv_layer_destroy(lf);
}

static void q8_layer(void) {
  const orthoconv_activation A = ORTHOCONV_ACT_NONE;
  orthoconv_qlayer *l = (orthoconv_qlayer *)(void *)&l, *keep = l;
  for (size_t n = 0; n < N; n++) ws[n] = 0.5f;
  EXPECT(orthoconv_qlayer_create(K, N, wq, ws, bias, A, NULL), EINV);
  EXPECT(orthoconv_qlayer_create(0, N, wq, ws, bias, A, &l), EINV);
  EXPECT(orthoconv_qlayer_create(K, 0, wq, ws, bias, A, &l), EINV);
  EXPECT(orthoconv_qlayer_create(K, N, NULL, ws, bias, A, &l), EINV);
  EXPECT(orthoconv_qlayer_create(K, N, wq, NULL, bias, A, &l), EINV);
  EXPECT(orthoconv_qlayer_create(K, N, wq, ws, bias, (orthoconv_activation)9, &l), EINV);
  static const float bad_scales[] = { 0.0f, -0.5f, INFINITY, -INFINITY, NAN };
  for (size_t i = 0; i < 5; i++) {
    ws[1] = bad_scales[i];
    EXPECT(orthoconv_qlayer_create(K, N, wq, ws, bias, A, &l), EINV);
  }
  ws[1] = 0.5f;
  /* K past the int32 limit: said so, never wrapped (checked before any allocation,
   * so the small buffer below is never read past its end). */
  EXPECT(orthoconv_qlayer_create(ORTHOCONV_QLAYER_MAX_K + 1, 1, (const int8_t *)qb, ws, NULL, A, &l), EUNS);
  EXPECT(orthoconv_qlayer_create(1u << 20, 1, (const int8_t *)qb, ws, NULL, A, &l), EUNS);
  CHECK(l == keep, "a failed qlayer_create set *out");
  orthoconv_qlayer *ql = NULL;
  ws[2] = 4.0f;
  CHECK(orthoconv_qlayer_create(K, N, wq, ws, NULL, A, &ql) == ORTHOCONV_OK, "qlayer_create");
  EXPECT(orthoconv_qlayer_forward(NULL, M, q, K, 0.1f, 0, y, N), EINV);
  EXPECT(orthoconv_qlayer_forward(ql, M, NULL, K, 0.1f, 0, y, N), EINV);
  EXPECT(orthoconv_qlayer_forward(ql, M, q, K, 0.1f, 0, NULL, N), EINV);
  EXPECT(orthoconv_qlayer_forward(ql, M, q, K - 1, 0.1f, 0, y, N), EINV);
  EXPECT(orthoconv_qlayer_forward(ql, M, q, K, 0.1f, 0, y, N - 1), EINV);
  for (size_t i = 0; i < 5; i++) EXPECT(orthoconv_qlayer_forward(ql, M, q, K, bad_scales[i], 0, y, N), EINV);
  EXPECT(orthoconv_qlayer_forward(ql, M, q, K, 1e38f, 0, y, N), EINV); /* x_scale * w_scale[2] overflows */
  EXPECT(orthoconv_qlayer_forward(ql, M, qb, K, 0.1f, 0, (float *)(void *)(qb + 8), N), EOVL);
  EXPECT(orthoconv_qlayer_forward(ql, SIZE_MAX / 2, q, K, 0.1f, 0, y, N), EINV);
  EXPECT(orthoconv_qlayer_forward(ql, 0, NULL, K, 0.1f, 0, NULL, N), ORTHOCONV_OK);
  CHECK(orthoconv_qlayer_kernel(NULL, 1) == NULL, "qlayer_kernel(NULL)");
  orthoconv_qlayer_destroy(ql);
  orthoconv_qlayer_destroy(NULL);
}

int main(void) {
  for (size_t i = 0; i < K * N; i++) w[i] = 0.25f, wq[i] = (int8_t)(i % 7);
  conversions();
  bf16_layer();
  q8_layer();
  return test_finish("lp_badinput");
}
