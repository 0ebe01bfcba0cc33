/* Which values of a tunable the tuner tries. */
#ifndef ORTHOCONV_TUNE_GRID_H
#define ORTHOCONV_TUNE_GRID_H
#include "ukernel.h"

/* Every value of the spec's grid (min, min + step, ..., max), or at most max_out
 * of them evenly strided with the default always in; quick: the default, the
 * ends, half and twice the default (what moves a blocking or prefetch choice
 * most). Returns the count; the default comes first. */
int tg_values(const orthoconv_tunable_spec *s, int quick, int *out, int max_out);
#endif
