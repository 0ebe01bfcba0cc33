#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/testutil.h"
#include "tune/profile.h"
#include "putil.h"

const char *pt_dir(void) {
  static char dir[4096];
  if (dir[0]) return dir;
  const char *base = getenv("ORTHOCONV_TEST_TMP");
  snprintf(dir, sizeof dir, "%s/profile-test-XXXXXX", base && base[0] ? base : "/tmp");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    exit(1);
  }
  return dir;
}

const char *pt_path(const char *name, char *buf, size_t size) {
  snprintf(buf, size, "%s/%s", pt_dir(), name);
  return buf;
}

void pt_write(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

void pt_write_signed(const char *path, const char *body) {
  const size_t n = strlen(body);
  char *all = malloc(n + 64);
  memcpy(all, body, n);
  const int m = snprintf(all + n, 64, "checksum %016llx\n",
      (unsigned long long)orthoconv_priv_profile_checksum(body, n));
  pt_write(path, all, n + (size_t)m);
  free(all);
}

size_t pt_header(char *buf, size_t size) { return orthoconv_priv_profile_header(buf, size); }

void pt_add_choice(char *buf, size_t size, orthoconv_op op, unsigned cls, const orthoconv_priv_choice *c) {
  size_t len = strlen(buf);
  len += (size_t)snprintf(buf + len, size - len, "choice %s %s %s", orthoconv_priv_op_name(op),
      orthoconv_priv_class_name(op, cls), c->k->name);
  for (unsigned i = 0; i < c->k->ntunables; i++)
    len += (size_t)snprintf(buf + len, size - len, " %s=%d", c->k->tunables[i].name, c->t[i]);
  const orthoconv_priv_shape sh = orthoconv_priv_class_example(op, cls);
  snprintf(buf + len, size - len, " shape=%zux%zux%zu rate=1234\n", sh.M, sh.K, sh.N);
}

int pt_same_choice(const orthoconv_priv_choice *a, const orthoconv_priv_choice *b) {
  return a->k == b->k && memcmp(a->t, b->t, sizeof a->t) == 0;
}

int pt_alt_choice_for(orthoconv_op op, unsigned cls, orthoconv_priv_choice *c) {
  const orthoconv_priv_shape sh = orthoconv_priv_class_example(op, cls);
  const orthoconv_priv_choice def = orthoconv_priv_default_choice(op, sh.M, sh.K, sh.N, orthoconv_get_isa());
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (!orthoconv_priv_ukernel_serves(k, op) || !orthoconv_priv_isa_runnable(k->isa)) continue;
    if (!orthoconv_priv_ukernel_applies(k, sh.K, sh.N)) continue;
    if (k->isa > orthoconv_get_isa() && k->isa != ORTHOCONV_ISA_SCALAR) continue;
    orthoconv_priv_choice x = { k, { 0 } };
    for (unsigned j = 0; j < k->ntunables; j++) x.t[j] = k->tunables[j].def;
    if (k != def.k) {
      *c = x;
      return 1;
    }
    for (unsigned j = 0; j < k->ntunables; j++) {
      const orthoconv_tunable_spec *s = &k->tunables[j];
      const int step = s->step > 0 ? s->step : 1;
      if (s->def + step <= s->max) x.t[j] = s->def + step;
      else if (s->def - step >= s->min) x.t[j] = s->def - step;
      else continue;
      *c = x;
      return 1;
    }
  }
  return 0;
}

int pt_alt_choice(orthoconv_op *op, unsigned *cls, orthoconv_priv_choice *c) {
  /* Forward ops first: their results can show which variant really ran. */
  static const orthoconv_op order[] = { ORTHOCONV_OP_LAYER_FORWARD, ORTHOCONV_OP_FORWARD,
    ORTHOCONV_OP_BACKWARD_DATA, ORTHOCONV_OP_BACKWARD_WEIGHTS, ORTHOCONV_OP_GRAM,
    ORTHOCONV_OP_REG_GRAD, ORTHOCONV_OP_SGD, ORTHOCONV_OP_ADAMW };
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    for (unsigned k = 0; k < orthoconv_priv_class_count(order[i]); k++)
      if (pt_alt_choice_for(order[i], k, c)) {
        *op = order[i];
        *cls = k;
        return 1;
      }
  return 0;
}

const orthoconv_ukernel *pt_tunable_variant(orthoconv_op *op) {
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (k->ntunables == 0 || !orthoconv_priv_isa_runnable(k->isa)) continue;
    for (unsigned o = 0; o < ORTHOCONV_OP_COUNT; o++)
      if (orthoconv_priv_ukernel_serves(k, (orthoconv_op)o) &&
          orthoconv_priv_ukernel_applies(k, orthoconv_priv_class_example((orthoconv_op)o, 0).K,
                                         orthoconv_priv_class_example((orthoconv_op)o, 0).N)) {
        *op = (orthoconv_op)o;
        return k;
      }
  }
  return NULL;
}

void pt_snap(pt_snapshot *s) {
  memset(s, 0, sizeof *s);
  for (unsigned op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned c = 0; c < orthoconv_priv_class_count((orthoconv_op)op); c++) {
      const orthoconv_priv_shape sh = orthoconv_priv_class_example((orthoconv_op)op, c);
      s->c[op][c] = orthoconv_priv_select((orthoconv_op)op, sh.M, sh.K, sh.N);
    }
}

int pt_same(const pt_snapshot *a, const pt_snapshot *b) {
  for (unsigned op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned c = 0; c < ORTHOCONV_CLASS_COUNT; c++)
      if (!pt_same_choice(&a->c[op][c], &b->c[op][c])) return 0;
  return 1;
}

const char *pt_status(void) {
  static char buf[2048];
  orthoconv_profile_status(buf, sizeof buf);
  return buf;
}
