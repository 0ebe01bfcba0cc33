/* Profiles that must be refused, each written here with exactly one defect (the
 * checksum recomputed where the defect is not the checksum): ORTHOCONV_EPROFILE,
 * the selections in force unchanged, and a reason in the status. Then a fuzz run
 * of mutated files that must never crash.
 *   test_profile_reject          on the real CPU
 *   test_profile_reject fake     on a fake CPU without SIMD, for "an ISA this CPU lacks" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/testutil.h"
#include "cpu.h"
#include "tune/profile.h"
#include "putil.h"

static char good[16384];        /* header + one valid choice, no checksum */
static pt_snapshot in_force;    /* what must survive every rejection */
static char good_path[4096];

/* Loads a profile with a non-default choice (when the CPU has one) so that a
 * rejection that fell back to the defaults would be noticed too. */
static void establish(void) {
  orthoconv_op op;
  unsigned cls;
  orthoconv_priv_choice c;
  pt_header(good, sizeof good);
  if (!pt_alt_choice(&op, &cls, &c)) {
    op = ORTHOCONV_OP_FORWARD;
    cls = 0;
    const orthoconv_priv_shape sh = orthoconv_priv_class_example(op, cls);
    c = orthoconv_priv_default_choice(op, sh.M, sh.K, sh.N, orthoconv_get_isa());
  }
  pt_add_choice(good, sizeof good, op, cls, &c);
  pt_write_signed(pt_path("good.txt", good_path, sizeof good_path), good);
  CHECK(orthoconv_profile_load(good_path) == ORTHOCONV_OK, "the good profile loads: %s", pt_status());
  pt_snap(&in_force);
}

static void expect_reject_file(const char *what, const char *path, const char *reason) {
  const orthoconv_status s = orthoconv_profile_load(path);
  pt_snapshot now;
  pt_snap(&now);
  CHECK(s == ORTHOCONV_EPROFILE, "%s: status %d, expected ORTHOCONV_EPROFILE", what, (int)s);
  CHECK(pt_same(&now, &in_force), "%s: the selections in force changed", what);
  CHECK(strstr(pt_status(), reason) != NULL, "%s: status lacks '%s': %s", what, reason, pt_status());
  CHECK(strstr(pt_status(), good_path) != NULL, "%s: status lost the profile in force: %s", what, pt_status());
  printf("  %-26s -> %s\n", what, strstr(pt_status(), "failed: ") ? strstr(pt_status(), "failed: ") + 8 : pt_status());
}

static void expect_reject_signed(const char *what, const char *body, const char *reason) {
  char path[4096];
  pt_write_signed(pt_path("case.txt", path, sizeof path), body);
  expect_reject_file(what, path, reason);
}

/* good with the first occurrence of from replaced by to. */
static const char *edited(const char *from, const char *to) {
  static char out[sizeof good + 4096];
  const char *at = strstr(good, from);
  if (!at) {
    test_fail("edit: '%s' not in the good profile", from);
    return good;
  }
  snprintf(out, sizeof out, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
  return out;
}

static const char *appended(const char *line) {
  static char out[sizeof good + 4096];
  snprintf(out, sizeof out, "%s%s", good, line);
  return out;
}

/* The header alone and line: for records that could collide with good's. */
static const char *header_and(const char *line) {
  static char out[sizeof good + 4096];
  const size_t n = pt_header(out, sizeof out);
  snprintf(out + n, sizeof out - n, "%s", line);
  return out;
}

static void raw_cases(void) {
  char path[4096], signed_text[sizeof good + 64];
  const size_t n = strlen(good);
  memcpy(signed_text, good, n);
  const size_t total = n + (size_t)snprintf(signed_text + n, 64, "checksum %016llx\n",
      (unsigned long long)orthoconv_priv_profile_checksum(good, n));

  pt_write(pt_path("trunc.txt", path, sizeof path), signed_text, total / 2);
  expect_reject_file("truncated", path, "truncated");
  pt_write(path, signed_text, total - 1);
  expect_reject_file("truncated by one byte", path, "truncated");
  pt_write(path, good, n);
  expect_reject_file("no checksum line", path, "no checksum");

  size_t at = n / 2; /* a letter, so that the flip stays printable and only the checksum can tell */
  while (!((signed_text[at] | 0x20) >= 'a' && (signed_text[at] | 0x20) <= 'z')) at++;
  signed_text[at] ^= 0x20;
  pt_write(pt_path("flip.txt", path, sizeof path), signed_text, total);
  expect_reject_file("flipped byte", path, "checksum mismatch");
  signed_text[at] ^= 0x20;
  signed_text[total - 2] = signed_text[total - 2] == '0' ? '1' : '0';
  pt_write(path, signed_text, total);
  expect_reject_file("flipped checksum digit", path, "checksum mismatch");

  pt_write(pt_path("empty.txt", path, sizeof path), "", 0);
  expect_reject_file("empty file", path, "empty file");
  expect_reject_file("directory", pt_dir(), "directory");
  expect_reject_file("missing file", pt_path("no-such-file.txt", path, sizeof path), "no such file");

  unsigned char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)test_rand_u64();
  pt_write(pt_path("junk.bin", path, sizeof path), junk, sizeof junk);
  expect_reject_file("binary garbage", path, "not printable");

  const size_t mb = 1 << 20;
  char *big = malloc(mb + 2);
  memset(big, 'a', mb);
  big[mb] = '\n';
  pt_write(pt_path("bigline.txt", path, sizeof path), big, mb + 1);
  expect_reject_file("a 1 MB line", path, "larger than");
  free(big);
}

static void signed_cases(void) {
  char line[4096];
  expect_reject_signed("wrong format version", edited("orthoconv-profile 2", "orthoconv-profile 3"), "another profile format version");
  expect_reject_signed("format 1 (before shape classes)", edited("orthoconv-profile 2", "orthoconv-profile 1"), "re-run orthoconv-tune");
  snprintf(line, sizeof line, "library %s\n", orthoconv_version());
  expect_reject_signed("other library version", edited(line, "library 0.0.9\n"), "another library version");
  snprintf(line, sizeof line, "kernels %016llx", (unsigned long long)(orthoconv_priv_ukernel_list_hash() ^ 1));
  expect_reject_signed("other kernel-list hash", edited("kernels ", "kernels 0"), "another kernel list");
  expect_reject_signed("other cpu (brand)", edited("cpu.brand ", "cpu.brand Other CPU "), "another CPU");
  expect_reject_signed("other cpu (family)", edited("family=", "family=1"), "another CPU");
  expect_reject_signed("other cpu (cache)", edited("l2=", "l2=9"), "another CPU");
  expect_reject_signed("other cpu (isa list)", edited("cpu.isa scalar", "cpu.isa scalar neon avx2"), "another CPU");
  expect_reject_signed("unknown variant",
      appended("choice gram K<=256,N<=12 orthoconv_gram_ukernel_9x9__bogus shape=0x128x10 rate=1\n"), "unknown variant");
  expect_reject_signed("variant serving another op",
      appended("choice gram K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref shape=0x128x10 rate=1\n"), "does not serve");
  expect_reject_signed("unknown op", appended("choice conv3x3 K<=256,N<=12 x shape=0x128x10 rate=1\n"), "unknown op");
  expect_reject_signed("unknown class", appended("choice gram M=1 orthoconv_gram_ukernel_1x1__scalar_ref shape=0x128x10 rate=1\n"), "no class");
  expect_reject_signed("unknown record", appended("wisdom 42\n"), "unknown record");
  expect_reject_signed("blank line", appended("\n"), "unknown record");
  expect_reject_signed("double space", appended("choice  gram K<=256,N<=12 orthoconv_gram_ukernel_1x1__scalar_ref shape=0x128x10 rate=1\n"), "malformed");
  expect_reject_signed("no rate", appended("choice sgd K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref shape=0x128x10\n"), "malformed");
  expect_reject_signed("bad rate", appended("choice sgd K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref shape=0x128x10 rate=1e3\n"), "rate=");
  expect_reject_signed("tunable on a variant without",
      appended("choice sgd K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref unroll=4 shape=0x128x10 rate=1\n"), "no tunable");
  expect_reject_signed("duplicate record",
      appended("choice sgd K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref shape=0x128x10 rate=1\n"
               "choice sgd K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref shape=0x100x7 rate=2\n"), "second record");
  expect_reject_signed("malformed tasks record", appended("tasks kflops=0 threads=2\n"), "malformed tasks");
  expect_reject_signed("tasks record without threads", appended("tasks kflops=2000\n"), "malformed tasks");
  expect_reject_signed("second tasks record", appended("tasks kflops=2000 threads=2\ntasks kflops=4000 threads=2\n"),
      "second tasks");
  expect_reject_signed("no shape", appended("choice sgd K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref rate=1\n"), "shape=");
  expect_reject_signed("shape outside its class",
      appended("choice sgd K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref shape=0x1024x10 rate=1\n"), "not a shape of class");
  expect_reject_signed("malformed shape",
      appended("choice sgd K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref shape=0x12x rate=1\n"), "shape=");
  expect_reject_signed("M on an op without M",
      appended("choice sgd K<=256,N<=12 orthoconv_sgd_ukernel_1x1__scalar_ref shape=5x128x10 rate=1\n"), "not a shape of class");
  memset(line, 'x', 2000);
  line[2000] = '\n';
  line[2001] = 0;
  expect_reject_signed("a 2000-byte line", appended(line), "longer than");

  /* A variant whose rule excludes the shape the record names (N = 7 for an N = 10
   * kernel, say): it would run another variant's code, so the file is refused. */
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *r = &orthoconv_priv_ukernels[i];
    if (!orthoconv_priv_isa_runnable(r->isa) || r->rule.nmin <= 1 || r->op != ORTHOCONV_OP_GRAM) {
      if (!orthoconv_priv_isa_runnable(r->isa) || r->rule.nmin <= 1) continue;
    }
    const orthoconv_op rop = r->op;
    const size_t n = r->rule.nmin - 1, k0 = 128;
    char rec[1024];
    int len = snprintf(rec, sizeof rec, "choice %s %s %s", orthoconv_priv_op_name(rop),
        orthoconv_priv_class_name(rop, orthoconv_priv_class_of(rop, 1, k0, n)), r->name);
    for (unsigned j = 0; j < r->ntunables; j++) len += snprintf(rec + len, sizeof rec - (size_t)len, " %s=%d", r->tunables[j].name, r->tunables[j].def);
    snprintf(rec + len, sizeof rec - (size_t)len, " shape=%dx%zux%zu rate=1\n", orthoconv_priv_op_has_m(rop) ? 1 : 0, k0, n);
    expect_reject_signed("variant outside its rule", header_and(rec), "does not apply");
    break;
  }

  orthoconv_op op;
  const orthoconv_ukernel *k = pt_tunable_variant(&op);
  if (!k) {
    printf("  (no runnable variant with tunables in this build: range cases skipped)\n");
    return;
  }
  const orthoconv_tunable_spec *s = &k->tunables[0];
  char rec[1024];
  const char *cls = orthoconv_priv_class_name(op, 0);
  int len = snprintf(rec, sizeof rec, "choice %s %s %s %s=%d", orthoconv_priv_op_name(op), cls, k->name, s->name, s->max + 1);
  for (unsigned i = 1; i < k->ntunables; i++) len += snprintf(rec + len, sizeof rec - (size_t)len, " %s=%d", k->tunables[i].name, k->tunables[i].def);
  const orthoconv_priv_shape sh0 = orthoconv_priv_class_example(op, 0);
  char shape_field[96];
  snprintf(shape_field, sizeof shape_field, " shape=%zux%zux%zu", sh0.M, sh0.K, sh0.N);
  snprintf(rec + len, sizeof rec - (size_t)len, "%s rate=1\n", shape_field);
  expect_reject_signed("tunable out of range", header_and(rec), "outside");
  if (s->step > 1) {
    char *eq = strchr(strstr(rec, s->name), '=');
    char tail[1024];
    snprintf(tail, sizeof tail, "%s", strchr(eq, ' '));
    snprintf(eq + 1, sizeof rec - (size_t)(eq + 1 - rec), "%d%s", s->min + 1, tail);
    expect_reject_signed("tunable off its step", header_and(rec), "outside");
  }
  if (k->ntunables > 1) {
    snprintf(rec, sizeof rec, "choice %s %s %s %s=%d%s rate=1\n", orthoconv_priv_op_name(op), cls, k->name, s->name, s->def, shape_field);
    expect_reject_signed("tunable missing", header_and(rec), "needs all");
  }
}

/* A variant whose ISA this CPU cannot run; with the header of this (maybe fake) CPU. */
static void isa_case(void) {
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (orthoconv_priv_isa_runnable(k->isa)) continue;
    for (unsigned o = 0; o < ORTHOCONV_OP_COUNT; o++) {
      if (!orthoconv_priv_ukernel_serves(k, (orthoconv_op)o)) continue;
      orthoconv_priv_choice c = { k, { 0 } };
      for (unsigned j = 0; j < k->ntunables; j++) c.t[j] = k->tunables[j].def;
      char body[sizeof good + 1024];
      pt_header(body, sizeof body);
      pt_add_choice(body, sizeof body, (orthoconv_op)o, 0, &c);
      expect_reject_signed("an ISA this CPU lacks", body, "cannot run");
      return;
    }
  }
  printf("  (every variant of this build runs on this CPU: ISA case needs 'fake' mode)\n");
}

/* Random damage: load must return, and a rejection must leave everything as it was. */
static void fuzz(void) {
  char path[4096];
  const size_t n = strlen(good);
  char *buf = malloc(n + 128);
  int accepted = 0;
  for (int iter = 0; iter < 600; iter++) {
    memcpy(buf, good, n + 1);
    const int edits = 1 + (int)(test_rand_u64() % 4);
    for (int e = 0; e < edits; e++) {
      const size_t at = test_rand_u64() % n;
      switch (test_rand_u64() % 3) {
      case 0: buf[at] = (char)test_rand_u64(); break;
      case 1: buf[at] = " =\n#0a-"[test_rand_u64() % 7]; break;
      default: memmove(buf + at, buf + at + 1, n - at); break; /* deletion */
      }
    }
    const size_t m = strlen(buf);
    pt_path("fuzz.txt", path, sizeof path);
    if (iter % 2) pt_write_signed(path, buf); /* get past the checksum half of the time */
    else pt_write(path, buf, m);
    const orthoconv_status s = orthoconv_profile_load(path);
    if (s == ORTHOCONV_OK) {
      accepted++; /* e.g. a digit of a rate changed: still a valid file */
      CHECK(orthoconv_profile_load(good_path) == ORTHOCONV_OK, "reload of the good profile");
      continue;
    }
    pt_snapshot now;
    pt_snap(&now);
    CHECK(s == ORTHOCONV_EPROFILE, "fuzz %d: status %d", iter, (int)s);
    CHECK(pt_same(&now, &in_force), "fuzz %d: selections changed by a rejected file", iter);
  }
  printf("  fuzz: 600 mutated files, %d still valid, the rest rejected, no crash\n", accepted);
  free(buf);
}

int main(int argc, char **argv) {
  static orthoconv_priv_cpu fake;
  if (argc > 1 && strcmp(argv[1], "fake") == 0) {
    fake = *orthoconv_priv_cpu_get();
    fake.isa_mask = 1u << ORTHOCONV_ISA_SCALAR;
    orthoconv_priv_cpu_fake(&fake);
  }
  test_seed(7);
  establish();
  if (argc > 1) {
    isa_case();
    return test_finish("profile rejections (fake CPU)");
  }
  raw_cases();
  signed_cases();
  isa_case();
  fuzz();
  return test_finish("profile rejections");
}
