/* Scalar activation epilogue, shared by the reference kernels (baseline ISA). */
#ifndef ORTHOCONV_ACT_H
#define ORTHOCONV_ACT_H
#include <stddef.h>
#include "orthoconv.h"

/* y[0..N) = act(y[0..N)); softmax normalises over the N values. */
void orthoconv_priv_act_row_scalar(float *y, size_t N, orthoconv_activation act);
#endif
