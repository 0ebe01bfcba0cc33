/* The AVX-512 variant's tile widths (kernels/bwd_weights/avx512.c says why they
 * are these), shared with the threaded call, whose slices of K must hold whole
 * tiles: a slice that ends in a part of a tile pays for all of it. */
#ifndef ORTHOCONV_BWD_WEIGHTS_TILES_H
#define ORTHOCONV_BWD_WEIGHTS_TILES_H

#define ORTHOCONV_BW512_NT 12 /* trainable filters per chunk */
/* vectors of 16 k per tile, for a chunk of nt trainable filters (11 runs as 12:
 * the same width) */
#define ORTHOCONV_BW512_KV(nt) \
  ((nt) == 1 ? 12 : (nt) == 2 ? 8 : (nt) <= 4 ? 6 : (nt) == 5 ? 5 : (nt) == 6 ? 4 : (nt) == 7 || (nt) > 10 ? 2 : 3)
#endif
