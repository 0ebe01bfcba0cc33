/* The registry: every variant compiled into this build, in kernel-list order. */
#ifndef ORTHOCONV_REGISTRY_H
#define ORTHOCONV_REGISTRY_H
#include <stdint.h>
#include "ukernel.h"

extern const orthoconv_ukernel orthoconv_priv_ukernels[];
extern const size_t orthoconv_priv_ukernel_count;

/* NULL if no variant of that name is in this build. */
const orthoconv_ukernel *orthoconv_priv_ukernel_find(const char *name);
/* FNV-1a over every line of the lists (names, ISA, shapes, tunable specs), so that a
 * profile written by a build with another kernel set is recognised as foreign. */
uint64_t orthoconv_priv_ukernel_list_hash(void);
/* Does variant k implement op? (Forward variants serve FORWARD and LAYER_FORWARD.) */
int orthoconv_priv_ukernel_serves(const orthoconv_ukernel *k, orthoconv_op op);
/* Does shape K x N lie inside k's rule (its list line's RULE), and does this CPU
 * have the ISA extensions k needs (a variant whose extension the CPU lacks applies
 * nowhere, so dispatch, profiles, the tuner and the tests never run it)? */
int orthoconv_priv_ukernel_applies(const orthoconv_ukernel *k, size_t K, size_t N);
/* The variant whose function is fn (a symbol named in dispatch/defaults.inc); NULL if none. */
const orthoconv_ukernel *orthoconv_priv_ukernel_of_fn(void (*fn)(void));
#endif
