/*
 * orthoconv: a 1x1 convolution over NHWC data (the GEMM Y = X W, fp32) with
 * everything needed to train it under a Gram-matrix (orthogonality) penalty while
 * some filters stay frozen.
 *
 * Layout: X is M x K row-major (M = batch * H * W pixels, K input channels, row
 * stride ldx >= K); W is K x N row-major, which is the memory order of a Keras /
 * TensorFlow (1,1,K,N) HWIO kernel; Y is M x N (row stride ldy >= N).
 *
 * Guarantees, for every function:
 *  - no threads, no prints, no file I/O, no allocation, except
 *    orthoconv_layer_create, orthoconv_layer_create_bf16, orthoconv_qlayer_create,
 *    orthoconv_regularize for N > 20 (its N x N scratch)
 *    and orthoconv_profile_* (their file I/O and tables);
 *  - safe to call from several threads at once;
 *  - bad input returns a status other than ORTHOCONV_OK and writes no output;
 *  - same inputs + same selected kernel -> same bits;
 *  - only instructions that this CPU and OS support are ever executed;
 *  - stack: at most 16 KiB per call (blocks of W or of partial sums; measured by
 *    tests/usage/test_stack.c in optimised builds).
 * Accuracy (shared/REFERENCE.md): every output is within 1e-5 * S + n * FLT_TRUE_MIN
 * of the exact result before the activation, S = sum of |products| + |bias|
 * (for dX, dW and G the matching sums of |products|), n = number of terms (the
 * absolute part matters only for results near the subnormal range, where the
 * float grid is absolute), on every ISA, while S <= FLT_MAX / 2 (about 1.7e38:
 * then no partial sum, nor the difference of two outputs that softmax forms,
 * can overflow float).
 * Overflow: for S > FLT_MAX / 2 an output before the activation is within
 * 1e-5 * S or it is +Inf, -Inf or NaN, never a finite value further off, and the
 * activation applies to that. ISAs may then differ: the scalar reference sums
 * in double, SIMD kernels in float (x = (1e20, 1e20), w = (1e20, -1e20),
 * b = 0.5 gives 0.5 from the scalar reference, +Inf or NaN from the others).
 * NaN and Inf in the inputs: an output whose exact value (IEEE arithmetic on the
 * same inputs) is NaN or an infinity is NaN or that infinity on every ISA, while
 * the finite products keep S <= FLT_MAX / 2; finite outputs keep the bound. NaN
 * is never turned into a number, except by design: frozen columns of dw are 0
 * whatever x and dy hold. Activations: see orthoconv_activation.
 * Optimizer steps do the same float operations in torch's order on every ISA:
 * the same bits everywhere, Inf and NaN included (NaN payloads aside).
 */
#ifndef ORTHOCONV_H
#define ORTHOCONV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility: in a shared build only what this
 * header declares is exported. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(default)
#endif

#define ORTHOCONV_VERSION_MAJOR 0
#define ORTHOCONV_VERSION_MINOR 1
#define ORTHOCONV_VERSION_PATCH 0
/* "0.1.0" and so on; the version of the library linked, not of this header. */
const char *orthoconv_version(void);

typedef enum orthoconv_status {
  ORTHOCONV_OK = 0,
  ORTHOCONV_EINVAL = 1,       /* NULL pointer, zero size, short stride, overflow, bad enum or hyper-parameter */
  ORTHOCONV_EOVERLAP = 2,     /* an output's elements share bytes with an input's or another output's
                               * (decided element by element: Y may be a channel slice of a concat
                               * buffer whose other channels hold X) */
  ORTHOCONV_ENOMEM = 3,       /* allocation failed (the layer create calls only) */
  ORTHOCONV_EUNSUPPORTED = 4, /* the CPU, OS or build cannot run what was asked */
  ORTHOCONV_EPROFILE = 5      /* a tuning profile was rejected (see orthoconv_profile_status) */
} orthoconv_status;
/* A short English description; never NULL, also for unknown values. */
const char *orthoconv_strerror(orthoconv_status s);

/* On NaN and +-Inf, every ISA gives what torch defines: relu(x) = x < 0 ? 0 : x
 * (NaN and -0 pass through; -Inf -> 0, +Inf -> +Inf); sigmoid(-Inf) = 0,
 * sigmoid(+Inf) = 1; tanh(+-Inf) = +-1; gelu(+Inf) = +Inf, gelu(-Inf) = -0 (the
 * limit: the formula gives -Inf * 0 = NaN there, which torch treats as a bug);
 * NaN in, NaN out for each. Softmax is exp(x - max) / sum over the row, so a
 * row that holds a NaN or a +Inf, or only -Inf, is NaN throughout; in any other
 * row a -Inf entry gets 0. */
typedef enum orthoconv_activation {
  ORTHOCONV_ACT_NONE = 0,
  ORTHOCONV_ACT_RELU,
  ORTHOCONV_ACT_SIGMOID,
  ORTHOCONV_ACT_TANH,
  ORTHOCONV_ACT_GELU,   /* erf form: 0.5 x (1 + erf(x / sqrt 2)) */
  ORTHOCONV_ACT_SOFTMAX /* over the N outputs of a row */
} orthoconv_activation;

/* ---------------------------------------------------------------- forward -- */

/* y[m*ldy+n] = act(bias[n] + sum_k x[m*ldx+k] * w[k*N+n]); bias may be NULL.
 * w is K x N row-major = a Keras (1,1,K,N) kernel. M == 0 is a no-op.
 * Nothing past column N of a row of y is written.
 * Reads w as given (no allocation; a kernel that wants W in another layout gets
 * it packed block by block on the stack, at most 16 KiB per call): the right call
 * for one-off use. For repeated calls with the same weights use an
 * orthoconv_layer, which packs W once into the layout of the fastest kernels. */
orthoconv_status orthoconv_forward(size_t M, size_t K, size_t N,
    const float *x, size_t ldx, const float *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy);

/* Weights packed once, for inference engines. The layer owns copies of w and
 * bias: the caller's buffers may be freed after the call. A layer is immutable
 * between orthoconv_layer_set_weights calls, so any number of threads may run
 * orthoconv_layer_forward on it at once.
 * A layer binds its kernels when it is created: per M class (=1, <=64, <=1024,
 * <=16384, more) the variant dispatch picks for its K and N under the profile and
 * ISA cap in force then, and W packed only in the layouts those read. Load a
 * profile before creating the layers it should steer; a later lower ISA cap is
 * still obeyed (such a call runs what orthoconv_forward would). */
typedef struct orthoconv_layer orthoconv_layer;
/* Allocates (with orthoconv_profile_load, the only functions that do). *out is set
 * only on ORTHOCONV_OK. */
orthoconv_status orthoconv_layer_create(size_t K, size_t N, const float *w,
    const float *bias, orthoconv_activation act, orthoconv_layer **out);
/* Replaces weights and bias (bias may be NULL = zero); no allocation. Not to be
 * called while another thread runs orthoconv_layer_forward on the same layer. */
orthoconv_status orthoconv_layer_set_weights(orthoconv_layer *layer, const float *w,
    const float *bias);
/* Same contract as orthoconv_forward with the layer's K, N, weights, bias, act. */
orthoconv_status orthoconv_layer_forward(const orthoconv_layer *layer, size_t M,
    const float *x, size_t ldx, float *y, size_t ldy);
void orthoconv_layer_destroy(orthoconv_layer *layer); /* NULL is fine */
/* Name of the kernel variant orthoconv_layer_forward runs for M rows; NULL for a
 * NULL layer. */
const char *orthoconv_layer_kernel(const orthoconv_layer *layer, size_t M);

/* ------------------------------------------------- bf16 and int8 inference -- */

/* Half and a quarter of the bytes of X for inference, through layers made once.
 * Same guarantees as the fp32 calls (no allocation but in the create calls, 16
 * KiB of stack, bad input touches no output, same bits for the same kernel). */

struct orthoconv_threadpool; /* the _mt forms below: see "threads" */

/* bf16: the upper 16 bits of an IEEE float; conversion rounds to nearest even.
 * NaN stays NaN (quiet), infinities stay infinite, finite values too large round
 * to infinity as IEEE rounding does. */
orthoconv_status orthoconv_f32_to_bf16(size_t n, const float *src, uint16_t *dst);
/* W and bias given in float; the layer keeps W in bf16. A bf16 layer is an
 * orthoconv_layer for orthoconv_layer_set_weights (W converted again),
 * orthoconv_layer_kernel and orthoconv_layer_destroy; orthoconv_layer_forward on
 * it, or orthoconv_layer_forward_bf16 on an fp32 layer, is ORTHOCONV_EINVAL. */
orthoconv_status orthoconv_layer_create_bf16(size_t K, size_t N, const float *w,
    const float *bias, orthoconv_activation act, orthoconv_layer **out);
/* y = act(x w + b): x is M x K bf16 (row stride ldx), y float. Accumulates in float:
 * within 1e-5 * (sum of |x w| + |b|) of the exact result over the bf16 values of x
 * and w. (AVX512-BF16 and Arm's BFDOT/BFMMLA treat subnormal bf16 inputs as zero.) */
orthoconv_status orthoconv_layer_forward_bf16(const orthoconv_layer *layer, size_t M,
    const uint16_t *x, size_t ldx, float *y, size_t ldy);
/* The same through a caller's pool (split over rows of x; see "threads" below). */
orthoconv_status orthoconv_layer_forward_bf16_mt(const struct orthoconv_threadpool *pool,
    const orthoconv_layer *layer, size_t M, const uint16_t *x, size_t ldx, float *y, size_t ldy);

/* int8, dynamic quantization of activations: real x = x_scale * (q - x_zero_point),
 * real w[k][n] = w_scale[n] * wq[k][n] (symmetric, per filter). */
typedef struct orthoconv_qlayer orthoconv_qlayer;
/* The largest K whose int32 accumulator cannot overflow: 255 * 128 * K < 2^31. A
 * larger K is ORTHOCONV_EUNSUPPORTED. w_scale: N finite positive floats (else
 * ORTHOCONV_EINVAL); bias may be NULL. Allocates; *out is set only on OK. */
#define ORTHOCONV_QLAYER_MAX_K 65793
orthoconv_status orthoconv_qlayer_create(size_t K, size_t N, const int8_t *wq,
    const float *w_scale, const float *bias, orthoconv_activation act,
    orthoconv_qlayer **out);
/* acc[m][n] = sum_k (q[m][k] - x_zero_point) * wq[k][n], exact in int32;
 * s[n] = x_scale * w_scale[n] (rounded to float);
 * y[m][n] = act(((float)acc[m][n] * s[n]) + bias[n]): the product rounded, then the
 * sum rounded; no fused multiply-add, so every ISA gives the same bits.
 * bias may be NULL (zero). x_scale must be finite and positive, and x_scale times
 * the largest w_scale finite (else ORTHOCONV_EINVAL). The activation is applied
 * as in the fp32 calls (NONE and RELU: bit-identical on every ISA; the others
 * within their usual tolerance). M == 0 is a no-op. */
orthoconv_status orthoconv_qlayer_forward(const orthoconv_qlayer *layer, size_t M,
    const uint8_t *q, size_t ldq, float x_scale, uint8_t x_zero_point,
    float *y, size_t ldy);
/* The same through a caller's pool (split over rows of q; same bits). */
orthoconv_status orthoconv_qlayer_forward_mt(const struct orthoconv_threadpool *pool,
    const orthoconv_qlayer *layer, size_t M, const uint8_t *q, size_t ldq, float x_scale,
    uint8_t x_zero_point, float *y, size_t ldy);
void orthoconv_qlayer_destroy(orthoconv_qlayer *layer); /* NULL is fine */
/* Name of the kernel variant orthoconv_qlayer_forward runs for M rows; NULL for a
 * NULL layer. */
const char *orthoconv_qlayer_kernel(const orthoconv_qlayer *layer, size_t M);
/* q = clamp(round_half_even(x / scale) + zero_point, 0, 255), x / scale rounded
 * to float first. scale finite and positive; a NaN in x is ORTHOCONV_EINVAL (no
 * number stands for it; q untouched); infinities clamp. */
orthoconv_status orthoconv_quantize_u8(size_t n, const float *x, float scale,
    uint8_t zero_point, uint8_t *q);

/* --------------------------------------------------------------- backward -- */

/* trainable: N bytes, nonzero = the filter trains; NULL = all train. */

/* dx[m*lddx+k] = sum_n dy[m*lddy+n] * w[k*N+n]. M == 0 is a no-op.
 * (The gradient through the activation is the caller's: dy is dL/d(pre-activation).) */
orthoconv_status orthoconv_backward_data(size_t M, size_t K, size_t N,
    const float *dy, size_t lddy, const float *w, float *dx, size_t lddx);

/* dw[k*N+n] = sum_m x[m*ldx+k] * dy[m*lddy+n] for trainable n, 0 for frozen n;
 * dbias (may be NULL): dbias[n] = sum_m dy[m*lddy+n], 0 for frozen n.
 * dw is K x N, dense (row stride N). M == 0 writes zeros. The work of frozen
 * filters is skipped, not done and discarded. */
orthoconv_status orthoconv_backward_weights(size_t M, size_t K, size_t N,
    const float *x, size_t ldx, const float *dy, size_t lddy,
    const unsigned char *trainable, float *dw, float *dbias);

/* ---------------------------------------------------------------- threads -- */

/* A thread pool of the caller's: orthoconv never starts a thread. The _mt calls
 * split their work into tasks, and no cut changes a bit: the forward calls and
 * backward data split rows, which are independent (on the calling thread, or a
 * pool of one thread, a call runs as one part; a pool's tasks are cut by the
 * shape and its thread count), backward weights splits rows of dw, each summed
 * by one task in one order (cut by the shape alone). So every _mt call returns
 * the same bits at any thread count, whatever order its tasks run in, and as its
 * single-threaded twin. Calls too small to pay for waking a pool (under 1 MFLOP
 * without a tuned grain: a forward of 32 x 1024 x 10, say) are one task. pool == NULL runs on the calling thread. A pool with threads == 0 or
 * no parallel_for is ORTHOCONV_EINVAL, with nothing written.
 * Adapters: include/orthoconv_pthreadpool.h, include/orthoconv_openmp.h. */
typedef void orthoconv_task_fn(void *arg, size_t index);
typedef struct orthoconv_threadpool {
  void *context;
  size_t threads; /* how many tasks the pool runs at once, >= 1 */
  /* Calls task(arg, i) once for every i in [0, count), on any threads, in any
   * order, and returns when every call has returned. */
  void (*parallel_for)(void *context, size_t count, orthoconv_task_fn *task, void *arg);
} orthoconv_threadpool;

/* Forward, split over rows of X. */
orthoconv_status orthoconv_forward_mt(const orthoconv_threadpool *pool, size_t M, size_t K,
    size_t N, const float *x, size_t ldx, const float *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy);
orthoconv_status orthoconv_layer_forward_mt(const orthoconv_threadpool *pool,
    const orthoconv_layer *layer, size_t M, const float *x, size_t ldx, float *y, size_t ldy);
/* Backward data, split over rows of dy. */
orthoconv_status orthoconv_backward_data_mt(const orthoconv_threadpool *pool, size_t M,
    size_t K, size_t N, const float *dy, size_t lddy, const float *w, float *dx, size_t lddx);
/* Backward weights. The bytes of workspace the call needs for this shape; the
 * caller passes at least that many (NULL and 0 are fine when it is 0). A
 * workspace too small, or overlapping an input or output, is ORTHOCONV_EINVAL.
 * This version splits the reduction over M by columns of X (rows of dw), which
 * needs no partial sums: the size is 0 for every shape; ask it anyway, a later
 * version may split M into slices summed in a fixed order in the workspace. */
size_t orthoconv_backward_weights_workspace_size(size_t M, size_t K, size_t N);
orthoconv_status orthoconv_backward_weights_mt(const orthoconv_threadpool *pool, size_t M,
    size_t K, size_t N, const float *x, size_t ldx, const float *dy, size_t lddy,
    const unsigned char *trainable, float *dw, float *dbias, void *workspace, size_t workspace_size);

/* ----------------------------------------------------------- regularizers -- */

/* G = W^T W, w_n = column n = filter n. Maths of each kind: shared/REFERENCE.md. */
typedef enum orthoconv_regularizer {
  ORTHOCONV_REG_SO = 0,          /* ||G - I||_F^2 */
  ORTHOCONV_REG_DSO,             /* ||G - I||_F^2 + ||W W^T - I_K||_F^2 */
  ORTHOCONV_REG_MC,              /* max_ij |(G - I)_ij| */
  ORTHOCONV_REG_SRIP,            /* spectral norm of G - I (exact eigensolver) */
  ORTHOCONV_REG_KERAS_COLUMNS,   /* keras OrthogonalRegularizer(factor=1, mode="columns") */
  ORTHOCONV_REG_MIRROR_PAIRS     /* sum_n <w_n, w_{N-1-n}> (the seed's example) */
} orthoconv_regularizer;

/* g (N x N, row-major) = W^T W. */
orthoconv_status orthoconv_gram(size_t K, size_t N, const float *w, float *g);

/* *penalty = strength * R(W) (penalty may be NULL); if grad != NULL,
 * grad[k*N+n] += strength * dR/dW[k][n] for trainable n; frozen columns untouched.
 * Every filter, frozen or not, takes part in R. strength must be finite.
 * For N <= 20 the N x N scratch is on the stack (7.5 KiB); for larger N it is
 * allocated and freed inside the call (ORTHOCONV_ENOMEM if that fails).
 * N up to ORTHOCONV_REG_MAX_N (larger N: ORTHOCONV_EUNSUPPORTED).
 * The penalty and the coefficients of the gradient are computed in double from
 * G (whose entries follow the accuracy and overflow rules at the top), so an
 * entry of G that overflows may make them +-Inf or NaN.
 * A NaN in W gives a NaN penalty for every kind (but KERAS_COLUMNS with N = 1,
 * whose R is 0 by definition) and NaN in the trainable gradient entries of its
 * row; MC takes a NaN entry of G - I as its maximum, so the two gradient
 * columns of that entry are NaN too. */
#define ORTHOCONV_REG_MAX_N 4096
orthoconv_status orthoconv_regularize(orthoconv_regularizer kind, float strength,
    size_t K, size_t N, const float *w, const unsigned char *trainable,
    float *penalty, float *grad);

/* ------------------------------------------------------------- optimizers -- */

/* torch.optim.SGD (dampening 0): g' = g + wd w; v = momentum v + g' (v starts at 0:
 * pass a zeroed buffer); d = nesterov ? g' + momentum v : v; w -= lr d.
 * velocity may be NULL only if momentum == 0. Frozen columns of w and velocity
 * stay bit-identical (they are not written at all). */
typedef struct orthoconv_sgd { float lr, momentum, weight_decay; int nesterov; } orthoconv_sgd;
orthoconv_status orthoconv_sgd_step(const orthoconv_sgd *opt, size_t K, size_t N,
    float *w, const float *grad, float *velocity, const unsigned char *trainable);

/* torch.optim.AdamW (amsgrad off): w -= lr wd w; m = b1 m + (1-b1) g;
 * v = b2 v + (1-b2) g^2; w -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
 * t counts steps from 1; m and v start zeroed. Frozen columns of w, m, v are not
 * written. Hyper-parameters are checked like torch: lr, eps, wd >= 0, 0 <= b < 1. */
typedef struct orthoconv_adamw { float lr, beta1, beta2, eps, weight_decay; } orthoconv_adamw;
orthoconv_status orthoconv_adamw_step(const orthoconv_adamw *opt, size_t t,
    size_t K, size_t N, float *w, const float *grad, float *m, float *v,
    const unsigned char *trainable);

/* ---------------------------------------------------------------- dispatch -- */

typedef enum orthoconv_isa {
  ORTHOCONV_ISA_SCALAR = 0, ORTHOCONV_ISA_AVX2, ORTHOCONV_ISA_AVX512, ORTHOCONV_ISA_NEON
} orthoconv_isa;
/* Best ISA this CPU, OS and build can run (ignores the cap below). */
orthoconv_isa orthoconv_cpu_isa(void);
/* "scalar", "avx2", "avx512", "neon"; "unknown" for other values. */
const char *orthoconv_isa_name(orthoconv_isa isa);
/* Caps the ISA of the kernels dispatch may choose, for the whole process.
 * ORTHOCONV_EUNSUPPORTED (cap unchanged) if this CPU/build cannot run cap;
 * ORTHOCONV_EINVAL for unknown values. The environment variable
 * ORTHOCONV_ISA=scalar|avx2|avx512|neon sets the cap at start-up; a value this
 * CPU cannot run is ignored (the best runnable ISA is used) and reported by
 * orthoconv_isa_cap_note(). */
orthoconv_status orthoconv_set_isa(orthoconv_isa cap);
/* The cap in force. */
orthoconv_isa orthoconv_get_isa(void);
/* Why ORTHOCONV_ISA was ignored, or "" when it was honoured or unset. Never NULL. */
const char *orthoconv_isa_cap_note(void);

typedef enum orthoconv_op {
  ORTHOCONV_OP_FORWARD = 0, ORTHOCONV_OP_BACKWARD_DATA, ORTHOCONV_OP_BACKWARD_WEIGHTS,
  ORTHOCONV_OP_GRAM,
  ORTHOCONV_OP_LAYER_FORWARD,     /* orthoconv_layer_forward (packed weights) */
  ORTHOCONV_OP_REG_GRAD,          /* the W * A product behind every regularizer gradient */
  ORTHOCONV_OP_SGD, ORTHOCONV_OP_ADAMW,
  ORTHOCONV_OP_LAYER_FORWARD_BF16, /* orthoconv_layer_forward_bf16 */
  ORTHOCONV_OP_QLAYER_FORWARD      /* orthoconv_qlayer_forward */
} orthoconv_op;
#define ORTHOCONV_OP_COUNT 10
/* Name of the kernel variant that a call of op with this shape would run now
 * (for ops without M, M is ignored). NULL for an unknown op, and for K or N == 0
 * (a shape every call refuses). */
const char *orthoconv_selected_kernel(orthoconv_op op, size_t M, size_t K, size_t N);

/* ---------------------------------------------------------- tuning profile -- */

/* A profile (written by orthoconv-tune) says which kernel variant and tunables to
 * use per op and shape class on one CPU. Shape classes cut M (=1, <=64, <=1024,
 * <=16384, more; ops with M only), K (<=256, more) and N (<=12, <=32, more). It is
 * a small text file: a versioned header, the library version, a hash of the
 * kernel lists, the CPU identity (vendor, family/model/stepping, brand, usable
 * ISAs, cache sizes), one "choice <op> <class> <variant> <tunable>=<value>...
 * shape=<MxKxN> rate=<measured>" line per op and class (shape: where it was
 * measured), and an FNV-1a 64 checksum of everything before it.
 *
 * Loading is all-or-nothing: any defect (unreadable, not a regular file, empty,
 * over 64 KiB or 1 KiB a line, non-ASCII bytes, checksum, format or library
 * version, kernel list, CPU identity, malformed or duplicate record, unknown
 * variant, variant not serving the op or not applying to the shape it names, a
 * shape outside its class, tunable out of range or off its step, ISA this CPU
 * cannot run) rejects the whole file, keeps the selections in force, and returns
 * ORTHOCONV_EPROFILE; orthoconv_profile_status() then says why. A profile of an
 * older format is rejected with a reason that says to re-run orthoconv-tune.
 * A class without a record runs the built-in default, and so does a call whose
 * shape the recorded variant does not apply to. The ISA cap (orthoconv_set_isa,
 * ORTHOCONV_ISA) still bounds what a profile may select. A new profile replaces
 * the old one in one step: a concurrent call runs wholly under one or the other.
 *
 * The library reads no profile file unless asked: compute calls never open a
 * file. At start-up (the first call into the library) it installs the file
 * $ORTHOCONV_PROFILE names, if that is set, else a profile embedded at build time
 * (meson -Dembedded_profile=FILE, no file I/O), else nothing (built-in defaults).
 * path NULL = the default search: if $ORTHOCONV_PROFILE is set, that file alone;
 * otherwise the first of ${XDG_CACHE_HOME:-$HOME/.cache}/orthoconv/profile.txt,
 * /etc/orthoconv/profile.txt and the embedded profile that is accepted (missing
 * files are skipped, rejected ones noted).
 * These four calls are thread-safe. They allocate only a buffer for the file
 * (at most 64 KiB, freed before returning) and, once per distinct profile
 * installed, its table (kept until the process ends, since a concurrent call may
 * still be reading it), and never print. */
orthoconv_status orthoconv_profile_load(const char *path);
/* Writes the profile choices in force (and their measured rates) to path, or
 * with path NULL to ${XDG_CACHE_HOME:-$HOME/.cache}/orthoconv/profile.txt,
 * creating missing directories; through a temporary file and a rename, so that
 * a reader sees the old file or the new one. Classes without a profile choice
 * are left out (they keep running the built-in default). ORTHOCONV_EPROFILE if
 * it cannot be written (reason in orthoconv_profile_status), ORTHOCONV_ENOMEM. */
orthoconv_status orthoconv_profile_save(const char *path);
/* Forgets any profile: back to the built-in defaults; clears the last failure. */
void orthoconv_profile_reset(void);
/* Copies into buf (always NUL-terminated when size > 0) which profile is in force
 * ("built-in defaults" or "profile <path>") and, if the last load or save failed,
 * "; last load failed: <source>: <reason>". Returns the length of the full text,
 * like snprintf. */
size_t orthoconv_profile_status(char *buf, size_t size);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
