#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"
#include "select.h"

#define NOPS ORTHOCONV_OP_COUNT
#define NISA 4

static _Atomic int isa_cap = ORTHOCONV_ISA_SCALAR;
/* A profile choice packed in one word so that readers never see half of one:
 * bits 0-15 variant index + 1 (0 = none), then three 16-bit tunables. */
static _Atomic uint64_t choices[NOPS][ORTHOCONV_CLASS_COUNT];
/* Index of the built-in default per ISA, op, class; -1 = none. Filled once. */
static int defaults[NISA][NOPS][ORTHOCONV_CLASS_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int op_has_m(orthoconv_op op) {
  return op == ORTHOCONV_OP_FORWARD || op == ORTHOCONV_OP_LAYER_FORWARD ||
         op == ORTHOCONV_OP_BACKWARD_DATA || op == ORTHOCONV_OP_BACKWARD_WEIGHTS;
}

unsigned orthoconv_priv_class_count(orthoconv_op op) { return op_has_m(op) ? ORTHOCONV_CLASS_COUNT : 1; }

unsigned orthoconv_priv_class_of(orthoconv_op op, size_t M) {
  if (!op_has_m(op)) return 0;
  return M <= 1 ? 0 : M <= 64 ? 1 : M <= 1024 ? 2 : M <= 16384 ? 3 : 4;
}

const char *orthoconv_priv_class_name(orthoconv_op op, unsigned cls) {
  static const char *const names[ORTHOCONV_CLASS_COUNT] = { "M=1", "M<=64", "M<=1024", "M<=16384", "M>16384" };
  if (!op_has_m(op)) return "all";
  return cls < ORTHOCONV_CLASS_COUNT ? names[cls] : "?";
}

size_t orthoconv_priv_class_example_m(orthoconv_op op, unsigned cls) {
  static const size_t ms[ORTHOCONV_CLASS_COUNT] = { 1, 49, 784, 3136, 50176 };
  return op_has_m(op) && cls < ORTHOCONV_CLASS_COUNT ? ms[cls] : 0;
}

const char *orthoconv_priv_op_name(orthoconv_op op) {
  static const char *const names[NOPS] = { "forward", "backward_data", "backward_weights", "gram",
                                           "layer_forward", "reg_grad", "sgd", "adamw" };
  return (unsigned)op < NOPS ? names[op] : NULL;
}

int orthoconv_priv_isa_runnable(orthoconv_isa isa) {
  if ((unsigned)isa >= NISA) return 0;
  const unsigned m = orthoconv_priv_cpu_get()->isa_mask & orthoconv_priv_build_isa_mask();
  return (m >> isa) & 1u;
}

/* The cap admits scalar and every runnable ISA numbered up to it (AVX2 < AVX512;
 * NEON never shares a CPU with them). */
static int isa_allowed(orthoconv_isa isa, int cap) {
  return orthoconv_priv_isa_runnable(isa) && (isa == ORTHOCONV_ISA_SCALAR || (int)isa <= cap);
}

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

static orthoconv_priv_choice choice_of(const orthoconv_ukernel *k) {
  orthoconv_priv_choice c = { k, { 0, 0, 0 } };
  for (unsigned i = 0; i < k->ntunables; i++) c.t[i] = k->tunables[i].def;
  return c;
}

static void build_defaults(void) {
  memset(defaults, 0xff, sizeof defaults);
  struct line { orthoconv_isa isa; orthoconv_op op; unsigned first, last; const char *name; };
  static const struct line lines[] = {
#define ORTHOCONV_DEFAULT(isa, op, first, last, name) \
    { ORTHOCONV_ISA_##isa, ORTHOCONV_OP_##op, first, last, #name },
#include "defaults.inc"
#undef ORTHOCONV_DEFAULT
    { ORTHOCONV_ISA_SCALAR, ORTHOCONV_OP_COUNT, 0, 0, "" } /* end marker: keeps the array non-empty */
  };
  for (size_t i = 0; lines[i].op != ORTHOCONV_OP_COUNT; i++) {
    const orthoconv_ukernel *k = orthoconv_priv_ukernel_find(lines[i].name);
    if (!k || (k->isa != lines[i].isa && k->isa != ORTHOCONV_ISA_SCALAR) ||
        !orthoconv_priv_ukernel_serves(k, lines[i].op))
      continue;
    for (unsigned c = lines[i].first; c <= lines[i].last && c < ORTHOCONV_CLASS_COUNT; c++)
      defaults[lines[i].isa][lines[i].op][c] = (int)(k - orthoconv_priv_ukernels);
  }
}

static const char *cap_note = "";

static void parse_isa_env(void) {
  const char *e = getenv("ORTHOCONV_ISA");
  if (!e || !*e) return;
  for (int i = 0; i < NISA; i++) {
    if (strcmp(e, orthoconv_isa_name((orthoconv_isa)i)) != 0) continue;
    if (orthoconv_priv_isa_runnable((orthoconv_isa)i)) {
      atomic_store(&isa_cap, i);
    } else {
      cap_note = "ORTHOCONV_ISA names an ISA this CPU, OS or build cannot run: ignored, best runnable ISA in use";
    }
    return;
  }
  cap_note = "ORTHOCONV_ISA is not one of scalar, avx2, avx512, neon: ignored, best runnable ISA in use";
}

static void init_once(void) {
  build_defaults();
  atomic_store(&isa_cap, (int)orthoconv_cpu_isa());
  parse_isa_env();
  orthoconv_priv_profile_autoload();
}

void orthoconv_priv_init(void) { pthread_once(&once, init_once); }

orthoconv_isa orthoconv_cpu_isa(void) {
  static const orthoconv_isa best_first[] = { ORTHOCONV_ISA_AVX512, ORTHOCONV_ISA_AVX2, ORTHOCONV_ISA_NEON };
  for (size_t i = 0; i < sizeof best_first / sizeof best_first[0]; i++)
    if (orthoconv_priv_isa_runnable(best_first[i])) return best_first[i];
  return ORTHOCONV_ISA_SCALAR;
}

orthoconv_status orthoconv_set_isa(orthoconv_isa cap) {
  if ((unsigned)cap >= NISA) return ORTHOCONV_EINVAL;
  orthoconv_priv_init();
  if (!orthoconv_priv_isa_runnable(cap)) return ORTHOCONV_EUNSUPPORTED;
  atomic_store(&isa_cap, (int)cap);
  return ORTHOCONV_OK;
}

orthoconv_isa orthoconv_get_isa(void) {
  orthoconv_priv_init();
  return (orthoconv_isa)atomic_load(&isa_cap);
}

const char *orthoconv_isa_cap_note(void) {
  orthoconv_priv_init();
  return cap_note;
}

orthoconv_priv_choice orthoconv_priv_default_choice(orthoconv_op op, unsigned cls, orthoconv_isa cap) {
  static const orthoconv_isa best_first[] = { ORTHOCONV_ISA_AVX512, ORTHOCONV_ISA_AVX2, ORTHOCONV_ISA_NEON };
  orthoconv_priv_init();
  for (size_t i = 0; i < sizeof best_first / sizeof best_first[0]; i++) {
    const int idx = defaults[best_first[i]][op][cls];
    if (idx >= 0 && isa_allowed(best_first[i], (int)cap)) return choice_of(&orthoconv_priv_ukernels[idx]);
  }
  /* Every op's list starts with its scalar reference. */
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++)
    if (orthoconv_priv_ukernel_serves(&orthoconv_priv_ukernels[i], op))
      return choice_of(&orthoconv_priv_ukernels[i]);
  orthoconv_priv_choice none = { NULL, { 0, 0, 0 } };
  return none;
}

static uint64_t encode(const orthoconv_priv_choice *c) {
  if (!c || !c->k) return 0;
  uint64_t e = (uint64_t)(c->k - orthoconv_priv_ukernels) + 1;
  for (unsigned i = 0; i < ORTHOCONV_MAX_TUNABLES; i++) e |= (uint64_t)(uint16_t)c->t[i] << (16 * (i + 1));
  return e;
}

static orthoconv_priv_choice decode(uint64_t e) {
  orthoconv_priv_choice c = { NULL, { 0, 0, 0 } };
  if (!e) return c;
  c.k = &orthoconv_priv_ukernels[(e & 0xffff) - 1];
  for (unsigned i = 0; i < ORTHOCONV_MAX_TUNABLES; i++) c.t[i] = (int)((e >> (16 * (i + 1))) & 0xffff);
  return c;
}

void orthoconv_priv_choice_set(orthoconv_op op, unsigned cls, const orthoconv_priv_choice *c) {
  if ((unsigned)op < NOPS && cls < ORTHOCONV_CLASS_COUNT) atomic_store(&choices[op][cls], encode(c));
}

orthoconv_priv_choice orthoconv_priv_choice_get(orthoconv_op op, unsigned cls) {
  if ((unsigned)op >= NOPS || cls >= ORTHOCONV_CLASS_COUNT) return decode(0);
  return decode(atomic_load(&choices[op][cls]));
}

void orthoconv_priv_choice_clear_all(void) {
  for (unsigned o = 0; o < NOPS; o++)
    for (unsigned c = 0; c < ORTHOCONV_CLASS_COUNT; c++) atomic_store(&choices[o][c], 0);
}

orthoconv_priv_choice orthoconv_priv_select(orthoconv_op op, size_t M) {
  orthoconv_priv_init();
  const int cap = atomic_load(&isa_cap);
  const unsigned cls = orthoconv_priv_class_of(op, M);
  const orthoconv_priv_choice c = decode(atomic_load(&choices[op][cls]));
  if (c.k && isa_allowed(c.k->isa, cap)) return c;
  return orthoconv_priv_default_choice(op, cls, (orthoconv_isa)cap);
}

const char *orthoconv_selected_kernel(orthoconv_op op, size_t M, size_t K, size_t N) {
  (void)K;
  (void)N;
  if ((unsigned)op >= NOPS) return NULL;
  return orthoconv_priv_select(op, M).k->name;
}
