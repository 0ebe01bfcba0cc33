/* What every contender (our API, each kernel-list variant, each anchor) gives
 * the bench: set-up outside the timed loop and one call inside it. */
#ifndef OCB_IMPL_H
#define OCB_IMPL_H
#include <stddef.h>
#include <stdint.h>

typedef enum ocb_op {
  OCB_FWD, OCB_BWD_DATA, OCB_BWD_WEIGHTS, OCB_GRAM, OCB_REG, OCB_REG_GRAD, OCB_SGD, OCB_ADAMW,
  OCB_FWD_BF16, /* the forward with X (and W) in bf16, y float: bench/lowprec.c */
  OCB_QFWD,     /* the forward with X u8 and W s8 (dynamic quantization), y float */
  OCB_NOPS
} ocb_op;

/* The buffers of one call. Row-major, dense: ldx = K, ldy = N. Only the fields of
 * the case's op are set. */
typedef struct ocb_io {
  const float *x, *w, *bias, *dy, *a;
  const unsigned char *trainable; /* NULL = every filter trains */
  float *y, *dx, *dw, *dbias, *g, *grad, *wmut, *m, *v, *vel;
  float penalty;
  /* OCB_FWD_BF16 / OCB_QFWD (the same values as x and w, in bench/lowprec.c): */
  const uint16_t *xb, *wb;  /* bf16 */
  const uint8_t *xq;        /* x = x_scale (q - zp) */
  const int8_t *wq;         /* w[k][n] = w_scale * wq[k][n]: one scale for every filter,
                             * which every int8 anchor can take */
  float x_scale, w_scale;
  int zp;
  float y_quantum;          /* set by a contender whose y went through 8 bits (the check allows it) */
} ocb_io;

typedef struct ocb_case ocb_case;

/* --ocb_threads=T: the thread table. Every contender runs on T threads (ours through
 * the _mt calls on a pthreadpool, the anchors through their own thread controls);
 * single-threaded-only contenders stay out of it. 1 = the ordinary one-core run. */
extern int ocb_threads;
extern void *ocb_tpool; /* a pthreadpool_t of ocb_threads threads, or NULL */
struct orthoconv_threadpool;
/* The pool our _mt calls get for case c: ocb_tpool through its adapter (filled in
 * *storage), or NULL (the calling thread) without one or for a serial case. */
const struct orthoconv_threadpool *ocb_pool(const struct ocb_case *c, struct orthoconv_threadpool *storage);

typedef struct ocb_impl {
  const char *name; /* the implementation part of the case names */
  ocb_op op;
  int anchor;       /* 1: another library, the bar to beat; 2: a plain-C baseline, shown only */
  int isa;          /* orthoconv_isa whose FMA peak bounds it; -1 = the best the CPU runs */
  int api_op;       /* our public API: orthoconv_op + 1, for the label naming the variant it ran */
  const void *data; /* the contender's own (a kernel-list entry, a dlopen'd library ...) */
  /* Outside the timing: weights packed, primitives created. The buffers in io stay
   * the same for the whole case except the rotating ones of a cold run (x, y, dy,
   * dx). NULL + err when it cannot run here. */
  void *(*prepare)(const struct ocb_impl *im, const ocb_case *c, const ocb_io *io, char *err, size_t errlen);
  void (*run)(void *ctx, const ocb_case *c, ocb_io *io);
  /* NULL, or: after the first run and before the check (not timed), turns the
   * contender's own output (8-bit) into io->y floats and sets io->y_quantum. */
  void (*finish)(void *ctx, const ocb_case *c, ocb_io *io);
} ocb_impl;

struct ocb_case {
  const ocb_impl *im;
  ocb_op op;
  size_t M, K, N;
  int cold;
  int nfrozen; /* filters 0 .. nfrozen-1 are frozen */
  int act;     /* orthoconv_activation, forward */
  int bias;    /* forward with bias */
  int reg;     /* orthoconv_regularizer, OCB_REG */
  int nesterov;
  int serial;  /* ours in the thread run without the pool (the same run's 1-thread time) */
  /* filled by the first run of the case and kept: */
  int state;   /* 0 not yet, 1 ready, -1 cannot run (err) */
  void *ctx;
  unsigned char *mask; /* trainable, N bytes; NULL = every filter trains */
  char err[200];
};

/* Adds a contender (copied). Modules call it from their ocb_add_* function. */
void ocb_impl_add(const ocb_impl *im);
size_t ocb_impl_count(void);
const ocb_impl *ocb_impl_get(size_t i);

/* What each anchor module says about itself, printed ("anchor NAME: ...") and kept in
 * the JSON context as ocb_anchor_NAME = "ok: ..." or "missing: why", so that every
 * table can show an absent anchor in place and say why, instead of dropping its column. */
/* Why a module has nothing: Meson found no library when the build directory was
 * configured. Meson caches that answer across reconfigures, hence the advice. */
#define OCB_NOT_CONFIGURED(what)                                                              \
  "not found by Meson when this build directory was configured (it looked for " what "); "    \
  "Meson keeps that answer, so a package installed since needs meson setup --wipe of the "  \
  "build directory (./run.sh bench re-probes by itself)"
void ocb_anchor_ok(const char *name, const char *fmt, ...);
void ocb_anchor_missing(const char *name, const char *fmt, ...);

/* Each module's entry: registers its contenders, or says why it has none. */
void ocb_add_orthoconv(void);
void ocb_add_cblas(void);
void ocb_add_onednn(void);
void ocb_add_xnnpack(void);
void ocb_add_libxsmm(void);
void ocb_add_gccloop(void);
/* The bf16 and int8 contenders: ours (impl_orthoconv_lp.c), XNNPACK's qu8 and
 * qs8 fully connected (oneDNN's bf16 and int8 matmul: ocb_add_onednn). */
void ocb_add_orthoconv_lp(void);
void ocb_add_xnnpack_lp(void);
/* "orthoconv_fwd_ukernel_2x10__avx512_dot" -> "k:2x10__avx512_dot" (allocated). */
const char *ocb_short_name(const char *variant);
#endif
