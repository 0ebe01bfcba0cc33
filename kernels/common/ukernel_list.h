/* Helpers for walking the kernel lists (kernels/all.inc). Define
 * ORTHOCONV_UKERNEL(op, isa, name, mr, nr, kunroll, wlayout, rule, tunables...)
 * and include "all.inc": lines whose ISA this build did not compile vanish through
 * ORTHOCONV_IF_<isa>. Types only, no code. */
#ifndef ORTHOCONV_UKERNEL_LIST_H
#define ORTHOCONV_UKERNEL_LIST_H

#include "orthoconv_config.h"
#include "ukernel.h"

#define ORTHOCONV_IF_SCALAR(...) __VA_ARGS__
#if ORTHOCONV_HAVE_AVX2
#define ORTHOCONV_IF_AVX2(...) __VA_ARGS__
#else
#define ORTHOCONV_IF_AVX2(...)
#endif
#if ORTHOCONV_HAVE_AVX512
#define ORTHOCONV_IF_AVX512(...) __VA_ARGS__
#else
#define ORTHOCONV_IF_AVX512(...)
#endif
#if ORTHOCONV_HAVE_NEON
#define ORTHOCONV_IF_NEON(...) __VA_ARGS__
#else
#define ORTHOCONV_IF_NEON(...)
#endif

/* ISA extensions (isa_ext.h): compiled when the base ISA is and the compiler has them. */
#if ORTHOCONV_HAVE_AVX512_BF16
#define ORTHOCONV_IF_AVX512_BF16(...) __VA_ARGS__
#else
#define ORTHOCONV_IF_AVX512_BF16(...)
#endif
#if ORTHOCONV_HAVE_AVX512_VNNI
#define ORTHOCONV_IF_AVX512_VNNI(...) __VA_ARGS__
#else
#define ORTHOCONV_IF_AVX512_VNNI(...)
#endif
#if ORTHOCONV_HAVE_AVX_VNNI
#define ORTHOCONV_IF_AVX_VNNI(...) __VA_ARGS__
#else
#define ORTHOCONV_IF_AVX_VNNI(...)
#endif
#if ORTHOCONV_HAVE_NEON_DOTPROD
#define ORTHOCONV_IF_NEON_DOTPROD(...) __VA_ARGS__
#else
#define ORTHOCONV_IF_NEON_DOTPROD(...)
#endif
#if ORTHOCONV_HAVE_NEON_BF16
#define ORTHOCONV_IF_NEON_BF16(...) __VA_ARGS__
#else
#define ORTHOCONV_IF_NEON_BF16(...)
#endif
#if ORTHOCONV_HAVE_NEON_I8MM
#define ORTHOCONV_IF_NEON_I8MM(...) __VA_ARGS__
#else
#define ORTHOCONV_IF_NEON_I8MM(...)
#endif

/* A tunable of a list line: name, min, max, step, default. */
#define ORTHOCONV_TUN(name, lo, hi, step, def) { name, lo, hi, step, def }
/* Where a variant applies (orthoconv_rule), written on a list line as ANY or
 * RULE(nmin, nmax, knmax): filters nmin..nmax (0 = no bound) and at most knmax
 * weights K * N, K rounded up to the variant's K unroll (0 = no bound). */
#define ORTHOCONV_RULE(nmin, nmax, knmax) { nmin, nmax, knmax }
#define ORTHOCONV_ANY ORTHOCONV_RULE(1, 0, 0)

/* Per op: the function type of its variants and the union member that holds them. */
#define ORTHOCONV_FNTYPE_FORWARD orthoconv_fwd_fn
#define ORTHOCONV_FNTYPE_BACKWARD_DATA orthoconv_bwd_data_fn
#define ORTHOCONV_FNTYPE_BACKWARD_WEIGHTS orthoconv_bwd_weights_fn
#define ORTHOCONV_FNTYPE_GRAM orthoconv_gram_fn
#define ORTHOCONV_FNTYPE_REG_GRAD orthoconv_reg_grad_fn
#define ORTHOCONV_FNTYPE_SGD orthoconv_sgd_fn
#define ORTHOCONV_FNTYPE_ADAMW orthoconv_adamw_fn
#define ORTHOCONV_FNTYPE_LAYER_FORWARD_BF16 orthoconv_lp_fn
#define ORTHOCONV_FNTYPE_QLAYER_FORWARD orthoconv_lp_fn
#define ORTHOCONV_FNFIELD_FORWARD fwd
#define ORTHOCONV_FNFIELD_BACKWARD_DATA bwd_data
#define ORTHOCONV_FNFIELD_BACKWARD_WEIGHTS bwd_weights
#define ORTHOCONV_FNFIELD_GRAM gram
#define ORTHOCONV_FNFIELD_REG_GRAD reg_grad
#define ORTHOCONV_FNFIELD_SGD sgd
#define ORTHOCONV_FNFIELD_ADAMW adamw
#define ORTHOCONV_FNFIELD_LAYER_FORWARD_BF16 lp
#define ORTHOCONV_FNFIELD_QLAYER_FORWARD lp

#endif
