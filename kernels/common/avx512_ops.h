/* AVX-512 helpers for the training kernels (backward, Gram, optimizers). Include
 * only from files compiled with the AVX-512 flags: never under another flag set
 * (DESIGN.md, "Compiling per ISA"). */
#ifndef ORTHOCONV_AVX512_OPS_H
#define ORTHOCONV_AVX512_OPS_H
#include <immintrin.h>
#include <stddef.h>

#define ORTHOCONV_AVX512_OPS_INLINE static inline __attribute__((always_inline))

/* Lanes [0, n) set, n clamped to 16: the mask of a row tail. */
ORTHOCONV_AVX512_OPS_INLINE __mmask16 orthoconv_avx512_ops_tail(size_t n) {
  return (__mmask16)(n >= 16 ? 0xffffu : (1u << n) - 1u);
}

/* Bit l set when filter n0 + l trains (trainable NULL = all), l < c <= 16. The
 * byte compare runs on a masked load, so nothing past trainable[N-1] is read. */
ORTHOCONV_AVX512_OPS_INLINE __mmask16 orthoconv_avx512_ops_live(const unsigned char *trainable,
    size_t n0, size_t c) {
  const __mmask16 in = orthoconv_avx512_ops_tail(c);
  if (!trainable) return in;
  const __m128i b = _mm_maskz_loadu_epi8(in, trainable + n0);
  return _mm_mask_cmpneq_epi8_mask(in, b, _mm_setzero_si128());
}
#endif
