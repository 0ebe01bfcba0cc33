#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile_battery.h"
#include "common/oracle.h"
#include "common/testutil.h"

/* One M in each size class of dispatch (M = 1, <= 64, <= 1024, <= 16384, more). */
static const size_t ms[PB_MS] = { 1, 2, 65, 1025, 16385 };

void pb_snap(pb_snapshot *s) {
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (int i = 0; i < PB_MS; i++) s->name[op][i] = orthoconv_selected_kernel((orthoconv_op)op, ms[i], 64, 10);
}

int pb_same(const pb_snapshot *a, const pb_snapshot *b) {
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (int i = 0; i < PB_MS; i++)
      if (!a->name[op][i] || !b->name[op][i] || strcmp(a->name[op][i], b->name[op][i]) != 0) return 0;
  return 1;
}

static int allowed(const char *name, orthoconv_isa cap) {
  const char *isa = name ? strstr(name, "__") : NULL;
  if (!isa) return 0;
  isa += 2;
  if (!strncmp(isa, "scalar_", 7)) return 1;
  /* avx_vnni: AVX-VNNI, an extension at the AVX2 level */
  if (!strncmp(isa, "avx2_", 5) || !strncmp(isa, "avx_", 4)) return cap == ORTHOCONV_ISA_AVX2 || cap == ORTHOCONV_ISA_AVX512;
  if (!strncmp(isa, "avx512_", 7)) return cap == ORTHOCONV_ISA_AVX512;
  if (!strncmp(isa, "neon_", 5)) return cap == ORTHOCONV_ISA_NEON;
  return 0;
}

int pb_within_cap(const pb_snapshot *s, orthoconv_isa cap) {
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (int i = 0; i < PB_MS; i++)
      if (!allowed(s->name[op][i], cap)) return 0;
  return 1;
}

static int wrong;
static void expect(int ok, const char *what, size_t M, size_t i, double got, double want) {
  if (ok) return;
  if (wrong++ < 10) fprintf(stderr, "profile battery: %s M=%zu [%zu] = %.9g, want %.9g\n", what, M, i, got, want);
}

enum { K = 3, N = 2, KR = 37, NR = 10 };

static void rows_ops(size_t M, float *x, float *dy, float *y, float *dx) {
  static const float w[K * N] = { 0.5f, -1.0f, 0.25f, 2.0f, -0.75f, 1.5f }, b[N] = { 0.125f, -0.5f };
  static const unsigned char t[N] = { 0, 1 };
  double *pre = malloc(M * N * sizeof *pre), *bnd = malloc(M * N * sizeof *bnd);
  oracle_forward_pre(M, K, N, x, K + 1, w, b, pre, bnd);
  if (orthoconv_forward(M, K, N, x, K + 1, w, b, ORTHOCONV_ACT_NONE, y, N) != ORTHOCONV_OK) wrong++;
  for (size_t i = 0; i < M * N; i++) expect(within_bound(y[i], pre[i], bnd[i]), "forward", M, i, y[i], pre[i]);
  orthoconv_layer *l = NULL;
  if (orthoconv_layer_create(K, N, w, b, ORTHOCONV_ACT_NONE, &l) != ORTHOCONV_OK) wrong++;
  memset(y, 0, M * N * sizeof *y);
  if (l && orthoconv_layer_forward(l, M, x, K + 1, y, N) != ORTHOCONV_OK) wrong++;
  for (size_t i = 0; i < M * N; i++) expect(within_bound(y[i], pre[i], bnd[i]), "layer_forward", M, i, y[i], pre[i]);
  orthoconv_layer_destroy(l);
  free(pre), free(bnd);

  double *e = malloc(M * K * sizeof *e), *eb = malloc(M * K * sizeof *eb);
  oracle_backward_data(M, K, N, dy, N, w, e, eb);
  if (orthoconv_backward_data(M, K, N, dy, N, w, dx, K) != ORTHOCONV_OK) wrong++;
  for (size_t i = 0; i < M * K; i++) expect(within_bound(dx[i], e[i], eb[i]), "backward_data", M, i, dx[i], e[i]);
  free(e), free(eb);

  float dw[K * N], db[N];
  double ew[K * N], bw[K * N], ed[N], bd[N];
  oracle_backward_weights(M, K, N, x, K + 1, dy, N, ew, bw, ed, bd);
  if (orthoconv_backward_weights(M, K, N, x, K + 1, dy, N, t, dw, db) != ORTHOCONV_OK) wrong++;
  for (size_t i = 0; i < K * N; i++)
    expect(t[i % N] ? within_bound(dw[i], ew[i], bw[i]) : dw[i] == 0.0f, "backward_weights", M, i, dw[i], ew[i]);
  for (size_t n = 0; n < N; n++) expect(t[n] ? within_bound(db[n], ed[n], bd[n]) : db[n] == 0.0f, "dbias", M, n, db[n], ed[n]);
}

/* Gram, the SO gradient (the reg_grad kernel), and one SGD and AdamW step. */
static void k_ops(void) {
  float w[KR * NR], g[NR * NR], grad[KR * NR], w2[KR * NR], m[KR * NR], v[KR * NR];
  double wd[KR * NR], eg[NR * NR], bg[NR * NR];
  for (size_t i = 0; i < KR * NR; i++) wd[i] = w[i] = test_randf();
  oracle_gram(KR, NR, wd, eg, bg);
  if (orthoconv_gram(KR, NR, w, g) != ORTHOCONV_OK) wrong++;
  for (size_t i = 0; i < NR * NR; i++) expect(within_bound(g[i], eg[i], bg[i]), "gram", 0, i, g[i], eg[i]);
  /* MIRROR_PAIRS: grad column n gets 2 s w_{N-1-n}, one product per entry */
  memset(grad, 0, sizeof grad);
  if (orthoconv_regularize(ORTHOCONV_REG_MIRROR_PAIRS, 0.5f, KR, NR, w, NULL, NULL, grad) != ORTHOCONV_OK) wrong++;
  for (size_t i = 0; i < KR * NR; i++) {
    const double want = w[i - i % NR + (NR - 1 - i % NR)];
    expect(within_bound(grad[i], want, fabs(want)), "reg_grad", 0, i, grad[i], want);
  }
  const orthoconv_sgd sgd = { 0.5f, 0.0f, 0.0f, 0 };
  memcpy(w2, w, sizeof w);
  if (orthoconv_sgd_step(&sgd, KR, NR, w2, grad, NULL, NULL) != ORTHOCONV_OK) wrong++;
  for (size_t i = 0; i < KR * NR; i++) {
    const double want = (double)w[i] - 0.5 * grad[i];
    expect(within_bound(w2[i], want, fabs(w[i]) + fabs(0.5 * grad[i])), "sgd", 0, i, w2[i], want);
  }
  /* AdamW step 1 from zero moments with b1 = b2 = 0: w - lr g / (|g| + eps) */
  const orthoconv_adamw aw = { 0.25f, 0.0f, 0.0f, 1e-3f, 0.0f };
  memcpy(w2, w, sizeof w);
  memset(m, 0, sizeof m);
  memset(v, 0, sizeof v);
  if (orthoconv_adamw_step(&aw, 1, KR, NR, w2, grad, m, v, NULL) != ORTHOCONV_OK) wrong++;
  for (size_t i = 0; i < KR * NR; i++) {
    const double upd = 0.25 * grad[i] / (fabs(grad[i]) + 1e-3), want = w[i] - upd;
    expect(within_bound(w2[i], want, fabs(w[i]) + 4 * fabs(upd)), "adamw", 0, i, w2[i], want);
  }
}

int pb_battery(void) {
  wrong = 0;
  test_seed(77);
  const size_t mmax = ms[PB_MS - 1];
  float *x = malloc(mmax * (K + 1) * sizeof *x), *dy = malloc(mmax * N * sizeof *dy);
  float *y = malloc(mmax * N * sizeof *y), *dx = malloc(mmax * K * sizeof *dx);
  for (size_t i = 0; i < mmax * (K + 1); i++) x[i] = test_randf();
  for (size_t i = 0; i < mmax * N; i++) dy[i] = test_randf();
  for (int i = 0; i < PB_MS; i++) rows_ops(ms[i], x, dy, y, dx);
  k_ops();
  free(x), free(dy), free(y), free(dx);
  return wrong;
}
