/* The bf16 and int8 forward cases: their inputs (the warm set's x and w, as bf16
 * and quantized to 8 bits), their cold pool, their work and their check. */
#ifndef OCB_LOWPREC_H
#define OCB_LOWPREC_H
#include <stddef.h>
#include "data.h"

int ocb_is_lp(ocb_op op);
/* Fills io's bf16 / int8 fields from d (converting on first use). */
void ocb_lp_io(ocb_data *d, ocb_io *io);
/* Flops and bytes a call must move. */
void ocb_lp_work(const ocb_case *c, double *flops, double *bytes);
/* Cold runs: x (in its element type) and y rotate through a pool of their own,
 * filled with valid bf16 values (also valid u8). */
ocb_cold ocb_lp_cold_for(const ocb_case *c);
void ocb_lp_cold_io(const ocb_cold *cold, const ocb_case *c, size_t i, ocb_io *io);
/* bf16: within the fp32 bound over the bf16 values; int8: our layer bit for bit
 * against the header's formula, an anchor within rounding (or one quantum of
 * its 8-bit output). */
int ocb_lp_check(const ocb_case *c, ocb_data *d, const ocb_io *io, char *err, size_t errlen);
#endif
