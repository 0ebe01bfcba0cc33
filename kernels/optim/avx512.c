/* AVX-512 optimizer steps. Operations in the reference's order, as separate
 * multiplies and adds (no FMA), so results are bit-identical to the scalar
 * reference kernels, which are built without contraction (ISO C mode).
 * The K x N arrays are walked as one flat run of 16-float vectors, whatever N is.
 * With a mask, lane l of the vector at flat index f trains when filter
 * (f + l) mod N does. Vector i starts at filter 16 i mod N, so the masks repeat
 * every N / gcd(N, 16) vectors: one period of them is worked out per call (a
 * compare of 16 bytes of trainable repeated past its end, at each vector's
 * phase), and the walk reads them from that table. All stores are masked with
 * them, so frozen w, velocity, m and v are never written (not even with their
 * own value), and a vector with no trainable lane is skipped. With the mask
 * worked out per vector instead (load, compare, phase update), SGD with 5 of
 * 10 filters frozen took 1.03-1.20x the all-trainable time on the Xeon and
 * 1.36x on Zen 5; from the table, 1.01-1.04x on the Xeon (old and new kernel
 * in one process: 1.03-1.06x at K x N = 1024 x 10, 512 x 16, 1024 x 7, 1.8x at
 * 100 x 3, all-trainable unchanged). Memory-bound on any core. */
#include <math.h>
#include "ukernel_decls.h"
#include "avx512_ops.h"

#define OC_INLINE ORTHOCONV_AVX512_OPS_INLINE
#define OPT_NMAX 1024 /* flat walk up to this N (repeat buffer on the stack) */
#define OPT_STEP 16 /* floats a vector */

/* The masks of one period of the flat walk into mk (at most OPT_NMAX); returns
 * the period. NULL trainable: one all-ones mask. */
static size_t opt_masks(const unsigned char *trainable, size_t N, __mmask16 *mk) {
  if (!trainable) {
    mk[0] = 0xffff;
    return 1;
  }
  unsigned char rep[OPT_NMAX + 16]; /* rep[i] = trainable[i mod N], i < N + 16 */
  for (size_t i = 0; i < N + 16; i += N)
    for (size_t j = 0; j < N && i + j < N + 16; j++) rep[i + j] = trainable[j];
  size_t g = 1; /* gcd(N, 16) */
  while (g < 16 && N % (2 * g) == 0) g *= 2;
  const size_t period = N / g;
  const size_t step = OPT_STEP % N;
  size_t phase = 0;
  for (size_t p = 0; p < period; p++) {
    const __m128i b = _mm_loadu_si128((const __m128i *)(rep + phase));
    mk[p] = _mm_cmpneq_epi8_mask(b, _mm_setzero_si128());
    phase += step; /* (phase + 16) mod N */
    if (phase >= N) phase -= N;
  }
  return period;
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
    size_t N, float *w, const float *grad, float *vel, const __mmask16 *mask, size_t period) {
  const __m512 lr = _mm512_set1_ps(opt->lr), mu = _mm512_set1_ps(opt->momentum),
               wd = _mm512_set1_ps(opt->weight_decay);
  const size_t n = K * N;
  size_t j = 0;
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 mk = mask[j] & orthoconv_avx512_ops_tail(n - i);
    if (++j == period) j = 0;
    if (mk) sgd_vec(MOM, NEST, lr, mu, wd, w + i, grad + i, MOM ? vel + i : NULL, mk);
  }
}

static void sgd_run_00(const orthoconv_sgd *o, size_t K, size_t N, float *w, const float *g,
    float *v, const __mmask16 *m, size_t p) { sgd_run(0, 0, o, K, N, w, g, v, m, p); }
static void sgd_run_10(const orthoconv_sgd *o, size_t K, size_t N, float *w, const float *g,
    float *v, const __mmask16 *m, size_t p) { sgd_run(1, 0, o, K, N, w, g, v, m, p); }
static void sgd_run_11(const orthoconv_sgd *o, size_t K, size_t N, float *w, const float *g,
    float *v, const __mmask16 *m, size_t p) { sgd_run(1, 1, o, K, N, w, g, v, m, p); }

void orthoconv_sgd_ukernel_1x16__avx512_flat(const orthoconv_sgd *opt, size_t K, size_t N,
    float *w, const float *grad, float *velocity, const unsigned char *trainable,
    const int *t) {
  (void)t;
  void (*run)(const orthoconv_sgd *, size_t, size_t, float *, const float *, float *,
      const __mmask16 *, size_t) = opt->momentum == 0.0f ? sgd_run_00 : opt->nesterov ? sgd_run_11 : sgd_run_10;
  if (!trainable || N <= OPT_NMAX) {
    __mmask16 mask[OPT_NMAX];
    run(opt, K, N, w, grad, velocity, mask, opt_masks(trainable, N, mask));
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
  if (!trainable || N <= OPT_NMAX) {
    __mmask16 mask[OPT_NMAX];
    const size_t period = opt_masks(trainable, N, mask);
    size_t j = 0;
    for (size_t i = 0; i < n; i += 16) {
      const __mmask16 mk = mask[j] & orthoconv_avx512_ops_tail(n - i);
      if (++j == period) j = 0;
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
