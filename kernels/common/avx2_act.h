/* AVX2+FMA activation epilogues. Include only from files compiled with the AVX2
 * flags: the SLEEF calls and intrinsics below must never be compiled under
 * another flag set (see DESIGN.md, "Compiling per ISA"). */
#ifndef ORTHOCONV_AVX2_ACT_H
#define ORTHOCONV_AVX2_ACT_H
#include <immintrin.h>
#include <stddef.h>
#include <sleef.h>
#include "orthoconv.h"

/* Lanes [0, n) all-ones (n clamped to 0..8), for vmaskmov loads and stores,
 * which never touch memory of a cleared lane. */
static inline __m256i orthoconv_avx2_mask(size_t n) {
  const int c = n >= 8 ? 8 : (int)n;
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline float orthoconv_avx2_hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

static inline float orthoconv_avx2_hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* Element-wise activations (everything but softmax); real divisions, so the
 * result stays within SLEEF's u10. */
static inline __m256 orthoconv_avx2_act_elem(__m256 v, orthoconv_activation act) {
  switch (act) {
  case ORTHOCONV_ACT_RELU:
    /* maxps returns its second operand unless the first is greater: 0 > v ? 0 : v,
     * bit for bit the reference's v < 0 ? 0 : v (NaN and -0 pass through) */
    return _mm256_max_ps(_mm256_setzero_ps(), v);
  case ORTHOCONV_ACT_SIGMOID: {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 e = Sleef_expf8_u10avx2(_mm256_sub_ps(_mm256_setzero_ps(), v));
    return _mm256_div_ps(one, _mm256_add_ps(one, e));
  }
  case ORTHOCONV_ACT_TANH:
    return Sleef_tanhf8_u10avx2(v);
  case ORTHOCONV_ACT_GELU: {
    const __m256 e = Sleef_erff8_u10avx2(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)));
    const __m256 r = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    /* -Inf: the limit -0, not the formula's -Inf * 0 = NaN */
    const __m256 ninf = _mm256_cmp_ps(v, _mm256_set1_ps(-__builtin_inff()), _CMP_EQ_OQ);
    return _mm256_blendv_ps(r, _mm256_set1_ps(-0.0f), ninf);
  }
  default:
    return v;
  }
}

/* y[0..N) = act(y[0..N) + bias[0..N)) in place; bias may be NULL. */
static inline void orthoconv_avx2_bias_act_row(float *y, const float *bias, size_t N,
    orthoconv_activation act) {
  if (act != ORTHOCONV_ACT_SOFTMAX) {
    if (!bias && act == ORTHOCONV_ACT_NONE) return;
    for (size_t n = 0; n < N; n += 8) {
      const __m256i m = orthoconv_avx2_mask(N - n);
      __m256 v = _mm256_maskload_ps(y + n, m);
      if (bias) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + n, m));
      _mm256_maskstore_ps(y + n, m, orthoconv_avx2_act_elem(v, act));
    }
    return;
  }
  /* Softmax: the row maximum is subtracted first so that no exponent is positive. */
  const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
  __m256 vmx = ninf;
  for (size_t n = 0; n < N; n += 8) {
    const __m256i m = orthoconv_avx2_mask(N - n);
    __m256 v = _mm256_maskload_ps(y + n, m);
    if (bias) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + n, m));
    _mm256_maskstore_ps(y + n, m, v);
    vmx = _mm256_max_ps(vmx, _mm256_blendv_ps(ninf, v, _mm256_castsi256_ps(m)));
  }
  const __m256 mx = _mm256_set1_ps(orthoconv_avx2_hmax(vmx));
  __m256 vs = _mm256_setzero_ps();
  for (size_t n = 0; n < N; n += 8) {
    const __m256i m = orthoconv_avx2_mask(N - n);
    const __m256 e = _mm256_and_ps(_mm256_castsi256_ps(m),
        Sleef_expf8_u10avx2(_mm256_sub_ps(_mm256_maskload_ps(y + n, m), mx)));
    vs = _mm256_add_ps(vs, e);
    _mm256_maskstore_ps(y + n, m, e);
  }
  const __m256 s = _mm256_set1_ps(orthoconv_avx2_hsum(vs));
  for (size_t n = 0; n < N; n += 8) {
    const __m256i m = orthoconv_avx2_mask(N - n);
    _mm256_maskstore_ps(y + n, m, _mm256_div_ps(_mm256_maskload_ps(y + n, m), s));
  }
}
#endif
