/* AVX-512 activation epilogues. Include only from files compiled with the AVX-512
 * flags: the SLEEF calls and intrinsics below must never be compiled under
 * another flag set (see DESIGN.md, "Compiling per ISA"). */
#ifndef ORTHOCONV_AVX512_ACT_H
#define ORTHOCONV_AVX512_ACT_H
#include <immintrin.h>
#include <stddef.h>
#include <sleef.h>
#include "orthoconv.h"

/* Lanes [0, n) set; n in 0..16. */
static inline __mmask16 orthoconv_avx512_mask(size_t n) {
  return (__mmask16)(n >= 16 ? 0xffffu : (1u << n) - 1u);
}

/* Element-wise activations (everything but softmax). The divisions are real
 * divisions, not reciprocal estimates, so the result stays within SLEEF's u10. */
static inline __m512 orthoconv_avx512_act_elem(__m512 v, orthoconv_activation act) {
  switch (act) {
  case ORTHOCONV_ACT_RELU:
    /* 0 > v ? 0 : v (maxps keeps its second operand): NaN and -0 pass, as in the reference */
    return _mm512_max_ps(_mm512_setzero_ps(), v);
  case ORTHOCONV_ACT_SIGMOID: {
    /* exp(-v) = inf for very negative v gives an exact 0, like the reference. */
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 e = Sleef_expf16_u10avx512f(_mm512_sub_ps(_mm512_setzero_ps(), v));
    return _mm512_div_ps(one, _mm512_add_ps(one, e));
  }
  case ORTHOCONV_ACT_TANH:
    return Sleef_tanhf16_u10avx512f(v);
  case ORTHOCONV_ACT_GELU: {
    const __m512 e = Sleef_erff16_u10avx512f(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f)));
    const __m512 r = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    /* -Inf: the limit -0, not the formula's -Inf * 0 = NaN */
    const __mmask16 ninf = _mm512_cmp_ps_mask(v, _mm512_set1_ps(-__builtin_inff()), _CMP_EQ_OQ);
    return _mm512_mask_mov_ps(r, ninf, _mm512_set1_ps(-0.0f));
  }
  default:
    return v;
  }
}

/* Softmax over the lanes of m (the other lanes come back as 0). The row maximum
 * is subtracted first so that no exponent is positive. */
static inline __m512 orthoconv_avx512_softmax16(__m512 v, __mmask16 m) {
  const float mx = _mm512_mask_reduce_max_ps(m, v);
  const __m512 e = _mm512_maskz_mov_ps(m, Sleef_expf16_u10avx512f(_mm512_sub_ps(v, _mm512_set1_ps(mx))));
  const float s = _mm512_reduce_add_ps(e);
  return _mm512_div_ps(e, _mm512_set1_ps(s));
}

/* Applies act to y[0..N) in place (for rows whose outputs were produced in
 * several register chunks). */
static inline void orthoconv_avx512_act_row(float *y, size_t N, orthoconv_activation act) {
  if (act == ORTHOCONV_ACT_NONE) return;
  if (act != ORTHOCONV_ACT_SOFTMAX) {
    for (size_t n = 0; n < N; n += 16) {
      const __mmask16 m = orthoconv_avx512_mask(N - n);
      _mm512_mask_storeu_ps(y + n, m, orthoconv_avx512_act_elem(_mm512_maskz_loadu_ps(m, y + n), act));
    }
    return;
  }
  if (N <= 16) {
    const __mmask16 m = orthoconv_avx512_mask(N);
    _mm512_mask_storeu_ps(y, m, orthoconv_avx512_softmax16(_mm512_maskz_loadu_ps(m, y), m));
    return;
  }
  __m512 vmx = _mm512_set1_ps(-__builtin_inff());
  for (size_t n = 0; n < N; n += 16) {
    const __mmask16 m = orthoconv_avx512_mask(N - n);
    vmx = _mm512_mask_max_ps(vmx, m, vmx, _mm512_maskz_loadu_ps(m, y + n));
  }
  const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmx));
  __m512 vs = _mm512_setzero_ps();
  for (size_t n = 0; n < N; n += 16) {
    const __mmask16 m = orthoconv_avx512_mask(N - n);
    const __m512 e = Sleef_expf16_u10avx512f(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, y + n), mx));
    vs = _mm512_mask_add_ps(vs, m, vs, e);
    _mm512_mask_storeu_ps(y + n, m, e);
  }
  const __m512 s = _mm512_set1_ps(_mm512_reduce_add_ps(vs));
  for (size_t n = 0; n < N; n += 16) {
    const __mmask16 m = orthoconv_avx512_mask(N - n);
    _mm512_mask_storeu_ps(y + n, m, _mm512_div_ps(_mm512_maskz_loadu_ps(m, y + n), s));
  }
}
#endif
