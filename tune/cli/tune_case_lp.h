/* The bf16 and int8 layers as tuner cases (tune_case.c): X in its own element
 * type, rotating through the same slots as the other ops' buffers, and W held by
 * the library's own low-precision layer, packed for every variant. */
#ifndef ORTHOCONV_TUNE_CASE_LP_H
#define ORTHOCONV_TUNE_CASE_LP_H
#include <stddef.h>
#include "select.h"

typedef struct tc_lp tc_lp;
/* Random data: x in [-1, 1) as bf16, or u8; weights and scales so that outputs
 * stay near [-1, 1]. NULL if the layer cannot be made. */
tc_lp *tc_lp_create(orthoconv_op op, size_t M, size_t K, size_t N, size_t slots);
/* y (M x N) for the first M rows of slot s, with variant ch. */
void tc_lp_call(const tc_lp *l, const orthoconv_priv_choice *ch, size_t M, size_t s, float *y);
void tc_lp_free(tc_lp *l);
#endif
