#include "tiles.h"

static size_t gcd(size_t a, size_t b) {
  while (b) {
    const size_t r = a % b;
    a = b, b = r;
  }
  return a;
}

static size_t lcm(size_t a, size_t b) { return a / gcd(a, b) * b; }

size_t orthoconv_priv_bwd_weights_kstep(orthoconv_isa isa, size_t live) {
  size_t w = 16; /* every variant's tiles are whole vectors of 16 k or less */
  if (isa == ORTHOCONV_ISA_AVX512 && live) {
    /* the kernel's chunks: whole ones of 12 filters, then the rest */
    if (live >= ORTHOCONV_BW512_NT) w = lcm(w, 16 * ORTHOCONV_BW512_KV(ORTHOCONV_BW512_NT));
    if (live % ORTHOCONV_BW512_NT) w = lcm(w, 16 * (size_t)ORTHOCONV_BW512_KV(live % ORTHOCONV_BW512_NT));
  }
  return (64 + w - 1) / w * w;
}
