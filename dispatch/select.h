/* Which variant and tunables run for an op and shape: pure functions of the
 * choice table in force, the ISA cap and the CPU. Nothing here loads a profile or
 * runs the one-time set-up (dispatch/init.c does, above this file and tune/).
 *
 * Order of choice: the ISA cap bounds everything; within it, the profile table's
 * record for the shape's class if its variant applies to the shape, else the
 * built-in defaults of the best allowed ISA (dispatch/defaults.inc, first line
 * whose variant applies), else the op's scalar reference. */
#ifndef ORTHOCONV_SELECT_H
#define ORTHOCONV_SELECT_H
#include <stdint.h>
#include "registry.h"

/* Shape classes: M (ops with M only) x K x N.
 *   M: =1, <=64, <=1024, <=16384, more     K: <=256, more     N: <=12, <=32, more */
#define ORTHOCONV_MCLASSES 5
#define ORTHOCONV_KCLASSES 2
#define ORTHOCONV_NCLASSES 3
#define ORTHOCONV_CLASS_COUNT (ORTHOCONV_MCLASSES * ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES)

typedef struct orthoconv_priv_shape {
  size_t M, K, N;
} orthoconv_priv_shape;

int orthoconv_priv_op_has_m(orthoconv_op op);
/* Classes of op: 30 for ops with M, 6 (the K x N ones) for the others; a class
 * index is (mclass * KCLASSES + kclass) * NCLASSES + nclass. */
unsigned orthoconv_priv_class_count(orthoconv_op op);
unsigned orthoconv_priv_class_of(orthoconv_op op, size_t M, size_t K, size_t N);
/* "M<=64,K>256,N<=12" ("K>256,N<=12" for ops without M); "?" if out of range. */
const char *orthoconv_priv_class_name(orthoconv_op op, unsigned cls);
/* A representative shape of the class (what the tuner measures when not told
 * the engine's own shapes): M 1, 49, 784, 3136, 50176; K 128, 1024; N 10, 32, 128. */
orthoconv_priv_shape orthoconv_priv_class_example(orthoconv_op op, unsigned cls);
/* "forward", "layer_forward", ...; NULL for unknown ops. */
const char *orthoconv_priv_op_name(orthoconv_op op);

typedef struct orthoconv_priv_choice {
  const orthoconv_ukernel *k; /* NULL = no choice */
  int t[ORTHOCONV_MAX_TUNABLES];
} orthoconv_priv_choice;

/* A choice table: what a profile says, per op and class. k == NULL = no record
 * (the built-in default runs). rate: millions of flops (GEMM-like ops) or bytes
 * (optimizer steps) per second; at: the shape it was measured at. */
typedef struct orthoconv_priv_profile {
  orthoconv_priv_choice c[ORTHOCONV_OP_COUNT][ORTHOCONV_CLASS_COUNT];
  uint32_t rate[ORTHOCONV_OP_COUNT][ORTHOCONV_CLASS_COUNT];
  orthoconv_priv_shape at[ORTHOCONV_OP_COUNT][ORTHOCONV_CLASS_COUNT];
  /* The _mt calls' task grain: flops per task (0 = the built-in cost model) and
   * the pool size it was tuned with. The grain changes how many tasks a call has,
   * never its bits (tasks cut at points where results do not depend on the cut). */
  uint32_t task_kflops, task_threads;
} orthoconv_priv_profile;

/* Installs a copy of *p (NULL = none: built-in defaults) as the table in force with
 * one atomic pointer store, so that every call sees the old table or the new one
 * whole. Tables are immutable once installed and never freed (a call may still be
 * reading one); installing a table equal to an earlier one reuses it, so memory is
 * bounded by the number of distinct profiles a process loads. The caller checks
 * every choice first. ORTHOCONV_ENOMEM if the copy cannot be allocated. */
orthoconv_status orthoconv_priv_table_install(const orthoconv_priv_profile *p);
/* The table in force; NULL = none. */
const orthoconv_priv_profile *orthoconv_priv_table_current(void);

/* The ISA cap (the state behind orthoconv_set_isa; init.c sets it at start-up). */
void orthoconv_priv_cap_store(orthoconv_isa cap);
orthoconv_isa orthoconv_priv_cap_load(void);

/* The choice for a call now; never NULL k for a valid op. */
orthoconv_priv_choice orthoconv_priv_select(orthoconv_op op, size_t M, size_t K, size_t N);
/* The same against a given table and cap (NULL table = defaults only). */
orthoconv_priv_choice orthoconv_priv_select_in(const orthoconv_priv_profile *t, orthoconv_isa cap,
    orthoconv_op op, size_t M, size_t K, size_t N);
/* The built-in default for this shape under this cap (what runs with no profile). */
orthoconv_priv_choice orthoconv_priv_default_choice(orthoconv_op op, size_t M, size_t K, size_t N,
    orthoconv_isa cap);
/* The choice of k with its list line's default tunables. */
orthoconv_priv_choice orthoconv_priv_choice_of(const orthoconv_ukernel *k);
/* Can this CPU + build run isa (ignoring the cap)? */
int orthoconv_priv_isa_runnable(orthoconv_isa isa);
/* Runnable and within the cap (AVX2 < AVX-512; NEON never shares a CPU with them). */
int orthoconv_priv_isa_allowed(orthoconv_isa isa, orthoconv_isa cap);
/* Are k's tunables t all within its specs (range and step)? */
int orthoconv_priv_tunables_valid(const orthoconv_ukernel *k, const int *t);
/* Lines of dispatch/defaults.inc whose variant has another ISA or op than the line
 * says, or that would give a class more than its room for candidates (their
 * candidates are dropped); a test wants 0. line_no: the first one. */
unsigned orthoconv_priv_defaults_bad_lines(unsigned *line_no);
/* Shape preferences of default lines (dispatch/prefer.c), finer than the
 * classes: 1 where the line's variant should run. */
int orthoconv_priv_dot_fills_more_lanes(size_t K, size_t N);
int orthoconv_priv_dot_fills_more_slots(size_t K, size_t N);
int orthoconv_priv_dot_fills_more_slots_neon(size_t K, size_t N);
/* Not a shape but the core: are 512-bit permutes issued to an FMA port? */
int orthoconv_priv_permutes_share_fma_port(size_t K, size_t N);
#endif
