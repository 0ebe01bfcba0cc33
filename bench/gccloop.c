#include <stdio.h>
#include "cpu.h"
#include "impl.h"

#ifdef OCB_HAVE_GCCLOOP
void ocb_gccloop_avx2(size_t M, size_t K, size_t N, const float *x, const float *w, float *y);

static void *prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  (void)c, (void)io, (void)err, (void)n;
  return (void *)im;
}

static void run(void *ctx, const ocb_case *c, ocb_io *io) {
  (void)ctx;
  ocb_gccloop_avx2(c->M, c->K, c->N, io->x, io->w, io->y);
}

void ocb_add_gccloop(void) {
  if (ocb_threads > 1) return; /* a one-thread baseline */
  if (!(orthoconv_priv_cpu_get()->isa_mask & (1u << ORTHOCONV_ISA_AVX2))) {
    printf("anchor gcc-O3-avx2: skipped: this CPU does not run AVX2\n");
    return;
  }
  printf("anchor gcc-O3-avx2: plain C loop, gcc -O3 -mavx2 -mfma\n");
  const ocb_impl im = { .name = "gcc-O3-avx2", .op = OCB_FWD, .anchor = 2, .isa = ORTHOCONV_ISA_AVX2,
                        .prepare = prepare, .run = run };
  ocb_impl_add(&im);
}
#else
void ocb_add_gccloop(void) { printf("anchor gcc-O3-avx2: skipped: not an x86-64 build with AVX2\n"); }
#endif
