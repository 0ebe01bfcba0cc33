/* Shared by the ISA variants of backward weights (baseline code, no ISA flags). */
#ifndef ORTHOCONV_BWD_WEIGHTS_FROZEN_H
#define ORTHOCONV_BWD_WEIGHTS_FROZEN_H
#include <stddef.h>

/* The contract's zeros for frozen filters: dw[., n] = 0 and dbias[n] = 0 (dbias
 * may be NULL) wherever trainable[n] == 0; trainable NULL = nothing frozen. */
void orthoconv_priv_bwd_weights_zero_frozen(size_t K, size_t N, const unsigned char *trainable,
    float *dw, float *dbias);

/* dw = 0 and dbias = 0 (may be NULL): the sums over no rows (M = 0), for the
 * variants whose totals start from the first block of rows, not from zeros. */
void orthoconv_priv_bwd_weights_zero_all(size_t K, size_t N, float *dw, float *dbias);

/* dbias[cols[j]] = sum of dy[m][cols[j]] over m, j < nt (nt <= 16): each block of mb
 * rows summed first, then the blocks in order, as the tiles sum dw, so every ISA
 * variant with the same mb gives the same bits. */
void orthoconv_priv_bwd_weights_bias(size_t M, size_t mb, const float *dy, size_t lddy, const size_t *cols,
    size_t nt, float *dbias);
#endif
