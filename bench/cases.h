/* The cases: every op on the headline and general shapes, crossed with every
 * contender of that op, registered with Google Benchmark through ocb.h. */
#ifndef OCB_CASES_H
#define OCB_CASES_H

/* full = 0: the headline set (a few minutes); 1: everything. */
void ocb_register_cases(int full);
#endif
