#include "tune_grid.h"

/* v moved onto the grid (down to a step) and clamped into the range. */
static int snap(const orthoconv_tunable_spec *s, long v) {
  const int step = s->step > 0 ? s->step : 1;
  if (v < s->min) v = s->min;
  if (v > s->max) v = s->max;
  return (int)(s->min + (v - s->min) / step * step);
}

static int add(int *out, int n, int max_out, int v) {
  for (int i = 0; i < n; i++)
    if (out[i] == v) return n;
  if (n < max_out) out[n++] = v;
  return n;
}

int tg_values(const orthoconv_tunable_spec *s, int quick, int *out, int max_out) {
  if (max_out < 1) return 0;
  int n = add(out, 0, max_out, s->def);
  if (quick) {
    const long picks[] = { s->min, s->max, s->def / 2, 2L * s->def };
    for (int i = 0; i < 4; i++) n = add(out, n, max_out, snap(s, picks[i]));
    return n;
  }
  const long step = s->step > 0 ? s->step : 1, count = ((long)s->max - s->min) / step + 1;
  const long stride = count <= max_out - 1 ? 1 : (count + max_out - 2) / (max_out - 1);
  for (long i = 0; i < count; i += stride) n = add(out, n, max_out, (int)(s->min + i * step));
  return n;
}
