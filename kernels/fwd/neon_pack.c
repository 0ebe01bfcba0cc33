/* NEON K16 block packing for the forward driver's on-the-fly path (see
 * avx512_pack.c): each 16 k x nc block of W as 4 x 4 register transposes, four
 * rows by four columns at a time (columns past nc and rows past the block read as
 * zero, the pad the layout wants, and never loaded). Written for Neoverse cores;
 * not measured on Arm hardware (qemu runs its tests). */
#include "pack.h"
#include "neon_util.h"

void orthoconv_pack_k16_block__neon(const float *w, size_t N, size_t k0, size_t kl, size_t n0, size_t nc,
    size_t nr, float *p) {
  for (size_t kb = 0; 16 * kb < kl; kb++, p += 16 * nr) {
    const size_t rows = kl - 16 * kb < 16 ? kl - 16 * kb : 16;
    const float *r = w + (k0 + 16 * kb) * N + n0;
    for (size_t c0 = 0; c0 < nr; c0 += 4) {
      const size_t cn = c0 < nc ? (nc - c0 < 4 ? nc - c0 : 4) : 0; /* columns loaded */
      for (size_t j0 = 0; j0 < 16; j0 += 4) {
        float32x4_t v[4];
        for (size_t j = 0; j < 4; j++)
          v[j] = j0 + j < rows && cn ? orthoconv_neon_ld_part(r + (j0 + j) * N + c0, cn) : vdupq_n_f32(0.0f);
        /* rows 0-1 and 2-3 interleaved by pairs of columns, then by halves */
        const float32x4_t t0 = vtrn1q_f32(v[0], v[1]), t1 = vtrn2q_f32(v[0], v[1]);
        const float32x4_t t2 = vtrn1q_f32(v[2], v[3]), t3 = vtrn2q_f32(v[2], v[3]);
        const float32x4_t col[4] = {
          vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2))),
          vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3))),
          vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2))),
          vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3))),
        };
        for (size_t c = 0; c < 4 && c0 + c < nr; c++) vst1q_f32(p + 16 * (c0 + c) + j0, col[c]);
      }
    }
  }
}
