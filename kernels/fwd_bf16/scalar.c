/* Reference bf16 forward microkernel: W as K x N bf16 rows, every product exact in
 * double and accumulated in double over its whole k block (no kc tunable: the
 * driver gives it all of K), so that it meets the error bound for any K and the
 * tests can trust it as a second oracle. */
#include "ukernel_decls.h"
#include "act/act.h"
#include "fwd_lp/convert.h"

void orthoconv_bf16_ukernel_4x8__scalar_ref(const orthoconv_lp_tile *t) {
  const uint16_t *x = t->x, *w = t->w;
  for (size_t r = 0; r < t->mr; r++) {
    const uint16_t *xr = x + r * t->ldx;
    float *yr = t->y + r * t->ldy;
    for (size_t n = 0; n < t->nc; n++) {
      double acc = t->flags & ORTHOCONV_TILE_FIRST ? 0.0 : (double)yr[n];
      if ((t->flags & ORTHOCONV_TILE_LAST) && t->bias) acc += (double)t->bias[n];
      for (size_t k = 0; k < t->kc; k++)
        acc += (double)orthoconv_priv_f32_of_bf16(xr[k]) * (double)orthoconv_priv_f32_of_bf16(w[k * t->ldw + n]);
      yr[n] = (float)acc;
    }
    if ((t->flags & ORTHOCONV_TILE_LAST) && (t->act != ORTHOCONV_ACT_SOFTMAX || (t->flags & ORTHOCONV_TILE_ROW)))
      orthoconv_priv_act_row_scalar(yr, t->nc, t->act);
  }
}
