/* Weight packing for the forward microkernels (baseline code: data movement only). */
#ifndef ORTHOCONV_PACK_H
#define ORTHOCONV_PACK_H
#include <stddef.h>
#include "orthoconv.h"

/* Floats of the K16 layout of K x N weights with npad >= N filters (K rounded up
 * to 16); 0 if that count overflows. */
size_t orthoconv_priv_pack_k16_floats(size_t K, size_t npad);
/* p[(kb*npad + n)*16 + j] = w[(16*kb + j)*N + n], zero for 16*kb + j >= K or n >= N. */
void orthoconv_priv_pack_k16(size_t K, size_t N, size_t npad, const float *w, float *p);
/* Floats of the PANEL layout with panels of nr filters: K * roundup(N, nr); 0 on overflow. */
size_t orthoconv_priv_pack_panel_floats(size_t K, size_t N, size_t nr);
/* p[(pi*K + k)*nr + j] = w[k*N + pi*nr + j], zero for pi*nr + j >= N. */
void orthoconv_priv_pack_panel(size_t K, size_t N, size_t nr, const float *w, float *p);
/* One K16 block of W as the forward driver packs it on its stack: rows k0 to
 * k0 + kl - 1 and filters n0 to n0 + nc - 1 of the K x N W, as p[(kb * nr + n) * 16 + j] =
 * w[(k0 + 16 kb + j) * N + n0 + n], zero past kl and nc (nc <= nr). Per ISA (the
 * packing of the kernel's ISA; the scalar one for an ISA this build lacks), as the
 * activation row passes are (kernels/act/act.h). */
typedef void orthoconv_pack_k16_block_fn(const float *w, size_t N, size_t k0, size_t kl, size_t n0, size_t nc,
    size_t nr, float *p);
orthoconv_pack_k16_block_fn orthoconv_pack_k16_block__scalar, orthoconv_pack_k16_block__avx2,
    orthoconv_pack_k16_block__avx512, orthoconv_pack_k16_block__neon;
orthoconv_pack_k16_block_fn *orthoconv_priv_pack_k16_block(orthoconv_isa isa);
#endif
