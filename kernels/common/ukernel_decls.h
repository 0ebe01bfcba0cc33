/* Declarations of every variant compiled into this build, from the kernel lists. */
#ifndef ORTHOCONV_UKERNEL_DECLS_H
#define ORTHOCONV_UKERNEL_DECLS_H
#include "ukernel_list.h"

#define ORTHOCONV_UKERNEL(op, isa, name, ...) ORTHOCONV_IF_##isa(ORTHOCONV_FNTYPE_##op name;)
#include "all.inc"
#undef ORTHOCONV_UKERNEL

#endif
