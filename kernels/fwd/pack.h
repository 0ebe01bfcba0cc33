/* Weight packing for the forward variants (baseline code: data movement only). */
#ifndef ORTHOCONV_PACK_H
#define ORTHOCONV_PACK_H
#include <stddef.h>

/* Floats needed for the K16 layout of a K x N matrix (K rounded up to 16);
 * 0 if that count overflows. */
size_t orthoconv_priv_pack_k16_floats(size_t K, size_t N);
/* p[(kb*N + n)*16 + j] = w[(16*kb + j)*N + n], zero for 16*kb + j >= K. */
void orthoconv_priv_pack_k16(size_t K, size_t N, const float *w, float *p);
#endif
