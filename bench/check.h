/* The right answer before any timing: each contender's first call is compared
 * with an exact (double) result, within the accuracy contract of REFERENCE.md:
 * |out - exact| <= 1e-5 * (sum of |products| + |bias|). */
#ifndef OCB_CHECK_H
#define OCB_CHECK_H
#include <stddef.h>
#include "data.h"

/* 1 if io's outputs of case c are right (io inputs are d's warm set); otherwise
 * 0 and a message that says where. Ops whose maths the bench does not redo
 * (regularizer kinds, optimizer steps) get the checks that need no oracle:
 * finite outputs and frozen columns untouched. */
int ocb_check(const ocb_case *c, ocb_data *d, const ocb_io *io, char *err, size_t errlen);
#endif
