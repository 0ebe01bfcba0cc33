/* Shared by the ISA variants of backward weights (baseline code, no ISA flags). */
#ifndef ORTHOCONV_BWD_WEIGHTS_FROZEN_H
#define ORTHOCONV_BWD_WEIGHTS_FROZEN_H
#include <stddef.h>

/* The contract's zeros for frozen filters: dw[., n] = 0 and dbias[n] = 0 (dbias
 * may be NULL) wherever trainable[n] == 0; trainable NULL = nothing frozen. */
void orthoconv_priv_bwd_weights_zero_frozen(size_t K, size_t N, const unsigned char *trainable,
    float *dw, float *dbias);
#endif
