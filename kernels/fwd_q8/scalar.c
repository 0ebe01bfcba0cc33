/* Reference int8 forward microkernel: W as K x N int8 rows, (q - zp) w summed
 * exactly (64-bit here; the layer bounds K so that the sum fits int32), the
 * output formula of the header on the last k block. Between k blocks y holds
 * int32 bits, as in every int8 kernel. */
#include <string.h>
#include "ukernel_decls.h"
#include "act/act.h"
#include "fwd_lp/q8_epilogue.h"

void orthoconv_q8_ukernel_4x8__scalar_ref(const orthoconv_lp_tile *t) {
  const uint8_t *x = t->x;
  const int8_t *w = t->w;
  for (size_t r = 0; r < t->mr; r++) {
    const uint8_t *xr = x + r * t->ldx;
    float *yr = t->y + r * t->ldy;
    for (size_t n = 0; n < t->nc; n++) {
      int32_t part = 0;
      if (!(t->flags & ORTHOCONV_TILE_FIRST)) memcpy(&part, &yr[n], sizeof part);
      int64_t acc = part;
      for (size_t k = 0; k < t->kc; k++) acc += ((int64_t)xr[k] - t->zp) * w[k * t->ldw + n];
      const int32_t a = (int32_t)acc;
      if (t->flags & ORTHOCONV_TILE_LAST) yr[n] = orthoconv_priv_q8_out(a, t->x_scale, t->w_scale[n], t->bias[n]);
      else memcpy(&yr[n], &a, sizeof a);
    }
    if ((t->flags & ORTHOCONV_TILE_LAST) && (t->act != ORTHOCONV_ACT_SOFTMAX || (t->flags & ORTHOCONV_TILE_ROW)))
      orthoconv_priv_act_row_scalar(yr, t->nc, t->act);
  }
}
