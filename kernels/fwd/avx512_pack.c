/* AVX-512 K16 block packing for the forward driver's on-the-fly path
 * (orthoconv_forward on W as given): each 16 k x nc block of W is a 16 x 16
 * transpose in registers. Row j of the block is one masked load (columns past nc
 * read as zero, the pad the layout wants), then three rounds of in-lane and
 * across-lane shuffles; only the nr output vectors are stored. At K = 1024,
 * N = 10 a whole W took 1.3 us against 2.6 for the scalar loop (Intel Xeon),
 * which stores one float at a time: packing is then about 10% of a 64-row
 * block's work instead of 20%. */
#include <immintrin.h>
#include "pack.h"

static void transpose_block(const float *r, size_t N, size_t rows, __mmask16 cm, size_t nr, float *p) {
  __m512 v[16], t[16], u[16];
  /* rows past the block's end: no lane loaded, from its first row (no pointer past W) */
#pragma GCC unroll 16
  for (size_t j = 0; j < 16; j++) v[j] = _mm512_maskz_loadu_ps(j < rows ? cm : 0, r + (j < rows ? j : 0) * N);
  /* t: in each 128-bit lane, rows 2i and 2i + 1 interleaved, columns 0-1 | 2-3 */
#pragma GCC unroll 8
  for (int j = 0; j < 16; j += 2) {
    t[j] = _mm512_unpacklo_ps(v[j], v[j + 1]);
    t[j + 1] = _mm512_unpackhi_ps(v[j], v[j + 1]);
  }
  /* u[4g + c]: in lane L, rows 4g..4g+3 of column 4L + c */
#pragma GCC unroll 4
  for (int j = 0; j < 16; j += 4) {
    u[j] = _mm512_shuffle_ps(t[j], t[j + 2], 0x44);
    u[j + 1] = _mm512_shuffle_ps(t[j], t[j + 2], 0xee);
    u[j + 2] = _mm512_shuffle_ps(t[j + 1], t[j + 3], 0x44);
    u[j + 3] = _mm512_shuffle_ps(t[j + 1], t[j + 3], 0xee);
  }
  /* columns c, 4 + c, 8 + c, 12 + c: the lanes L = 0..3 of u[c], u[4 + c], ... gathered */
  for (size_t c = 0; c < 4 && c < nr; c++) {
    const __m512 b0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88), b1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xdd);
    const __m512 b2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88), b3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xdd);
    _mm512_storeu_ps(p + 16 * c, _mm512_shuffle_f32x4(b0, b2, 0x88));
    if (4 + c < nr) _mm512_storeu_ps(p + 16 * (4 + c), _mm512_shuffle_f32x4(b1, b3, 0x88));
    if (8 + c < nr) _mm512_storeu_ps(p + 16 * (8 + c), _mm512_shuffle_f32x4(b0, b2, 0xdd));
    if (12 + c < nr) _mm512_storeu_ps(p + 16 * (12 + c), _mm512_shuffle_f32x4(b1, b3, 0xdd));
  }
}

void orthoconv_pack_k16_block__avx512(const float *w, size_t N, size_t k0, size_t kl, size_t n0, size_t nc,
    size_t nr, float *p) {
  if (nr > 16) {
    orthoconv_pack_k16_block__scalar(w, N, k0, kl, n0, nc, nr, p);
    return;
  }
  const __mmask16 cm = (__mmask16)((1u << nc) - 1u); /* nc <= nr <= 16 */
  for (size_t kb = 0; 16 * kb < kl; kb++, p += 16 * nr) {
    const size_t rows = kl - 16 * kb < 16 ? kl - 16 * kb : 16;
    transpose_block(w + (k0 + 16 * kb) * N + n0, N, rows, cm, nr, p);
  }
}
