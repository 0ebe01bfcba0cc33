/* The low-precision forward driver (baseline code): the bf16 and int8 layers'
 * blocking over M, N and K, tails, the softmax row pass and software prefetch,
 * around one register-tile microkernel of kernels/fwd_bf16 or kernels/fwd_q8. */
#ifndef ORTHOCONV_FWD_LP_DRIVER_H
#define ORTHOCONV_FWD_LP_DRIVER_H
#include <stddef.h>
#include <stdint.h>
#include "ukernel.h"

/* W packed in the layout the kernel reads (pack.h), npad filters (KN: N). */
typedef struct orthoconv_priv_lp_w {
  const void *p;
  size_t npad;
} orthoconv_priv_lp_w;

/* What comes after the dot products. int8 only: colsum, w_scale (N each), x_scale,
 * zp; bias never NULL for int8 (the layer keeps zeros). */
typedef struct orthoconv_priv_lp_epi {
  const float *bias;
  orthoconv_activation act;
  const int32_t *colsum;
  const float *w_scale;
  float x_scale;
  int32_t zp;
} orthoconv_priv_lp_epi;

/* Bytes of an element of X for op (2 bf16, 1 int8), and of W as k reads it. */
size_t orthoconv_priv_lp_xbytes(orthoconv_op op);
size_t orthoconv_priv_lp_wbytes(const orthoconv_ukernel *k);

/* y = the layer's output for x (M x K, ldx elements), with microkernel k of
 * LAYER_FORWARD_BF16 or QLAYER_FORWARD and its tunables t (kc, mb, pf). */
void orthoconv_priv_lp_drive(const orthoconv_ukernel *k, const int *t, size_t M, size_t K, size_t N,
    const void *x, size_t ldx, const orthoconv_priv_lp_w *w, const orthoconv_priv_lp_epi *e, float *y,
    size_t ldy);
#endif
