/* NEON optimizer steps. Operations in the reference's order, as separate
 * multiplies and adds (no FMA contraction), so results are bit-identical to the
 * scalar reference kernels, which are built without contraction (ISO C mode).
 * Without a mask the K x N arrays are walked as one flat run of vectors. With a
 * mask, row by row: a vector of 4 filters that are all frozen is skipped, and in
 * a vector that mixes both only the trainable lanes are stored, so frozen w,
 * velocity, m and v are never written (not even with their own value).
 * Memory-bound on any core; unmeasured on Arm hardware. */
#include "ukernel_decls.h"
#include "neon_util.h"

/* Bit l set: lane l of the vector at column n0 (c real lanes) trains. */
ORTHOCONV_NEON_INLINE unsigned optim_live(const unsigned char *trainable, size_t n0, size_t c) {
  unsigned live = 0;
  for (size_t l = 0; l < c; l++) live |= (unsigned)(trainable[n0 + l] != 0) << l;
  return live;
}

/* Stores lanes of v whose bit is set in live (all c lanes when live is full). */
ORTHOCONV_NEON_INLINE void optim_store(float *p, float32x4_t v, size_t c, unsigned live) {
  if (live == (1u << c) - 1) {
    orthoconv_neon_st_part(p, v, c);
    return;
  }
  float s[4];
  vst1q_f32(s, v);
  for (size_t l = 0; l < c; l++)
    if (live >> l & 1u) p[l] = s[l];
}

/* ------------------------------------------------------------------------ SGD -- */

ORTHOCONV_NEON_INLINE void sgd_vec(const orthoconv_sgd *opt, float *w, const float *grad,
    float *vel, size_t c, unsigned live) {
  const float32x4_t wv = orthoconv_neon_ld_part(w, c);
  float32x4_t g = vaddq_f32(orthoconv_neon_ld_part(grad, c), vmulq_n_f32(wv, opt->weight_decay));
  if (opt->momentum != 0.0f) {
    const float32x4_t v = vaddq_f32(vmulq_n_f32(orthoconv_neon_ld_part(vel, c), opt->momentum), g);
    optim_store(vel, v, c, live);
    g = opt->nesterov ? vaddq_f32(g, vmulq_n_f32(v, opt->momentum)) : v;
  }
  optim_store(w, vsubq_f32(wv, vmulq_n_f32(g, opt->lr)), c, live);
}

void orthoconv_sgd_ukernel_1x4__neon_vec(const orthoconv_sgd *opt, size_t K, size_t N,
    float *w, const float *grad, float *velocity, const unsigned char *trainable,
    const int *t) {
  (void)t;
  if (!trainable) {
    const size_t n = K * N;
    for (size_t i = 0; i < n; i += 4) {
      const size_t c = orthoconv_neon_lanes(n, i);
      sgd_vec(opt, w + i, grad + i, opt->momentum != 0.0f ? velocity + i : NULL, c, (1u << c) - 1);
    }
    return;
  }
  for (size_t k = 0; k < K; k++)
    for (size_t n0 = 0; n0 < N; n0 += 4) {
      const size_t c = orthoconv_neon_lanes(N, n0), i = k * N + n0;
      const unsigned live = optim_live(trainable, n0, c);
      if (live) sgd_vec(opt, w + i, grad + i, opt->momentum != 0.0f ? velocity + i : NULL, c, live);
    }
}

/* ---------------------------------------------------------------------- AdamW -- */

typedef struct adamw_consts {
  float32x4_t b1, b2, one_b1, one_b2, decay, step, bc2, eps;
} adamw_consts;

ORTHOCONV_NEON_INLINE void adamw_vec(const adamw_consts *q, float *w, const float *grad,
    float *m, float *v, size_t c, unsigned live) {
  const float32x4_t g = orthoconv_neon_ld_part(grad, c);
  const float32x4_t mi = vaddq_f32(vmulq_f32(q->b1, orthoconv_neon_ld_part(m, c)), vmulq_f32(q->one_b1, g));
  const float32x4_t vi = vaddq_f32(vmulq_f32(q->b2, orthoconv_neon_ld_part(v, c)), vmulq_f32(vmulq_f32(q->one_b2, g), g));
  optim_store(m, mi, c, live);
  optim_store(v, vi, c, live);
  const float32x4_t den = vaddq_f32(vdivq_f32(vsqrtq_f32(vi), q->bc2), q->eps);
  const float32x4_t upd = vdivq_f32(vmulq_f32(q->step, mi), den);
  optim_store(w, vsubq_f32(vmulq_f32(orthoconv_neon_ld_part(w, c), q->decay), upd), c, live);
}

void orthoconv_adamw_ukernel_1x4__neon_vec(const orthoconv_adamw *opt, float step_size,
    float bc2_sqrt, size_t K, size_t N, float *w, const float *grad, float *m, float *v,
    const unsigned char *trainable, const int *t) {
  (void)t;
  const float b1 = opt->beta1, b2 = opt->beta2;
  const adamw_consts q = {
    vdupq_n_f32(b1), vdupq_n_f32(b2), vdupq_n_f32(1.0f - b1), vdupq_n_f32(1.0f - b2),
    vdupq_n_f32(1.0f - opt->lr * opt->weight_decay), vdupq_n_f32(step_size),
    vdupq_n_f32(bc2_sqrt), vdupq_n_f32(opt->eps),
  };
  if (!trainable) {
    const size_t n = K * N;
    for (size_t i = 0; i < n; i += 4) {
      const size_t c = orthoconv_neon_lanes(n, i);
      adamw_vec(&q, w + i, grad + i, m + i, v + i, c, (1u << c) - 1);
    }
    return;
  }
  for (size_t k = 0; k < K; k++)
    for (size_t n0 = 0; n0 < N; n0 += 4) {
      const size_t c = orthoconv_neon_lanes(N, n0), i = k * N + n0;
      const unsigned live = optim_live(trainable, n0, c);
      if (live) adamw_vec(&q, w + i, grad + i, m + i, v + i, c, live);
    }
}
