#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"
#include "select.h"
#include "ukernel_decls.h"

#define NOPS ORTHOCONV_OP_COUNT
#define NISA 4
#define MAX_CANDIDATES 4

static _Atomic int isa_cap = ORTHOCONV_ISA_SCALAR;
static _Atomic(const orthoconv_priv_profile *) table_in_force;

int orthoconv_priv_op_has_m(orthoconv_op op) {
  return op == ORTHOCONV_OP_FORWARD || op == ORTHOCONV_OP_LAYER_FORWARD ||
         op == ORTHOCONV_OP_BACKWARD_DATA || op == ORTHOCONV_OP_BACKWARD_WEIGHTS ||
         op == ORTHOCONV_OP_LAYER_FORWARD_BF16 || op == ORTHOCONV_OP_QLAYER_FORWARD;
}

unsigned orthoconv_priv_class_count(orthoconv_op op) {
  return orthoconv_priv_op_has_m(op) ? ORTHOCONV_CLASS_COUNT : ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES;
}

unsigned orthoconv_priv_class_of(orthoconv_op op, size_t M, size_t K, size_t N) {
  const unsigned mc = !orthoconv_priv_op_has_m(op) ? 0 : M <= 1 ? 0 : M <= 64 ? 1 : M <= 1024 ? 2 : M <= 16384 ? 3 : 4;
  const unsigned kc = K <= 256 ? 0 : 1;
  const unsigned nc = N <= 12 ? 0 : N <= 32 ? 1 : 2;
  return (mc * ORTHOCONV_KCLASSES + kc) * ORTHOCONV_NCLASSES + nc;
}

#define OC_KN_NAMES(m) m "K<=256,N<=12", m "K<=256,N<=32", m "K<=256,N>32", \
                       m "K>256,N<=12", m "K>256,N<=32", m "K>256,N>32"

const char *orthoconv_priv_class_name(orthoconv_op op, unsigned cls) {
  static const char *const with_m[ORTHOCONV_CLASS_COUNT] = {
    OC_KN_NAMES("M=1,"), OC_KN_NAMES("M<=64,"), OC_KN_NAMES("M<=1024,"), OC_KN_NAMES("M<=16384,"),
    OC_KN_NAMES("M>16384,") };
  static const char *const without_m[ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES] = { OC_KN_NAMES("") };
  if (cls >= orthoconv_priv_class_count(op)) return "?";
  return orthoconv_priv_op_has_m(op) ? with_m[cls] : without_m[cls];
}

orthoconv_priv_shape orthoconv_priv_class_example(orthoconv_op op, unsigned cls) {
  static const size_t ms[ORTHOCONV_MCLASSES] = { 1, 49, 784, 3136, 50176 };
  static const size_t ks[ORTHOCONV_KCLASSES] = { 128, 1024 };
  static const size_t ns[ORTHOCONV_NCLASSES] = { 10, 32, 128 };
  orthoconv_priv_shape s = { 0, 0, 0 };
  if (cls >= orthoconv_priv_class_count(op)) return s;
  s.N = ns[cls % ORTHOCONV_NCLASSES];
  s.K = ks[cls / ORTHOCONV_NCLASSES % ORTHOCONV_KCLASSES];
  s.M = orthoconv_priv_op_has_m(op) ? ms[cls / (ORTHOCONV_NCLASSES * ORTHOCONV_KCLASSES)] : 0;
  return s;
}

const char *orthoconv_priv_op_name(orthoconv_op op) {
  static const char *const names[NOPS] = { "forward", "backward_data", "backward_weights", "gram",
                                           "layer_forward", "reg_grad", "sgd", "adamw",
                                           "layer_forward_bf16", "qlayer_forward" };
  return (unsigned)op < NOPS ? names[op] : NULL;
}

int orthoconv_priv_isa_runnable(orthoconv_isa isa) {
  if ((unsigned)isa >= NISA) return 0;
  const unsigned m = orthoconv_priv_cpu_get()->isa_mask & orthoconv_priv_build_isa_mask();
  return (m >> isa) & 1u;
}

int orthoconv_priv_isa_allowed(orthoconv_isa isa, orthoconv_isa cap) {
  return orthoconv_priv_isa_runnable(isa) && (isa == ORTHOCONV_ISA_SCALAR || (int)isa <= (int)cap);
}

void orthoconv_priv_cap_store(orthoconv_isa cap) { atomic_store(&isa_cap, (int)cap); }
orthoconv_isa orthoconv_priv_cap_load(void) { return (orthoconv_isa)atomic_load(&isa_cap); }

int orthoconv_priv_tunables_valid(const orthoconv_ukernel *k, const int *t) {
  for (unsigned i = 0; i < ORTHOCONV_MAX_TUNABLES; i++) {
    if (i >= k->ntunables) {
      if (t[i] != 0) return 0;
      continue;
    }
    const orthoconv_tunable_spec *s = &k->tunables[i];
    if (t[i] < s->min || t[i] > s->max || (s->step > 0 && (t[i] - s->min) % s->step != 0)) return 0;
  }
  return 1;
}

orthoconv_priv_choice orthoconv_priv_choice_of(const orthoconv_ukernel *k) {
  orthoconv_priv_choice c = { k, { 0, 0, 0 } };
  for (unsigned i = 0; i < k->ntunables; i++) c.t[i] = k->tunables[i].def;
  return c;
}

/* ---- built-in defaults ------------------------------------------------------ */

/* Per ISA, op and class: the candidate lines of defaults.inc in order, -1 past
 * the last. Built once, then read-only. */
static short candidates[NISA][NOPS][ORTHOCONV_CLASS_COUNT][MAX_CANDIDATES];
static unsigned bad_lines, first_bad_line;
static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;

typedef struct default_line {
  orthoconv_isa isa;
  orthoconv_op op;
  unsigned char m0, m1, k0, k1, n0, n1;
  int (*prefer)(size_t K, size_t N); /* NULL: every shape of its classes */
  void (*fn)(void);
} default_line;

/* A variant is named by its symbol, so a mistyped name does not compile; lines of
 * ISAs this build lacks vanish with their symbols. */
#define ORTHOCONV_DEFAULT_IF(isa, op, m0, m1, k0, k1, n0, n1, prefer, fn) \
  ORTHOCONV_IF_##isa({ ORTHOCONV_ISA_##isa, ORTHOCONV_OP_##op, m0, m1, k0, k1, n0, n1, prefer, (void (*)(void))fn },)
#define ORTHOCONV_DEFAULT(isa, op, m0, m1, k0, k1, n0, n1, fn) \
  ORTHOCONV_DEFAULT_IF(isa, op, m0, m1, k0, k1, n0, n1, NULL, fn)
static const default_line default_lines[] = {
#include "defaults.inc"
  { ORTHOCONV_ISA_SCALAR, ORTHOCONV_OP_COUNT, 0, 0, 0, 0, 0, 0, NULL, NULL } /* end marker */
};
#undef ORTHOCONV_DEFAULT
#undef ORTHOCONV_DEFAULT_IF
#define NLINES (sizeof default_lines / sizeof default_lines[0])
static short line_kernel[NLINES]; /* registry index of each line's variant */

/* 0 when the class already holds MAX_CANDIDATES lines. */
static int add_candidate(short *list, short idx) {
  for (unsigned i = 0; i < MAX_CANDIDATES; i++) {
    if (list[i] < 0) {
      list[i] = idx;
      return 1;
    }
  }
  return 0;
}

static void build_defaults(void) {
  memset(candidates, 0xff, sizeof candidates);
  for (unsigned i = 0; default_lines[i].op != ORTHOCONV_OP_COUNT; i++) {
    const default_line *l = &default_lines[i];
    const orthoconv_ukernel *k = orthoconv_priv_ukernel_of_fn(l->fn);
    if (!k || k->isa != l->isa || !orthoconv_priv_ukernel_serves(k, l->op)) {
      if (!bad_lines++) first_bad_line = i + 1;
      continue;
    }
    line_kernel[i] = (short)(k - orthoconv_priv_ukernels);
    const unsigned mlast = orthoconv_priv_op_has_m(l->op) ? l->m1 : 0;
    int full = 0;
    for (unsigned m = l->m0; m <= mlast && m < ORTHOCONV_MCLASSES; m++)
      for (unsigned kc = l->k0; kc <= l->k1 && kc < ORTHOCONV_KCLASSES; kc++)
        for (unsigned n = l->n0; n <= l->n1 && n < ORTHOCONV_NCLASSES; n++)
          full |= !add_candidate(candidates[l->isa][l->op][(m * ORTHOCONV_KCLASSES + kc) * ORTHOCONV_NCLASSES + n], (short)i);
    if (full && !bad_lines++) first_bad_line = i + 1;
  }
}

unsigned orthoconv_priv_defaults_bad_lines(unsigned *line_no) {
  pthread_once(&defaults_once, build_defaults);
  if (line_no) *line_no = first_bad_line;
  return bad_lines;
}

orthoconv_priv_choice orthoconv_priv_default_choice(orthoconv_op op, size_t M, size_t K, size_t N,
    orthoconv_isa cap) {
  static const orthoconv_isa best_first[] = { ORTHOCONV_ISA_AVX512, ORTHOCONV_ISA_AVX2, ORTHOCONV_ISA_NEON };
  pthread_once(&defaults_once, build_defaults);
  const unsigned cls = orthoconv_priv_class_of(op, M, K, N);
  if ((unsigned)op < NOPS)
    for (size_t i = 0; i < sizeof best_first / sizeof best_first[0]; i++) {
      if (!orthoconv_priv_isa_allowed(best_first[i], cap)) continue;
      const short *c = candidates[best_first[i]][op][cls];
      for (unsigned j = 0; j < MAX_CANDIDATES && c[j] >= 0; j++) {
        const orthoconv_ukernel *k = &orthoconv_priv_ukernels[line_kernel[c[j]]];
        if ((!default_lines[c[j]].prefer || default_lines[c[j]].prefer(K, N)) && orthoconv_priv_ukernel_applies(k, K, N))
          return orthoconv_priv_choice_of(k);
      }
    }
  /* The scalar reference of every op applies to every shape. */
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (k->isa == ORTHOCONV_ISA_SCALAR && orthoconv_priv_ukernel_serves(k, op) && orthoconv_priv_ukernel_applies(k, K, N))
      return orthoconv_priv_choice_of(k);
  }
  orthoconv_priv_choice none = { NULL, { 0, 0, 0 } };
  return none;
}

/* ---- the table in force ------------------------------------------------------- */

typedef struct installed {
  orthoconv_priv_profile table;
  struct installed *next;
} installed;

static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static installed *all_installed; /* every table ever installed, for reuse */

static int same_table(const orthoconv_priv_profile *a, const orthoconv_priv_profile *b) {
  if (a->task_kflops != b->task_kflops || a->task_threads != b->task_threads) return 0;
  for (unsigned op = 0; op < NOPS; op++)
    for (unsigned c = 0; c < ORTHOCONV_CLASS_COUNT; c++) {
      const orthoconv_priv_choice *x = &a->c[op][c], *y = &b->c[op][c];
      if (x->k != y->k || a->rate[op][c] != b->rate[op][c] || a->at[op][c].M != b->at[op][c].M ||
          a->at[op][c].K != b->at[op][c].K || a->at[op][c].N != b->at[op][c].N)
        return 0;
      if (x->k && memcmp(x->t, y->t, sizeof x->t) != 0) return 0;
    }
  return 1;
}

orthoconv_status orthoconv_priv_table_install(const orthoconv_priv_profile *p) {
  if (!p) {
    atomic_store(&table_in_force, NULL);
    return ORTHOCONV_OK;
  }
  pthread_mutex_lock(&install_lock);
  installed *e = all_installed;
  while (e && !same_table(&e->table, p)) e = e->next;
  if (!e) {
    e = malloc(sizeof *e);
    if (!e) {
      pthread_mutex_unlock(&install_lock);
      return ORTHOCONV_ENOMEM;
    }
    e->table = *p;
    e->next = all_installed;
    all_installed = e;
  }
  atomic_store(&table_in_force, &e->table);
  pthread_mutex_unlock(&install_lock);
  return ORTHOCONV_OK;
}

const orthoconv_priv_profile *orthoconv_priv_table_current(void) { return atomic_load(&table_in_force); }

orthoconv_priv_choice orthoconv_priv_select_in(const orthoconv_priv_profile *t, orthoconv_isa cap,
    orthoconv_op op, size_t M, size_t K, size_t N) {
  if (t && (unsigned)op < NOPS) {
    const orthoconv_priv_choice *c = &t->c[op][orthoconv_priv_class_of(op, M, K, N)];
    if (c->k && orthoconv_priv_isa_allowed(c->k->isa, cap) && orthoconv_priv_ukernel_applies(c->k, K, N)) return *c;
  }
  return orthoconv_priv_default_choice(op, M, K, N, cap);
}

orthoconv_priv_choice orthoconv_priv_select(orthoconv_op op, size_t M, size_t K, size_t N) {
  return orthoconv_priv_select_in(orthoconv_priv_table_current(), orthoconv_priv_cap_load(), op, M, K, N);
}
