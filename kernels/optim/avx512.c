/* AVX-512 optimizer steps. Operations in the reference's order, as separate
 * multiplies and adds (no FMA), so results are bit-identical to the scalar
 * reference kernels, which are built without contraction (ISO C mode).
 * The K x N arrays are walked as one flat run of 16-float vectors, whatever N is.
 * With a mask, lane l of the vector at flat index f trains when filter
 * (f + l) mod N does: the mask comes from a byte copy of trainable repeated past
 * its end, read at offset f mod N, and all stores are masked with it, so frozen
 * w, velocity, m and v are never written (not even with their own value), and
 * a vector with no trainable lane is skipped. Memory-bound on any core. */
#include <math.h>
#include "ukernel_decls.h"
#include "avx512_ops.h"

#define OC_INLINE ORTHOCONV_AVX512_OPS_INLINE
#define OPT_NMAX 1024 /* flat walk up to this N (repeat buffer on the stack) */
#define OPT_STEP 16 /* floats a vector */

/* rep[i] = trainable[i mod N] for i < N + 16. */
static void opt_repeat(const unsigned char *trainable, size_t N, unsigned char *rep) {
  for (size_t i = 0; i < N + 16; i++) rep[i] = trainable[i % N];
}

OC_INLINE __mmask16 opt_mask(const unsigned char *rep, size_t phase, __mmask16 in) {
  const __m128i b = _mm_loadu_si128((const __m128i *)(rep + phase));
  return _mm_mask_cmpneq_epi8_mask(in, b, _mm_setzero_si128());
}

/* ------------------------------------------------------------------------ SGD -- */

OC_INLINE void sgd_vec(const int MOM, const int NEST, __m512 lr, __m512 mu, __m512 wd,
    float *w, const float *grad, float *vel, __mmask16 mk) {
  const __m512 wv = _mm512_maskz_loadu_ps(mk, w);
  __m512 g = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, grad), _mm512_mul_ps(wd, wv));
  if (MOM) {
    const __m512 v = _mm512_add_ps(_mm512_mul_ps(mu, _mm512_maskz_loadu_ps(mk, vel)), g);
    _mm512_mask_storeu_ps(vel, mk, v);
    g = NEST ? _mm512_add_ps(g, _mm512_mul_ps(mu, v)) : v;
  }
  _mm512_mask_storeu_ps(w, mk, _mm512_sub_ps(wv, _mm512_mul_ps(lr, g)));
}

OC_INLINE void sgd_run(const int MOM, const int NEST, const orthoconv_sgd *opt, size_t K,
    size_t N, float *w, const float *grad, float *vel, const unsigned char *rep) {
  const __m512 lr = _mm512_set1_ps(opt->lr), mu = _mm512_set1_ps(opt->momentum),
               wd = _mm512_set1_ps(opt->weight_decay);
  const size_t n = K * N;
  size_t phase = 0;
  const size_t step = rep ? OPT_STEP % N : 0;
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 mk = orthoconv_avx512_ops_tail(n - i);
    if (rep) {
      mk = opt_mask(rep, phase, mk);
      phase += step; /* (phase + 16) mod N without a division in the loop */
      if (phase >= N) phase -= N;
      if (!mk) continue;
    }
    sgd_vec(MOM, NEST, lr, mu, wd, w + i, grad + i, MOM ? vel + i : NULL, mk);
  }
}

static void sgd_run_00(const orthoconv_sgd *o, size_t K, size_t N, float *w, const float *g,
    float *v, const unsigned char *r) { sgd_run(0, 0, o, K, N, w, g, v, r); }
static void sgd_run_10(const orthoconv_sgd *o, size_t K, size_t N, float *w, const float *g,
    float *v, const unsigned char *r) { sgd_run(1, 0, o, K, N, w, g, v, r); }
static void sgd_run_11(const orthoconv_sgd *o, size_t K, size_t N, float *w, const float *g,
    float *v, const unsigned char *r) { sgd_run(1, 1, o, K, N, w, g, v, r); }

void orthoconv_sgd_ukernel_1x16__avx512_flat(const orthoconv_sgd *opt, size_t K, size_t N,
    float *w, const float *grad, float *velocity, const unsigned char *trainable,
    const int *t) {
  (void)t;
  void (*run)(const orthoconv_sgd *, size_t, size_t, float *, const float *, float *,
      const unsigned char *) = opt->momentum == 0.0f ? sgd_run_00 : opt->nesterov ? sgd_run_11 : sgd_run_10;
  if (!trainable) {
    run(opt, K, N, w, grad, velocity, NULL);
  } else if (N <= OPT_NMAX) {
    unsigned char rep[OPT_NMAX + 16];
    opt_repeat(trainable, N, rep);
    run(opt, K, N, w, grad, velocity, rep);
  } else { /* wide rows: row by row, 16 filters at a time */
    const __m512 lr = _mm512_set1_ps(opt->lr), mu = _mm512_set1_ps(opt->momentum),
                 wd = _mm512_set1_ps(opt->weight_decay);
    for (size_t k = 0; k < K; k++)
      for (size_t n0 = 0; n0 < N; n0 += 16) {
        const __mmask16 mk = orthoconv_avx512_ops_live(trainable, n0, N - n0);
        if (!mk) continue;
        const size_t i = k * N + n0;
        if (opt->momentum == 0.0f) sgd_vec(0, 0, lr, mu, wd, w + i, grad + i, NULL, mk);
        else if (opt->nesterov) sgd_vec(1, 1, lr, mu, wd, w + i, grad + i, velocity + i, mk);
        else sgd_vec(1, 0, lr, mu, wd, w + i, grad + i, velocity + i, mk);
      }
  }
}

/* ---------------------------------------------------------------------- AdamW -- */

typedef struct adamw_consts {
  __m512 b1, b2, one_b1, one_b2, decay, step, bc2, eps;
} adamw_consts;

OC_INLINE void adamw_vec(const adamw_consts *q, float *w, const float *grad, float *m,
    float *v, __mmask16 mk) {
  const __m512 g = _mm512_maskz_loadu_ps(mk, grad);
  const __m512 mi = _mm512_add_ps(_mm512_mul_ps(q->b1, _mm512_maskz_loadu_ps(mk, m)), _mm512_mul_ps(q->one_b1, g));
  const __m512 vi = _mm512_add_ps(_mm512_mul_ps(q->b2, _mm512_maskz_loadu_ps(mk, v)),
                                  _mm512_mul_ps(_mm512_mul_ps(q->one_b2, g), g));
  _mm512_mask_storeu_ps(m, mk, mi);
  _mm512_mask_storeu_ps(v, mk, vi);
  const __m512 den = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), q->bc2), q->eps);
  const __m512 upd = _mm512_div_ps(_mm512_mul_ps(q->step, mi), den);
  _mm512_mask_storeu_ps(w, mk, _mm512_sub_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, w), q->decay), upd));
}

void orthoconv_adamw_ukernel_1x16__avx512_flat(const orthoconv_adamw *opt, float step_size,
    float bc2_sqrt, size_t K, size_t N, float *w, const float *grad, float *m, float *v,
    const unsigned char *trainable, const int *t) {
  (void)t;
  const float b1 = opt->beta1, b2 = opt->beta2;
  adamw_consts q;
  q.b1 = _mm512_set1_ps(b1);
  q.b2 = _mm512_set1_ps(b2);
  q.one_b1 = _mm512_set1_ps(1.0f - b1);
  q.one_b2 = _mm512_set1_ps(1.0f - b2);
  q.decay = _mm512_set1_ps(1.0f - opt->lr * opt->weight_decay);
  q.step = _mm512_set1_ps(step_size);
  q.bc2 = _mm512_set1_ps(bc2_sqrt);
  q.eps = _mm512_set1_ps(opt->eps);
  const size_t n = K * N;
  if (!trainable) {
    for (size_t i = 0; i < n; i += 16) adamw_vec(&q, w + i, grad + i, m + i, v + i, orthoconv_avx512_ops_tail(n - i));
  } else if (N <= OPT_NMAX) {
    unsigned char rep[OPT_NMAX + 16];
    opt_repeat(trainable, N, rep);
    size_t phase = 0;
    const size_t step = OPT_STEP % N;
    for (size_t i = 0; i < n; i += 16) {
      const __mmask16 mk = opt_mask(rep, phase, orthoconv_avx512_ops_tail(n - i));
      phase += step; /* (phase + 16) mod N without a division in the loop */
      if (phase >= N) phase -= N;
      if (mk) adamw_vec(&q, w + i, grad + i, m + i, v + i, mk);
    }
  } else {
    for (size_t k = 0; k < K; k++)
      for (size_t n0 = 0; n0 < N; n0 += 16) {
        const __mmask16 mk = orthoconv_avx512_ops_live(trainable, n0, N - n0);
        const size_t i = k * N + n0;
        if (mk) adamw_vec(&q, w + i, grad + i, m + i, v + i, mk);
      }
  }
}
