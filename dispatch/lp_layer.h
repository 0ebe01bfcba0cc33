/* The part the bf16 layer and the int8 layer share: kernels bound per M class
 * when the layer is made, W packed once for every variant this CPU could be
 * asked to run for the layer's K x N (so that a later ISA cap or profile never
 * meets an unpacked W), and the call through the low-precision driver. */
#ifndef ORTHOCONV_LP_LAYER_H
#define ORTHOCONV_LP_LAYER_H
#include <stddef.h>
#include <stdint.h>
#include "select.h"
#include "fwd_lp/driver.h"

#define ORTHOCONV_LP_MAX_FORMS 8

/* W in one kernel layout: the variants with this layout, nr and kunroll read it. */
typedef struct orthoconv_priv_lp_form {
  unsigned char wlayout, nr, kunroll;
  size_t npad;
  void *p;
} orthoconv_priv_lp_form;

/* Whether variant k reads W in form f. */
static inline int orthoconv_priv_lp_same_form(const orthoconv_priv_lp_form *f, const orthoconv_ukernel *k) {
  return f->wlayout == k->wlayout && f->nr == k->nr && f->kunroll == k->kunroll;
}

typedef struct orthoconv_priv_lp_layer {
  orthoconv_op op; /* LAYER_FORWARD_BF16 or QLAYER_FORWARD */
  size_t K, N;
  orthoconv_activation act;
  int has_bias;
  float *bias;      /* N floats, zero when none */
  void *kn;         /* W as K x N rows: bf16 or int8 */
  int32_t *colsum;  /* int8: sum_k wq[k][n] */
  float *w_scale;   /* int8: N */
  float w_scale_max;
  orthoconv_priv_lp_form forms[ORTHOCONV_LP_MAX_FORMS];
  unsigned nforms;
  orthoconv_priv_choice bound[ORTHOCONV_MCLASSES];
  void *mem;
} orthoconv_priv_lp_layer;

/* Allocates a layer of op with room for W, bias and (int8) scales and column
 * sums, and binds its kernels; W is not filled. EINVAL, ENOMEM. */
orthoconv_status orthoconv_priv_lp_create(orthoconv_op op, size_t K, size_t N, orthoconv_activation act,
    orthoconv_priv_lp_layer **out);
/* Once l->kn holds W (and l->w_scale the scales): bias (NULL = zeros), column
 * sums, and every packed form. No allocation. */
void orthoconv_priv_lp_fill(orthoconv_priv_lp_layer *l, const float *bias);
/* The variant a call of M rows runs now: the bound one, or under a lower ISA cap
 * since creation what dispatch picks now. */
orthoconv_priv_choice orthoconv_priv_lp_choice(const orthoconv_priv_lp_layer *l, size_t M);
/* W in the layout of variant k; NULL if the layer has none (never for a variant
 * that applies to its shape on this CPU). */
const orthoconv_priv_lp_w *orthoconv_priv_lp_form_for(const orthoconv_priv_lp_layer *l, const orthoconv_ukernel *k,
    orthoconv_priv_lp_w *out);
/* y for x, arguments checked (int8: x_scale, zp; bf16: ignored), as tasks of whole
 * tiles of rows on pool (NULL: this thread): their count from the shape only, so
 * the bits do not depend on the pool. */
void orthoconv_priv_lp_run(const orthoconv_threadpool *pool, const orthoconv_priv_lp_layer *l, size_t M, const void *x,
    size_t ldx, float x_scale, int32_t zp, float *y, size_t ldy);
void orthoconv_priv_lp_destroy(orthoconv_priv_lp_layer *l);

/* A bf16 layer is an orthoconv_layer holding one of these (api_forward.c owns
 * that struct): wrapping (NULL when out of memory), the one inside (NULL for an
 * fp32 layer), and new weights (api_bf16.c). */
orthoconv_layer *orthoconv_priv_layer_of_lp(orthoconv_priv_lp_layer *lp);
const orthoconv_priv_lp_layer *orthoconv_priv_layer_lp(const orthoconv_layer *l);
orthoconv_status orthoconv_priv_bf16_set_weights(orthoconv_priv_lp_layer *l, const float *w, const float *bias);
#endif
