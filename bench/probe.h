/* Roofline probes: the FMA peak of each ISA and the read bandwidth by working
 * set, measured on the core the bench runs on, in the same run. Each ISA's
 * probe is in its own file, built with that ISA's flags only. */
#ifndef OCB_PROBE_H
#define OCB_PROBE_H
#include <stddef.h>

/* iters rounds of independent FMA chains; the result only keeps the work alive.
 * *flops = the flops done. */
float ocb_fma_scalar(size_t iters, double *flops);
float ocb_fma_avx2(size_t iters, double *flops);
float ocb_fma_avx512(size_t iters, double *flops);
float ocb_fma_neon(size_t iters, double *flops);
/* Sum of p[0 .. n) with full-width loads; n a multiple of 256. */
float ocb_read_scalar(const float *p, size_t n);
float ocb_read_avx2(const float *p, size_t n);
float ocb_read_avx512(const float *p, size_t n);
float ocb_read_neon(const float *p, size_t n);

/* Registers probe/fma/<isa> for every ISA this build has and the CPU runs, and
 * probe/read/<size> with the widest of them. */
void ocb_register_probes(void);
#endif
