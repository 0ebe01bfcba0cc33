/* Activation epilogues outside the register tiles: the scalar one shared by the
 * reference kernels, and per ISA the row pass the forward driver runs when a
 * row's outputs came from several tiles (softmax needs the whole row). */
#ifndef ORTHOCONV_ACT_H
#define ORTHOCONV_ACT_H
#include <stddef.h>
#include "orthoconv.h"

/* y[0..N) = act(y[0..N)); softmax normalises over the N values. */
void orthoconv_priv_act_row_scalar(float *y, size_t N, orthoconv_activation act);

/* Rows [0, M) of y (stride ldy), N values each, in place. */
typedef void orthoconv_act_rows_fn(size_t M, size_t N, float *y, size_t ldy, orthoconv_activation act);
orthoconv_act_rows_fn orthoconv_act_rows__scalar, orthoconv_act_rows__avx2, orthoconv_act_rows__avx512,
    orthoconv_act_rows__neon;
/* The row pass of isa (the scalar one for an ISA this build lacks). */
orthoconv_act_rows_fn *orthoconv_priv_act_rows(orthoconv_isa isa);
#endif
