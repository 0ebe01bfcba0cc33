#include <string.h>
#include "cpu.h"
#include "registry.h"
#include "ukernel_decls.h"

/* The tunable count is the length of the line's list: a leading dummy entry lets the
 * list be empty (a trailing comma is valid in an initializer). */
#define OC_COUNT_TUNABLES(...) \
  (unsigned char)(sizeof((orthoconv_tunable_spec[]){ { 0 }, __VA_ARGS__ }) / sizeof(orthoconv_tunable_spec) - 1)

#define ORTHOCONV_UKERNEL(op_, isa_, name_, mr_, nr_, ku_, lay_, rule_, ...)              \
  ORTHOCONV_IF_##isa_({ .op = ORTHOCONV_OP_##op_, .name = #name_,                         \
      .isa = ORTHOCONV_ISA_##isa_, .mr = mr_, .nr = nr_, .kunroll = ku_,                 \
      .wlayout = ORTHOCONV_W_##lay_, .ntunables = OC_COUNT_TUNABLES(__VA_ARGS__),        \
      .exts = ORTHOCONV_EXTS_##isa_,                                                       \
      .rule = ORTHOCONV_##rule_, .tunables = { __VA_ARGS__ },                            \
      .fn.ORTHOCONV_FNFIELD_##op_ = name_ },)
const orthoconv_ukernel orthoconv_priv_ukernels[] = {
#include "all.inc"
};
#undef ORTHOCONV_UKERNEL
const size_t orthoconv_priv_ukernel_count =
    sizeof orthoconv_priv_ukernels / sizeof orthoconv_priv_ukernels[0];

const orthoconv_ukernel *orthoconv_priv_ukernel_find(const char *name) {
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++)
    if (strcmp(orthoconv_priv_ukernels[i].name, name) == 0) return &orthoconv_priv_ukernels[i];
  return NULL;
}

const orthoconv_ukernel *orthoconv_priv_ukernel_of_fn(void (*fn)(void)) {
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++)
    if (orthoconv_priv_ukernels[i].fn.any == fn) return &orthoconv_priv_ukernels[i];
  return NULL;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

/* Raised when a tunable's meaning changes while its spec does not: profiles timed
 * under the old meaning then no longer match. 1: orthoconv_forward's blocks of W
 * packed on the fly became 2 mb rows (they were at least an L2 of X, whatever mb).
 * 2: kc = 0 of a panel tile became its list line's largest k block (it was the L1
 * rule's). */
#define TUNABLE_MEANING_REVISION 2

uint64_t orthoconv_priv_ukernel_list_hash(void) {
  uint64_t h = 0xcbf29ce484222325ull;
  const int revision = TUNABLE_MEANING_REVISION;
  h = fnv(h, &revision, sizeof revision);
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    int fields[] = { (int)k->op, (int)k->isa, k->mr, k->nr, k->kunroll, k->wlayout, k->ntunables, k->exts };
    size_t rule[] = { k->rule.nmin, k->rule.nmax, k->rule.knmax };
    h = fnv(h, k->name, strlen(k->name) + 1);
    h = fnv(h, fields, sizeof fields);
    h = fnv(h, rule, sizeof rule);
    for (unsigned j = 0; j < k->ntunables; j++) {
      const orthoconv_tunable_spec *s = &k->tunables[j];
      int spec[] = { s->min, s->max, s->step, s->def };
      h = fnv(h, s->name, strlen(s->name) + 1);
      h = fnv(h, spec, sizeof spec);
    }
  }
  return h;
}

int orthoconv_priv_ukernel_serves(const orthoconv_ukernel *k, orthoconv_op op) {
  /* The forward driver packs W for a K16 variant when it is not given packed. */
  if (op == ORTHOCONV_OP_LAYER_FORWARD) return k->op == ORTHOCONV_OP_FORWARD;
  return k->op == op;
}

int orthoconv_priv_ukernel_applies(const orthoconv_ukernel *k, size_t K, size_t N) {
  const orthoconv_rule *r = &k->rule;
  if (k->exts & ~orthoconv_priv_cpu_get()->exts) return 0; /* an extension this CPU lacks */
  if (N < r->nmin || (r->nmax && N > r->nmax)) return 0;
  if (!r->knmax) return 1;
  const size_t ku = k->kunroll ? k->kunroll : 1;
  const size_t kp = K / ku + (K % ku != 0);
  /* kp * ku * N <= knmax, without overflow */
  return kp <= r->knmax / ku / N;
}
