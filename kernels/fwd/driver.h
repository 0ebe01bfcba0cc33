/* The forward driver (baseline code): blocking over M, N and K, the W layout a
 * microkernel reads, tails, the softmax row pass and software prefetch, around
 * one register-tile microkernel from the kernel list. */
#ifndef ORTHOCONV_FWD_DRIVER_H
#define ORTHOCONV_FWD_DRIVER_H
#include <stddef.h>
#include "ukernel.h"

/* W as the driver gets it: always as given (K x N), and for a layer also packed:
 * K16 with npad filters (a multiple of the kernel's nr), panels of panel_nr
 * filters. A layout the kernel reads that is not given (NULL, or panels of
 * another width) is packed block by block on the driver's stack. */
typedef struct orthoconv_priv_fwd_w {
  const float *kn;
  const float *k16;
  size_t npad;
  const float *panel;
  size_t panel_nr;
} orthoconv_priv_fwd_w;

/* Bytes of stack a call may use for a W block packed on the fly. */
#define ORTHOCONV_FWD_PACK_BYTES 10240

/* Does a call of k with this W on M rows pack W blocks on its stack (its layout not given)? */
int orthoconv_priv_fwd_packs(const orthoconv_ukernel *k, const orthoconv_priv_fwd_w *w, size_t M, size_t N);

/* y = act(x w + bias) with microkernel k and its tunables t. Rows are independent:
 * the result of a row depends only on k, t, K, N, the row's position modulo mr and
 * whether the call packs W (orthoconv_priv_fwd_packs on its M), so a call split
 * at multiples of mr by orthoconv_priv_fwd_drive_part gives the same bits. */
void orthoconv_priv_fwd_drive(const orthoconv_ukernel *k, const int *t, size_t M, size_t K,
    size_t N, const float *x, size_t ldx, const orthoconv_priv_fwd_w *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy);
/* Fills the k block and row block tunables left to the driver (0) with what it
 * would pick for M rows (a class's) and this K on W given packed, so that a layer, which binds its kernels
 * once, does not work them out again on every call. */
void orthoconv_priv_fwd_resolve(const orthoconv_ukernel *k, int *t, size_t M, size_t K);
/* The same over the first M of mpf rows of X (a task's part of a call of mcall
 * rows): the prefetch stream runs on into the rows after the part, where the next
 * part (most often the same thread's) will read, instead of stopping at the
 * part's end; and W is packed on the stack (which caps the k block, so a row's
 * bits) or not as for the whole call, so that every part takes the same k blocks. */
void orthoconv_priv_fwd_drive_part(const orthoconv_ukernel *k, const int *t, size_t M, size_t mpf, size_t mcall, size_t K,
    size_t N, const float *x, size_t ldx, const orthoconv_priv_fwd_w *w, const float *bias,
    orthoconv_activation act, float *y, size_t ldy);
#endif
