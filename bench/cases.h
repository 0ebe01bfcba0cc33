/* The cases: every op on the headline and general shapes, crossed with every
 * contender of that op, registered with Google Benchmark through ocb.h. */
#ifndef OCB_CASES_H
#define OCB_CASES_H

/* full = 0: the headline set (a few minutes); 1: everything. */
void ocb_register_cases(int full);
/* --ocb_shapes: forward over the K x N x M grid of the layer targets (every
 * contender; orthoconv through a layer and through orthoconv_forward), and
 * backward at N = 64 and 128, against the anchors. */
void ocb_register_shape_grid(void);
/* --ocb_threads=T: forward K = 1024, N = 10 (fp32, bf16, int8) at M = 49, 3136, 50176 (warm and, from
 * 3136, cold) and backward data / weights at M = 3136, each name ending /threads:T. */
void ocb_register_thread_cases(void);
#endif
