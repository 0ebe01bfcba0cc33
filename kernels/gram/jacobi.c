#include <math.h>
#include "reg_maths.h"

void orthoconv_priv_jacobi_eigen(size_t n, double *s, double *v) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) v[i * n + j] = i == j ? 1.0 : 0.0;
  for (int sweep = 0; sweep < 64; sweep++) {
    double off = 0.0, total = 0.0;
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++) {
        const double e = s[i * n + j] * s[i * n + j];
        total += e;
        if (i != j) off += e;
      }
    if (off <= 1e-30 * total || off == 0.0) return;
    for (size_t p = 0; p + 1 < n; p++) {
      for (size_t q = p + 1; q < n; q++) {
        const double apq = s[p * n + q];
        if (apq == 0.0) continue;
        /* Rotation that zeroes s[p][q] (the smaller-angle root, for stability). */
        const double theta = (s[q * n + q] - s[p * n + p]) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
        const double c = 1.0 / sqrt(t * t + 1.0), sn = t * c;
        for (size_t k = 0; k < n; k++) { /* columns p, q */
          const double skp = s[k * n + p], skq = s[k * n + q];
          s[k * n + p] = c * skp - sn * skq;
          s[k * n + q] = sn * skp + c * skq;
        }
        for (size_t k = 0; k < n; k++) { /* rows p, q */
          const double spk = s[p * n + k], sqk = s[q * n + k];
          s[p * n + k] = c * spk - sn * sqk;
          s[q * n + k] = sn * spk + c * sqk;
        }
        for (size_t k = 0; k < n; k++) {
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
}
