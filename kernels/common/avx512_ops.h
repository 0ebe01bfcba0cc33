/* AVX-512 helpers shared by the kernels (masks, the transpose-add tree). Include
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

/* Result lane n = sum of the 16 lanes of v[n], n < nc (nc <= 16; other lanes 0). */
ORTHOCONV_AVX512_OPS_INLINE __m512 orthoconv_avx512_ops_hsum_many(const __m512 *v, const int nc) {
  const __m512 z = _mm512_setzero_ps();
  __m512 l1[8], l2[4];
#pragma GCC unroll 8
  for (int p = 0; p < 8; p++) {
    if (2 * p < nc) {
      const __m512 a = v[2 * p], b = 2 * p + 1 < nc ? v[2 * p + 1] : z;
      /* quarter lanes: a(q0+q2), a(q1+q3), b(q0+q2), b(q1+q3) */
      l1[p] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xee));
    } else {
      l1[p] = z;
    }
  }
#pragma GCC unroll 4
  for (int q = 0; q < 4; q++) {
    if (4 * q < nc) {
      const __m512 c = l1[2 * q], d = l1[2 * q + 1];
      /* quarter j now holds 4 partial sums of v[4q + j] */
      l2[q] = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(3, 1, 3, 1)));
    } else {
      l2[q] = z;
    }
  }
  const __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(l2[0], l2[1]), _mm512_unpackhi_ps(l2[0], l2[1]));
  __m512 r;
  if (nc > 8) {
    const __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(l2[2], l2[3]), _mm512_unpackhi_ps(l2[2], l2[3]));
    r = _mm512_add_ps(_mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(1, 0, 1, 0)),
                      _mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(3, 2, 3, 2)));
  } else {
    r = _mm512_add_ps(_mm512_shuffle_ps(s01, z, _MM_SHUFFLE(1, 0, 1, 0)),
                      _mm512_shuffle_ps(s01, z, _MM_SHUFFLE(3, 2, 3, 2)));
  }
  /* lane 4j + i holds the sum of v[4i + j]: transpose the 4 x 4 quarters */
  const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(idx, r);
}
#endif
