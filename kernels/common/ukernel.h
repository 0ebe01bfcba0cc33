/* The contract between dispatch and every kernel variant: function types and the
 * descriptor built from each op's .inc list. Types only, no code, so it is safe to
 * include from files compiled with any ISA flags.
 *
 * Every variant is correct for every shape (any M, K, N >= 1, any stride >= the
 * row, any float alignment): its register tile (mr x nr, K unroll) is where it is
 * fast, not a restriction. Arguments have been validated before a kernel is
 * called; kernels never allocate, never print, and touch nothing but their
 * outputs (nothing past column N of a row, nothing of a frozen column). */
#ifndef ORTHOCONV_UKERNEL_H
#define ORTHOCONV_UKERNEL_H

#include <stddef.h>
#include "orthoconv.h"

#define ORTHOCONV_MAX_TUNABLES 3

/* A runtime tunable: the value passed is in [min, max] and min + j * step. */
typedef struct orthoconv_tunable_spec {
  const char *name;
  int min, max, step, def;
} orthoconv_tunable_spec;

/* Layout of W that a forward variant reads. */
typedef enum orthoconv_wlayout {
  ORTHOCONV_W_KN = 0, /* as the caller gives it: K x N row-major */
  ORTHOCONV_W_K16 = 1 /* blocks of 16 k: p[(kb*N + n)*16 + j] = w[(16kb + j)*N + n], zero past K */
} orthoconv_wlayout;

/* Function types (not pointers), so that the .inc lists can declare variants.
 * t: the variant's tunables, t[i] for its i-th spec (unused entries are 0). */
typedef void orthoconv_fwd_fn(size_t M, size_t K, size_t N, const float *x, size_t ldx,
    const float *w, const float *bias, orthoconv_activation act, float *y, size_t ldy,
    const int *t);
typedef void orthoconv_bwd_data_fn(size_t M, size_t K, size_t N, const float *dy,
    size_t lddy, const float *w, float *dx, size_t lddx, const int *t);
/* trainable NULL = all train; dbias may be NULL. */
typedef void orthoconv_bwd_weights_fn(size_t M, size_t K, size_t N, const float *x,
    size_t ldx, const float *dy, size_t lddy, const unsigned char *trainable, float *dw,
    float *dbias, const int *t);
typedef void orthoconv_gram_fn(size_t K, size_t N, const float *w, float *g, const int *t);
/* grad[k*N+n] += sum_j w[k*N+j] * a[j*N+n] for trainable n (trainable NULL = all). */
typedef void orthoconv_reg_grad_fn(size_t K, size_t N, const float *w, const float *a,
    const unsigned char *trainable, float *grad, const int *t);
typedef void orthoconv_sgd_fn(const orthoconv_sgd *opt, size_t K, size_t N, float *w,
    const float *grad, float *velocity, const unsigned char *trainable, const int *t);
/* step_size = lr / (1 - b1^t), bc2_sqrt = sqrt(1 - b2^t), computed once by the caller. */
typedef void orthoconv_adamw_fn(const orthoconv_adamw *opt, float step_size,
    float bc2_sqrt, size_t K, size_t N, float *w, const float *grad, float *m, float *v,
    const unsigned char *trainable, const int *t);

/* Where a variant applies: the shapes whose whole computation its own code does.
 * Dispatch never selects it outside (a profile record for such a shape falls back
 * to the defaults), so a variant never runs another variant behind its name.
 * 0 in a max field = no bound. */
typedef struct orthoconv_rule {
  size_t nmin, nmax; /* filters */
  size_t knmax;      /* K * N, for variants that keep a copy of W of bounded size */
} orthoconv_rule;

typedef struct orthoconv_ukernel {
  orthoconv_op op; /* FORWARD (serves LAYER_FORWARD too), BACKWARD_*, GRAM, REG_GRAD, SGD, ADAMW */
  const char *name;
  orthoconv_isa isa;
  unsigned char mr, nr, kunroll;
  unsigned char wlayout; /* orthoconv_wlayout, forward ops only */
  unsigned char ntunables; /* counted from the list line, never written by hand */
  orthoconv_rule rule;
  orthoconv_tunable_spec tunables[ORTHOCONV_MAX_TUNABLES];
  union {
    void (*any)(void); /* for comparing with a symbol named in dispatch/defaults.inc */
    orthoconv_fwd_fn *fwd;
    orthoconv_bwd_data_fn *bwd_data;
    orthoconv_bwd_weights_fn *bwd_weights;
    orthoconv_gram_fn *gram;
    orthoconv_reg_grad_fn *reg_grad;
    orthoconv_sgd_fn *sgd;
    orthoconv_adamw_fn *adamw;
  } fn;
} orthoconv_ukernel;

#endif
