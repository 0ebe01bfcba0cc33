/* One op at one shape, ready to be called over and over by the tuner: buffers
 * filled with real data, rotated through more memory than the last-level cache
 * for the large-M classes (so that X comes from DRAM, as in a real epoch), and a
 * check of any variant against the op's scalar reference. */
#ifndef ORTHOCONV_TUNE_CASE_H
#define ORTHOCONV_TUNE_CASE_H
#include <stddef.h>
#include "select.h"

typedef struct tc_case tc_case;

/* cold_bytes > 0: rotate the M-sized buffers through at least that much memory. */
tc_case *tc_create(orthoconv_op op, size_t M, size_t K, size_t N, size_t cold_bytes);
void tc_free(tc_case *c);
/* One call of variant ch (next buffer slot); for ops that take a mask, two: every
 * filter trainable, then the first N / 2 frozen. */
void tc_run(tc_case *c, const orthoconv_priv_choice *ch);
/* Work of one tc_run: flops for the GEMM-like ops, bytes moved for the optimizer
 * steps (both calls of a masked op counted whole). */
double tc_work(const tc_case *c);
/* "GFLOP/s" or "GB/s" (what tc_work / seconds / 1e9 is). */
const char *tc_unit(orthoconv_op op);
/* Runs ch and the scalar reference on the first rows of the real data (with one
 * filter frozen where the op takes a mask) and compares every output within the
 * accuracy contract. 1 = agrees; 0 = msg says where it does not. *est gets the
 * seconds one full-size call should take, scaled from the checked call. */
int tc_validate(tc_case *c, const orthoconv_priv_choice *ch, char *msg, size_t msg_size, double *est);
size_t tc_m(const tc_case *c);
/* The shape of the case (M = 0 for ops without M). */
orthoconv_priv_shape tc_shape(const tc_case *c);
#endif
