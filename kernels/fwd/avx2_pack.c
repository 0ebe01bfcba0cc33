/* AVX2 K16 block packing for the forward driver's on-the-fly path (see
 * avx512_pack.c): each 16 k x nc block of W as 8 x 8 register transposes, rows
 * 0-7 and 8-15 of the block by columns 0-7 and 8-15. Row j of a transpose is one
 * masked load (columns past nc read as zero, the pad the layout wants). */
#include <immintrin.h>
#include "pack.h"

/* Columns c0 .. c0 + 7 of rows 0 .. 7 of r (zero past rows) into p[16 c + j],
 * c < cn only. */
__attribute__((noinline)) static void transpose8(const float *r, size_t N, size_t rows, __m256i cm, size_t cn, float *p) {
  __m256 v[8], t[8], s[8];
  for (size_t j = 0; j < 8; j++)
    v[j] = j < rows ? _mm256_maskload_ps(r + j * N, cm) : _mm256_setzero_ps();
  for (int j = 0; j < 8; j += 2) {
    t[j] = _mm256_unpacklo_ps(v[j], v[j + 1]);
    t[j + 1] = _mm256_unpackhi_ps(v[j], v[j + 1]);
  }
  for (int j = 0; j < 8; j += 4) {
    s[j] = _mm256_shuffle_ps(t[j], t[j + 2], 0x44);
    s[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], 0xee);
    s[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0x44);
    s[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0xee);
  }
  /* s[c], s[4 + c]: column c (low 128-bit lanes) and 4 + c (high) of rows 0-3, 4-7 */
  for (size_t c = 0; c < 4 && c < cn; c++) {
    _mm256_storeu_ps(p + 16 * c, _mm256_permute2f128_ps(s[c], s[4 + c], 0x20));
    if (4 + c < cn) _mm256_storeu_ps(p + 16 * (4 + c), _mm256_permute2f128_ps(s[c], s[4 + c], 0x31));
  }
}

void orthoconv_pack_k16_block__avx2(const float *w, size_t N, size_t k0, size_t kl, size_t n0, size_t nc,
    size_t nr, float *p) {
  if (nr > 16) {
    orthoconv_pack_k16_block__scalar(w, N, k0, kl, n0, nc, nr, p);
    return;
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (size_t kb = 0; 16 * kb < kl; kb++, p += 16 * nr) {
    const size_t rows = kl - 16 * kb < 16 ? kl - 16 * kb : 16;
    const float *r = w + (k0 + 16 * kb) * N + n0;
    for (size_t c0 = 0; c0 < nr; c0 += 8) {
      if (c0 >= nc) { /* pad filters only (and no pointer past the row) */
        for (size_t c = c0; c < nr; c++) {
          _mm256_storeu_ps(p + 16 * c, _mm256_setzero_ps());
          _mm256_storeu_ps(p + 16 * c + 8, _mm256_setzero_ps());
        }
        break;
      }
      /* lanes of columns below nc */
      const __m256i cm = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nc - (int)c0), lane);
      transpose8(r + c0, N, rows, cm, nr - c0, p + 16 * c0);
      /* rows 8-15 of the block (all pad in a last block of 8 or fewer: from row 0, no row loaded) */
      transpose8(r + (rows > 8 ? 8 * N : 0) + c0, N, rows > 8 ? rows - 8 : 0, cm, nr - c0, p + 16 * c0 + 8);
    }
  }
}
