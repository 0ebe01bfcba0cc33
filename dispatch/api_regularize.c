#include <stdlib.h>
#include "check.h"
#include "init.h"
#include "gram/rank1.h"
#include "gram/reg_maths.h"

/* Up to this N the N x N scratch lives on the stack (7.5 KiB, inside the 16 KiB a
 * call may use); beyond, on the heap. */
#define STACK_N 20

orthoconv_status orthoconv_gram(size_t K, size_t N, const float *w, float *g) {
  if (K == 0 || N == 0) return ORTHOCONV_EINVAL;
  const orthoconv_priv_buf b[] = { ORTHOCONV_BUF_IN(w, K, N, N), ORTHOCONV_BUF_OUT(g, N, N, N) };
  const orthoconv_status s = orthoconv_priv_check(b, 2);
  if (s != ORTHOCONV_OK) return s;
  const orthoconv_priv_choice c = orthoconv_priv_choose(ORTHOCONV_OP_GRAM, 0, K, N);
  c.k->fn.gram(K, N, w, g, c.t);
  return ORTHOCONV_OK;
}

orthoconv_status orthoconv_regularize(orthoconv_regularizer kind, float strength, size_t K,
    size_t N, const float *w, const unsigned char *trainable, float *penalty, float *grad) {
  if ((unsigned)kind > (unsigned)ORTHOCONV_REG_MIRROR_PAIRS || !orthoconv_priv_finite(strength) ||
      K == 0 || N == 0)
    return ORTHOCONV_EINVAL;
  if (N > ORTHOCONV_REG_MAX_N) return ORTHOCONV_EUNSUPPORTED;
  const orthoconv_priv_buf b[] = {
    ORTHOCONV_BUF_IN(w, K, N, N), ORTHOCONV_BUF_MASK(trainable, N),
    ORTHOCONV_BUF_OPT_OUT(penalty, 1, 1, 1), ORTHOCONV_BUF_OPT_OUT(grad, K, N, N),
  };
  const orthoconv_status s = orthoconv_priv_check(b, 4);
  if (s != ORTHOCONV_OK) return s;

  float g_stack[STACK_N * STACK_N], a_stack[STACK_N * STACK_N];
  double work_stack[ORTHOCONV_REG_WORK(STACK_N)];
  float *g = g_stack, *a = a_stack;
  double *work = work_stack;
  void *heap = NULL;
  if (N > STACK_N) {
    heap = malloc(N * N * 2 * sizeof(float) + ORTHOCONV_REG_WORK(N) * sizeof(double));
    if (!heap) return ORTHOCONV_ENOMEM;
    work = heap;
    g = (float *)(work + ORTHOCONV_REG_WORK(N));
    a = g + N * N;
  }
  /* Both kernels from one table: a profile load in between cannot mix two. */
  orthoconv_priv_init();
  const orthoconv_priv_profile *table = orthoconv_priv_table_current();
  const orthoconv_isa cap = orthoconv_priv_cap_load();
  const orthoconv_priv_choice cg = orthoconv_priv_select_in(table, cap, ORTHOCONV_OP_GRAM, 0, K, N);
  const orthoconv_priv_choice cr = orthoconv_priv_select_in(table, cap, ORTHOCONV_OP_REG_GRAD, 0, K, N);
  cg.k->fn.gram(K, N, w, g, cg.t);
  /* SRIP's A = v (c v)^T has rank one: W A as (W v)(c v)^T, a fifth of the work
   * at N = 10, by the helper of the ISA of the reg_grad kernel chosen; a then
   * holds v and c v (2 N floats: it has N x N, and at least 400 on the stack). */
  const int rank1 = grad && kind == ORTHOCONV_REG_SRIP;
  const double r = orthoconv_priv_reg_maths(kind, strength, K, N, g, grad && !rank1 ? a : NULL,
                                            rank1 ? a : NULL, work);
  if (penalty) *penalty = (float)((double)strength * r);
  if (rank1) orthoconv_priv_rank1(cr.k->isa)(K, N, w, a, a + N, trainable, grad);
  else if (grad) cr.k->fn.reg_grad(K, N, w, a, trainable, grad, cr.t);
  free(heap);
  return ORTHOCONV_OK;
}
