/* oneDNN matmul: the primitive is created once per shape, with weights in the
 * layout it prefers (format "any", reordered once outside the timing). The same
 * code serves the bf16 case (bf16 x bf16 -> f32) and the int8 case (u8 x s8 ->
 * f32, the source zero point and the product of the scales as attributes: the
 * answer of our int8 layer); an implementation named "ref" (no optimised kernel
 * on this CPU for those types) is skipped rather than timed. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "impl.h"

#ifdef OCB_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>

typedef struct ctx {
  dnnl_engine_t eng;
  dnnl_stream_t stream;
  dnnl_primitive_t prim;
  dnnl_memory_t src, wei, dst;
  const void *x;
  float *y;
} ctx;

/* X in the case's element type. */
static const void *x_of(const ocb_case *c, const ocb_io *io) {
  return c->op == OCB_QFWD ? (const void *)io->xq : c->op == OCB_FWD_BF16 ? (const void *)io->xb : (const void *)io->x;
}

#define TRY(call)                                                                   \
  do {                                                                              \
    const dnnl_status_t st_ = (call);                                               \
    if (st_ != dnnl_success) {                                                      \
      snprintf(err, n, "oneDNN: %s failed (status %d)", #call, (int)st_);           \
      return NULL;                                                                  \
    }                                                                               \
  } while (0)

static void *prepare(const ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t n) {
  const int q8 = im->op == OCB_QFWD, b16 = im->op == OCB_FWD_BF16;
  if (q8 && io->bias) {
    snprintf(err, n, "skipped: oneDNN 2's int8 bias precedes the scales; cases with bias are not compared");
    return NULL;
  }
  ctx *x = calloc(1, sizeof *x);
  if (!x) abort();
  const dnnl_dims_t sd = { (dnnl_dim_t)c->M, (dnnl_dim_t)c->K }, wd = { (dnnl_dim_t)c->K, (dnnl_dim_t)c->N },
                    dd = { (dnnl_dim_t)c->M, (dnnl_dim_t)c->N };
  const dnnl_data_type_t st = q8 ? dnnl_u8 : b16 ? dnnl_bf16 : dnnl_f32, wt = q8 ? dnnl_s8 : st;
  dnnl_memory_desc_t smd, wmd_any, wmd_user, dmd;
  TRY(dnnl_engine_create(&x->eng, dnnl_cpu, 0));
  TRY(dnnl_stream_create(&x->stream, x->eng, dnnl_stream_default_flags));
  TRY(dnnl_memory_desc_init_by_tag(&smd, 2, sd, st, dnnl_ab));
  TRY(dnnl_memory_desc_init_by_tag(&wmd_any, 2, wd, wt, dnnl_format_tag_any));
  TRY(dnnl_memory_desc_init_by_tag(&wmd_user, 2, wd, wt, dnnl_ab));
  TRY(dnnl_memory_desc_init_by_tag(&dmd, 2, dd, dnnl_f32, dnnl_ab));
  dnnl_matmul_desc_t md;
  TRY(dnnl_matmul_desc_init(&md, &smd, &wmd_any, NULL, &dmd));
  dnnl_primitive_attr_t attr = NULL;
  if (q8) {
    const float scale = io->x_scale * io->w_scale;
    const int32_t zp = io->zp;
    TRY(dnnl_primitive_attr_create(&attr));
    TRY(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &scale));
    TRY(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &zp));
  }
  dnnl_primitive_desc_t pd;
  TRY(dnnl_primitive_desc_create(&pd, &md, attr, x->eng, NULL));
  if (attr) dnnl_primitive_attr_destroy(attr);
  const char *impl = NULL;
  TRY(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
  if ((q8 || b16) && impl && strncmp(impl, "ref", 3) == 0) {
    snprintf(err, n, "skipped: oneDNN has only its reference %s matmul here (%s)", q8 ? "int8" : "bf16", impl);
    dnnl_primitive_desc_destroy(pd);
    return NULL;
  }
  TRY(dnnl_primitive_create(&x->prim, pd));
  const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  TRY(dnnl_memory_create(&x->wei, wq, x->eng, DNNL_MEMORY_ALLOCATE));
  dnnl_memory_t wuser;
  TRY(dnnl_memory_create(&wuser, &wmd_user, x->eng, q8 ? (void *)io->wq : b16 ? (void *)io->wb : (void *)io->w));
  dnnl_primitive_desc_t rpd;
  dnnl_primitive_t reorder;
  TRY(dnnl_reorder_primitive_desc_create(&rpd, &wmd_user, x->eng, wq, x->eng, NULL));
  TRY(dnnl_primitive_create(&reorder, rpd));
  const dnnl_exec_arg_t rargs[] = { { DNNL_ARG_FROM, wuser }, { DNNL_ARG_TO, x->wei } };
  TRY(dnnl_primitive_execute(reorder, x->stream, 2, rargs));
  TRY(dnnl_stream_wait(x->stream));
  dnnl_primitive_destroy(reorder);
  dnnl_primitive_desc_destroy(rpd);
  dnnl_memory_destroy(wuser);
  dnnl_primitive_desc_destroy(pd);
  x->x = x_of(c, io);
  TRY(dnnl_memory_create(&x->src, &smd, x->eng, (void *)x->x));
  TRY(dnnl_memory_create(&x->dst, &dmd, x->eng, io->y));
  x->y = io->y;
  return x;
}

static void run(void *p, const ocb_case *c, ocb_io *io) {
  ctx *x = p;
  /* Cold runs move the buffers: re-pointing the memory objects is the cheap way. */
  const void *xin = x_of(c, io);
  if (xin != x->x) dnnl_memory_set_data_handle(x->src, (void *)xin), x->x = xin;
  if (io->y != x->y) dnnl_memory_set_data_handle(x->dst, io->y), x->y = io->y;
  const dnnl_exec_arg_t args[] = { { DNNL_ARG_SRC, x->src }, { DNNL_ARG_WEIGHTS, x->wei }, { DNNL_ARG_DST, x->dst } };
  dnnl_primitive_execute(x->prim, x->stream, 3, args);
  dnnl_stream_wait(x->stream);
}

void ocb_add_onednn(void) {
  /* oneDNN threads through OpenMP here: ocb_threads threads, asked for explicitly. */
  void (*omp_threads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  if (omp_threads) omp_threads(ocb_threads);
  else if (ocb_threads > 1) {
    ocb_anchor_missing("onednn", "no OpenMP runtime found: cannot be run on %d threads", ocb_threads);
    return;
  }
  const dnnl_version_t *v = dnnl_version();
  ocb_anchor_ok("onednn", "oneDNN %d.%d.%d matmul (f32, bf16, int8), %s(%d)", v->major, v->minor, v->patch,
         omp_threads ? "omp_set_num_threads" : "no OpenMP runtime found: relying on OMP_NUM_THREADS=", ocb_threads);
  static const ocb_op ops[] = { OCB_FWD, OCB_FWD_BF16, OCB_QFWD };
  for (size_t i = 0; i < 3; i++) {
    const ocb_impl im = { .name = "onednn", .op = ops[i], .anchor = 1, .isa = -1, .prepare = prepare, .run = run };
    ocb_impl_add(&im);
  }
}
#else
void ocb_add_onednn(void) {
  ocb_anchor_missing("onednn", OCB_NOT_CONFIGURED("dnnl by pkg-config, or -ldnnl with oneapi/dnnl/dnnl.h; Debian: libdnnl-dev"));
}
#endif
