#include <stdint.h>
#include <string.h>
#include "driver.h"
#include "pack.h"

size_t orthoconv_priv_lp_pack_count(const orthoconv_ukernel *k, size_t K, size_t N, size_t *npad) {
  const size_t B = k->kunroll ? k->kunroll : 1, nr = k->nr ? k->nr : 1;
  size_t kp, np, n;
  if (k->wlayout == ORTHOCONV_W_KN) {
    *npad = N;
    return __builtin_mul_overflow(K, N, &n) ? 0 : n;
  }
  if (__builtin_add_overflow(K, B - 1, &kp) || __builtin_add_overflow(N, nr - 1, &np)) return 0;
  kp = kp / B * B;
  np = np / nr * nr;
  if (__builtin_mul_overflow(kp, np, &n) || n > SIZE_MAX / 8) return 0;
  *npad = np;
  return n;
}

/* Where W[kk][n] goes in k's layout with np filters (ukernel.h). */
static size_t dest(const orthoconv_ukernel *k, size_t N, size_t np, size_t kk, size_t n) {
  const size_t B = k->kunroll, kb = kk / B, j = kk % B;
  switch (k->wlayout) {
  case ORTHOCONV_W_KN: return kk * N + n;
  case ORTHOCONV_W_MMLA: {
    const size_t g = 8 / orthoconv_priv_lp_xbytes(k->op); /* k per 64 bits */
    return kb * np * B + n / 2 * 2 * B + j / g * 2 * g + n % 2 * g + j % g;
  }
  default: return (kb * np + n) * B + j; /* KBLK, KBLK_WIDE */
  }
}

void orthoconv_priv_lp_pack(const orthoconv_ukernel *k, size_t K, size_t N, const void *w, void *p) {
  size_t np;
  const size_t count = orthoconv_priv_lp_pack_count(k, K, N, &np);
  const size_t kp = k->wlayout == ORTHOCONV_W_KN ? K : count / np;
  const int q8 = k->op == ORTHOCONV_OP_QLAYER_FORWARD, wide = k->wlayout == ORTHOCONV_W_KBLK_WIDE;
  const uint16_t *wb = w;
  const int8_t *wq = w;
  for (size_t kk = 0; kk < kp; kk++)
    for (size_t n = 0; n < np; n++) {
      const int in = kk < K && n < N;
      const size_t d = dest(k, N, np, kk, n);
      if (q8) {
        const int8_t v = in ? wq[kk * N + n] : 0;
        if (wide) ((int16_t *)p)[d] = v;
        else ((int8_t *)p)[d] = v;
      } else {
        const uint16_t v = in ? wb[kk * N + n] : 0;
        if (wide) {
          /* bf16 -> fp32 is exact: the bf16 bits are the float's upper half. */
          const uint32_t bits = (uint32_t)v << 16;
          float f;
          memcpy(&f, &bits, sizeof f);
          ((float *)p)[d] = f;
        } else {
          ((uint16_t *)p)[d] = v;
        }
      }
    }
}
