/* AVX2 optimizer steps: kernels/optim/avx512.c on 8-float vectors. Separate
 * multiplies and adds in the reference's order (bit-identical to scalar); flat
 * walk of the K x N arrays with lane masks from a repeated copy of trainable.
 * A vector with every lane live is stored plainly, a mixed one with vmaskmov
 * (no clear lane written), so frozen w, velocity, m, v stay untouched. Frozen
 * lanes are read, though, with plain loads: masked loads of the mixed vectors
 * and stores recomputing their mask from its bits made SGD with 5 of 10
 * filters frozen 2.7x the all-trainable time (Xeon model 207), now 1.8x. */
#include <math.h>
#include "ukernel_decls.h"
#include "avx2_ops.h"

#define OC_INLINE ORTHOCONV_AVX2_OPS_INLINE
#define OPT_NMAX 1024
#define OPT_STEP 8 /* floats a vector */

static void opt_repeat(const unsigned char *trainable, size_t N, unsigned char *rep) {
  for (size_t i = 0; i < N + 8; i++) rep[i] = trainable[i % N];
}

/* Lanes whose rep byte is nonzero, within the tail mask in. */
OC_INLINE __m256i opt_mask(const unsigned char *rep, size_t phase, __m256i in) {
  const __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(rep + phase)));
  return _mm256_andnot_si256(_mm256_cmpeq_epi32(b, _mm256_setzero_si256()), in);
}

/* Loads read frozen lanes too (their results are never stored): plain loads for
 * every vector inside the array, a masked one only for its last, partial vector. */
OC_INLINE __m256 ld(const float *p, __m256i mk, int inside) {
  return inside ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mk);
}
/* A mixed vector by vmaskmov, which writes no clear lane. (The lane-by-lane
 * loop this replaced was turned into vmaskmov stores by GCC anyway; stores of
 * lane pairs chosen by a branch each ran 1.8-2.7x slower on the Xeon.) */
OC_INLINE void st(float *p, __m256i mk, int full, __m256 v) {
  if (full) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, mk, v);
}

/* ------------------------------------------------------------------------ SGD -- */

OC_INLINE void sgd_vec(const orthoconv_sgd *opt, float *w, const float *grad, float *vel,
    __m256i mk, int full, int inside) {
  const __m256 lr = _mm256_set1_ps(opt->lr), mu = _mm256_set1_ps(opt->momentum),
               wd = _mm256_set1_ps(opt->weight_decay);
  const __m256 wv = ld(w, mk, inside);
  __m256 g = _mm256_add_ps(ld(grad, mk, inside), _mm256_mul_ps(wd, wv));
  if (opt->momentum != 0.0f) {
    const __m256 v = _mm256_add_ps(_mm256_mul_ps(mu, ld(vel, mk, inside)), g);
    st(vel, mk, full, v);
    g = opt->nesterov ? _mm256_add_ps(g, _mm256_mul_ps(mu, v)) : v;
  }
  st(w, mk, full, _mm256_sub_ps(wv, _mm256_mul_ps(lr, g)));
}

void orthoconv_sgd_ukernel_1x8__avx2_flat(const orthoconv_sgd *opt, size_t K, size_t N,
    float *w, const float *grad, float *velocity, const unsigned char *trainable,
    const int *t) {
  (void)t;
  const size_t n = K * N;
  if (!trainable) {
    for (size_t i = 0; i < n; i += 8)
      sgd_vec(opt, w + i, grad + i, opt->momentum != 0.0f ? velocity + i : NULL, orthoconv_avx2_ops_tail(n - i), n - i >= 8, n - i >= 8);
  } else if (N <= OPT_NMAX) {
    unsigned char rep[OPT_NMAX + 8];
    opt_repeat(trainable, N, rep);
    size_t phase = 0;
    const size_t step = OPT_STEP % N;
    for (size_t i = 0; i < n; i += 8) {
      const __m256i mk = opt_mask(rep, phase, orthoconv_avx2_ops_tail(n - i));
      phase += step; /* (phase + 8) mod N without a division in the loop */
      if (phase >= N) phase -= N;
      const int bits = orthoconv_avx2_ops_bits(mk);
      if (bits) sgd_vec(opt, w + i, grad + i, opt->momentum != 0.0f ? velocity + i : NULL, mk, bits == 0xff, n - i >= 8);
    }
  } else {
    for (size_t k = 0; k < K; k++)
      for (size_t n0 = 0; n0 < N; n0 += 8) {
        const __m256i mk = orthoconv_avx2_ops_live(trainable, n0, N - n0);
        const int bits = orthoconv_avx2_ops_bits(mk);
        const size_t i = k * N + n0;
        if (bits) sgd_vec(opt, w + i, grad + i, opt->momentum != 0.0f ? velocity + i : NULL, mk, bits == 0xff, N - n0 >= 8);
      }
  }
}

/* ---------------------------------------------------------------------- AdamW -- */

typedef struct adamw_consts {
  __m256 b1, b2, one_b1, one_b2, decay, step, bc2, eps;
} adamw_consts;

OC_INLINE void adamw_vec(const adamw_consts *q, float *w, const float *grad, float *m,
    float *v, __m256i mk, int full, int inside) {
  const __m256 g = ld(grad, mk, inside);
  const __m256 mi = _mm256_add_ps(_mm256_mul_ps(q->b1, ld(m, mk, inside)), _mm256_mul_ps(q->one_b1, g));
  const __m256 vi = _mm256_add_ps(_mm256_mul_ps(q->b2, ld(v, mk, inside)), _mm256_mul_ps(_mm256_mul_ps(q->one_b2, g), g));
  st(m, mk, full, mi);
  st(v, mk, full, vi);
  const __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), q->bc2), q->eps);
  const __m256 upd = _mm256_div_ps(_mm256_mul_ps(q->step, mi), den);
  st(w, mk, full, _mm256_sub_ps(_mm256_mul_ps(ld(w, mk, inside), q->decay), upd));
}

void orthoconv_adamw_ukernel_1x8__avx2_flat(const orthoconv_adamw *opt, float step_size,
    float bc2_sqrt, size_t K, size_t N, float *w, const float *grad, float *m, float *v,
    const unsigned char *trainable, const int *t) {
  (void)t;
  const float b1 = opt->beta1, b2 = opt->beta2;
  adamw_consts q;
  q.b1 = _mm256_set1_ps(b1);
  q.b2 = _mm256_set1_ps(b2);
  q.one_b1 = _mm256_set1_ps(1.0f - b1);
  q.one_b2 = _mm256_set1_ps(1.0f - b2);
  q.decay = _mm256_set1_ps(1.0f - opt->lr * opt->weight_decay);
  q.step = _mm256_set1_ps(step_size);
  q.bc2 = _mm256_set1_ps(bc2_sqrt);
  q.eps = _mm256_set1_ps(opt->eps);
  const size_t n = K * N;
  if (!trainable) {
    for (size_t i = 0; i < n; i += 8)
      adamw_vec(&q, w + i, grad + i, m + i, v + i, orthoconv_avx2_ops_tail(n - i), n - i >= 8, n - i >= 8);
  } else if (N <= OPT_NMAX) {
    unsigned char rep[OPT_NMAX + 8];
    opt_repeat(trainable, N, rep);
    size_t phase = 0;
    const size_t step = OPT_STEP % N;
    for (size_t i = 0; i < n; i += 8) {
      const __m256i mk = opt_mask(rep, phase, orthoconv_avx2_ops_tail(n - i));
      phase += step; /* (phase + 8) mod N without a division in the loop */
      if (phase >= N) phase -= N;
      const int bits = orthoconv_avx2_ops_bits(mk);
      if (bits) adamw_vec(&q, w + i, grad + i, m + i, v + i, mk, bits == 0xff, n - i >= 8);
    }
  } else {
    for (size_t k = 0; k < K; k++)
      for (size_t n0 = 0; n0 < N; n0 += 8) {
        const __m256i mk = orthoconv_avx2_ops_live(trainable, n0, N - n0);
        const int bits = orthoconv_avx2_ops_bits(mk);
        const size_t i = k * N + n0;
        if (bits) adamw_vec(&q, w + i, grad + i, m + i, v + i, mk, bits == 0xff, N - n0 >= 8);
      }
  }
}
