/* Packing the bf16 and int8 layers' W for the low-precision microkernels
 * (baseline code: data movement only). */
#ifndef ORTHOCONV_FWD_LP_PACK_H
#define ORTHOCONV_FWD_LP_PACK_H
#include <stddef.h>
#include "ukernel.h"

/* Elements of W (K x N) in k's layout, and its filter count in *npad (N rounded up
 * to k's nr; KN: N); 0 if the count overflows. */
size_t orthoconv_priv_lp_pack_count(const orthoconv_ukernel *k, size_t K, size_t N, size_t *npad);
/* p = w (K x N, row-major: bf16 for LAYER_FORWARD_BF16, int8 for QLAYER_FORWARD)
 * in k's layout (ukernel.h), orthoconv_priv_lp_pack_count elements of
 * orthoconv_priv_lp_wbytes(k) bytes. */
void orthoconv_priv_lp_pack(const orthoconv_ukernel *k, size_t K, size_t N, const void *w, void *p);
#endif
