/* Which variant and tunables run for an op and size class.
 * Order of choice: ISA cap (ORTHOCONV_ISA / orthoconv_set_isa) bounds everything;
 * within it, a loaded tuning profile's choice, else the built-in default of the
 * best allowed ISA (dispatch/defaults.inc), else the op's scalar reference. */
#ifndef ORTHOCONV_SELECT_H
#define ORTHOCONV_SELECT_H
#include "registry.h"

/* Size classes of the ops that have M: M <= 1, <= 64, <= 1024, <= 16384, more.
 * Ops without M (Gram, optimizer steps, ...) have the single class 0. */
#define ORTHOCONV_CLASS_COUNT 5
unsigned orthoconv_priv_class_count(orthoconv_op op);
unsigned orthoconv_priv_class_of(orthoconv_op op, size_t M);
/* "M=1", "M<=64", ..., or "all" for ops without M. */
const char *orthoconv_priv_class_name(orthoconv_op op, unsigned cls);
/* A representative M of the class (what the tuner measures): 1, 49, 784, 3136, 50176. */
size_t orthoconv_priv_class_example_m(orthoconv_op op, unsigned cls);
/* "forward", "layer_forward", ...; NULL for unknown ops. */
const char *orthoconv_priv_op_name(orthoconv_op op);

typedef struct orthoconv_priv_choice {
  const orthoconv_ukernel *k; /* NULL = no choice */
  int t[ORTHOCONV_MAX_TUNABLES];
} orthoconv_priv_choice;

/* Runs the one-time set-up (CPU detection, ORTHOCONV_ISA, profile search) if needed. */
void orthoconv_priv_init(void);
/* The choice for a call now; never NULL k for a valid op. */
orthoconv_priv_choice orthoconv_priv_select(orthoconv_op op, size_t M);
/* The built-in default for this class under this cap (what runs with no profile). */
orthoconv_priv_choice orthoconv_priv_default_choice(orthoconv_op op, unsigned cls, orthoconv_isa cap);
/* Can this CPU + build run isa (ignoring the cap)? */
int orthoconv_priv_isa_runnable(orthoconv_isa isa);
/* Are k's tunables t all within its specs (range and step)? */
int orthoconv_priv_tunables_valid(const orthoconv_ukernel *k, const int *t);

/* The profile's table. Setters do not run orthoconv_priv_init, so the profile
 * loader may call them during it. A choice must be valid (runnable ISA, serves op,
 * tunables valid): callers check first. Each entry is stored atomically. */
void orthoconv_priv_choice_set(orthoconv_op op, unsigned cls, const orthoconv_priv_choice *c);
orthoconv_priv_choice orthoconv_priv_choice_get(orthoconv_op op, unsigned cls);
void orthoconv_priv_choice_clear_all(void);

/* Provided by tune/profile.c: the default profile search, run once from init. */
void orthoconv_priv_profile_autoload(void);
#endif
