/* libFuzzer harness: the tuning-profile loader through the public API.
 * Each input is written to a file and loaded with orthoconv_profile_load (so the
 * bounded file reader runs too), from the built-in defaults, under an ISA cap
 * chosen by the input's length. Built twice: fuzz_profile takes the input as
 * is; fuzz_profile_signed (FUZZ_REPAIR_CHECKSUM) replaces a trailing checksum
 * line by the right one first, so that mutations reach the record parser.
 * What must hold, else abort():
 *  - the status is OK or EPROFILE;
 *  - rejected: every op and size class selects what it did before, and the
 *    status text says the load failed;
 *  - accepted: every selection is a variant of an ISA within the cap, each op
 *    computes right through the public API at every size class, and the profile
 *    saved by the library loads again to the same selections. */
#define _GNU_SOURCE /* mkdtemp under -std=c11 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "orthoconv.h"
#include "profile_battery.h"

static char path_in[4096], path_out[4096];

/* FNV-1a 64, as include/orthoconv.h documents the checksum of a profile. */
static uint64_t fnv1a64(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

/* The input without a last line starting "checksum ", then that line made right. */
static size_t sign(const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
  size_t body = n;
  if (n && in[n - 1] == '\n') {
    size_t s = n - 1;
    while (s > 0 && in[s - 1] != '\n') s--;
    if (n - s > 9 && memcmp(in + s, "checksum ", 9) == 0) body = s;
  }
  if (body + 32 > cap) body = cap - 32;
  memcpy(out, in, body);
  return body + (size_t)snprintf((char *)out + body, 32, "checksum %016llx\n", (unsigned long long)fnv1a64(out, body));
}

/* FNV-1a of a saved profile's text without the digits of its rate= fields. */
static uint64_t choices_key(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) {
    if (i >= 5 && memcmp(p + i - 5, "rate=", 5) == 0)
      while (i < n && p[i] >= '0' && p[i] <= '9') i++;
    if (i < n) h = (h ^ p[i]) * 0x100000001b3ull;
  }
  return h;
}

static void write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    abort();
  }
}

static unsigned char *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  static unsigned char buf[1 << 17];
  *n = f ? fread(buf, 1, sizeof buf, f) : 0;
  if (f) fclose(f);
  return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *tmp = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/orthoconv-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    abort();
  }
  snprintf(path_in, sizeof path_in, "%s/in.txt", dir);
  snprintf(path_out, sizeof path_out, "%s/saved.txt", dir);
  /* The re-signing must give the library's own checksum line, or the signed
   * harness would quietly test nothing but rejections. */
  orthoconv_profile_reset();
  if (orthoconv_profile_save(path_out) != ORTHOCONV_OK) abort();
  size_t n;
  const unsigned char *saved = read_file(path_out, &n);
  static unsigned char resigned[1 << 17];
  if (sign(saved, n, resigned, sizeof resigned) != n || memcmp(saved, resigned, n) != 0) {
    fprintf(stderr, "fuzz_profile: the library's checksum line is not 'checksum <FNV-1a 64 hex>': update sign()\n");
    abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned char text[(1 << 16) + 64];
  const unsigned char *in = data;
  size_t n = size;
#ifdef FUZZ_REPAIR_CHECKSUM
  if (size > (1 << 16)) return 0;
  n = sign(data, size, text, sizeof text);
  in = text;
#else
  (void)text;
#endif
  static const orthoconv_isa caps[3] = { ORTHOCONV_ISA_SCALAR, ORTHOCONV_ISA_AVX2, ORTHOCONV_ISA_AVX512 };
  orthoconv_isa cap = caps[size % 3];
  if (orthoconv_set_isa(cap) != ORTHOCONV_OK) cap = orthoconv_cpu_isa(), orthoconv_set_isa(cap);
  orthoconv_profile_reset();
  pb_snapshot before, after;
  pb_snap(&before);
  write_file(path_in, in, n);
  const orthoconv_status s = orthoconv_profile_load(path_in);
  char status[2048];
  orthoconv_profile_status(status, sizeof status);
  pb_snap(&after);
  if (s == ORTHOCONV_EPROFILE) {
    if (!pb_same(&before, &after) || !strstr(status, "last load failed")) {
      fprintf(stderr, "rejected profile changed the selections or the status: %s\n", status);
      abort();
    }
    return 0;
  }
  if (s != ORTHOCONV_OK) {
    fprintf(stderr, "profile_load returned %d\n", (int)s);
    abort();
  }
  if (!pb_within_cap(&after, cap)) {
    fprintf(stderr, "accepted profile: a selection past the ISA cap (%s)\n", status);
    abort();
  }
  if (orthoconv_profile_save(path_out) != ORTHOCONV_OK) abort();
  /* The battery once per set of choices (variants and tunables, as saved; not
   * the rates, which a mutation changes most often and which select nothing). */
  static uint64_t seen[4096];
  size_t sn;
  const unsigned char *saved = read_file(path_out, &sn);
  const uint64_t key = choices_key(saved, sn) ^ (uint64_t)cap;
  if (seen[key % 4096] != key) {
    if (pb_battery() != 0) {
      fprintf(stderr, "accepted profile: wrong results (%s)\n", status);
      abort();
    }
    seen[key % 4096] = key;
  }
  if (orthoconv_profile_load(path_out) != ORTHOCONV_OK) {
    orthoconv_profile_status(status, sizeof status);
    fprintf(stderr, "the saved profile does not load again: %s\n", status);
    abort();
  }
  pb_snapshot again;
  pb_snap(&again);
  if (!pb_same(&after, &again)) {
    fprintf(stderr, "the saved profile selects other variants\n");
    abort();
  }
  return 0;
}
