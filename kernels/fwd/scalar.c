/* Reference forward microkernel: accumulates in double over its whole k block
 * (the driver gives it all of K: it has no kc tunable), so that it meets the error
 * bound for any K and tests can trust it as a second oracle. */
#include "ukernel_decls.h"
#include "act/act.h"

void orthoconv_fwd_ukernel_4x8__scalar_ref(const orthoconv_fwd_tile *t) {
  for (size_t r = 0; r < t->mr; r++) {
    const float *xr = t->x + r * t->ldx;
    float *yr = t->y + r * t->ldy;
    for (size_t n = 0; n < t->nc; n++) {
      double acc = t->flags & ORTHOCONV_TILE_FIRST ? 0.0 : (double)yr[n];
      if ((t->flags & ORTHOCONV_TILE_LAST) && t->bias) acc += (double)t->bias[n];
      for (size_t k = 0; k < t->kc; k++) acc += (double)xr[k] * (double)t->w[k * t->ldw + n];
      yr[n] = (float)acc;
    }
    if ((t->flags & ORTHOCONV_TILE_LAST) && (t->act != ORTHOCONV_ACT_SOFTMAX || (t->flags & ORTHOCONV_TILE_ROW)))
      orthoconv_priv_act_row_scalar(yr, t->nc, t->act);
  }
}
