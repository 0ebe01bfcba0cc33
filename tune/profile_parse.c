/* Profile text -> table, all or nothing. Every check that can reject a file lives
 * here, in the order a reader would want the reason: bytes, checksum, identity,
 * then each record. Works on a bounded buffer and never trusts a length in it. */
#include <stdio.h>
#include <string.h>
#include "profile.h"

/* Bytes first: whatever follows may then treat the text as short ASCII lines. */
static int check_bytes(const char *t, size_t n, char *why, size_t ws) {
  if (n == 0) return orthoconv_priv_profile_why(why, ws, "empty file");
  if (n > ORTHOCONV_PROFILE_MAX_BYTES) return orthoconv_priv_profile_why(why, ws, "larger than %d bytes", ORTHOCONV_PROFILE_MAX_BYTES);
  size_t line = 1, start = 0;
  for (size_t i = 0; i < n; i++) {
    const unsigned char c = (unsigned char)t[i];
    if (c == '\n') {
      line++;
      start = i + 1;
    } else if (c < 0x20 || c > 0x7e) {
      return orthoconv_priv_profile_why(why, ws, "line %zu: byte 0x%02x is not printable ASCII (binary file?)", line, c);
    } else if (i - start >= ORTHOCONV_PROFILE_MAX_LINE) {
      return orthoconv_priv_profile_why(why, ws, "line %zu: longer than %d bytes", line, ORTHOCONV_PROFILE_MAX_LINE);
    }
  }
  if (t[n - 1] != '\n') return orthoconv_priv_profile_why(why, ws, "truncated: the last line has no newline");
  return 1;
}

static int hex64(const char *s, size_t len, uint64_t *v) {
  if (len != 16) return 0;
  *v = 0;
  for (size_t i = 0; i < len; i++) {
    const char c = s[i];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return 0;
    *v = *v << 4 | (uint64_t)d;
  }
  return 1;
}

/* The last line is the checksum of all bytes before it. Sets *body to their count. */
static int check_sum(const char *t, size_t n, size_t *body, char *why, size_t ws) {
  size_t s = n - 1;
  while (s > 0 && t[s - 1] != '\n') s--;
  static const char key[] = "checksum ";
  const size_t klen = sizeof key - 1;
  uint64_t want;
  if (n - 1 - s < klen || memcmp(t + s, key, klen) != 0)
    return orthoconv_priv_profile_why(why, ws, "no checksum line at the end (truncated?)");
  if (!hex64(t + s + klen, n - 1 - s - klen, &want)) return orthoconv_priv_profile_why(why, ws, "malformed checksum line");
  const uint64_t got = orthoconv_priv_profile_checksum(t, s);
  if (got != want)
    return orthoconv_priv_profile_why(why, ws, "checksum mismatch: the file says %016llx, its contents hash to %016llx (damaged or edited)",
        (unsigned long long)want, (unsigned long long)got);
  *body = s;
  return 1;
}

static size_t line_len(const char *t, size_t pos, size_t end) {
  size_t e = pos;
  while (e < end && t[e] != '\n') e++;
  return e - pos;
}

/* What a differing header line means, by its key. */
static const char *header_meaning(const char *key, size_t klen) {
  static const struct { const char *key, *meaning; } m[] = {
    { "orthoconv-profile", "another profile format version (re-run orthoconv-tune to write a current one)" },
    { "library", "written by another library version" },
    { "kernels", "written by a build with another kernel list" },
    { "cpu.", "written on another CPU" },
  };
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
    const size_t l = strlen(m[i].key);
    if (klen >= l && memcmp(key, m[i].key, l) == 0) return m[i].meaning;
  }
  return "unexpected header";
}

/* The header must be exactly the one this library would write on this CPU. */
static int check_header(const char *t, size_t body, size_t *pos, size_t *line, char *why, size_t ws) {
  char want[2048];
  const size_t wn = orthoconv_priv_profile_header(want, sizeof want);
  if (wn >= sizeof want) return orthoconv_priv_profile_why(why, ws, "internal: header too long");
  for (size_t wp = 0; wp < wn; (*line)++) {
    const size_t wl = line_len(want, wp, wn);
    if (*pos >= body) return orthoconv_priv_profile_why(why, ws, "line %zu: missing header line '%.*s'", *line, (int)wl, want + wp);
    const size_t fl = line_len(t, *pos, body);
    if (fl != wl || memcmp(t + *pos, want + wp, wl) != 0) {
      size_t klen = 0;
      while (klen < wl && want[wp + klen] != ' ') klen++;
      return orthoconv_priv_profile_why(why, ws, "line %zu: %s: '%.*s', this library on this CPU: '%.*s'", *line,
          header_meaning(want + wp, klen), (int)(fl > 200 ? 200 : fl), t + *pos, (int)wl, want + wp);
    }
    wp += wl + 1;
    *pos += fl + 1;
  }
  return 1;
}

/* Strict decimal: optional '-', 1 to 9 digits, nothing else. */
static int parse_int(const char *s, long *v) {
  const int neg = *s == '-';
  s += neg;
  size_t d = 0;
  long x = 0;
  for (; s[d]; d++) {
    if (s[d] < '0' || s[d] > '9' || d >= 9) return 0;
    x = x * 10 + (s[d] - '0');
  }
  if (d == 0) return 0;
  *v = neg ? -x : x;
  return 1;
}

enum { MAX_TOKENS = 6 + ORTHOCONV_MAX_TUNABLES };

/* Splits in place at single spaces; an empty field (double space, leading or
 * trailing space) is malformed. Returns the count, or -1. */
static int split(char *s, char **tok) {
  int n = 0;
  for (char *p = s;; p++) {
    if (n == MAX_TOKENS) return -1;
    tok[n++] = p;
    while (*p && *p != ' ') p++;
    if (p == tok[n - 1]) return -1;
    if (!*p) return n;
    *p = 0;
  }
}

static int find_op(const char *name, orthoconv_op *op) {
  for (unsigned o = 0; o < ORTHOCONV_OP_COUNT; o++)
    if (strcmp(orthoconv_priv_op_name((orthoconv_op)o), name) == 0) {
      *op = (orthoconv_op)o;
      return 1;
    }
  return 0;
}

static int find_class(orthoconv_op op, const char *name, unsigned *cls) {
  for (unsigned c = 0; c < orthoconv_priv_class_count(op); c++)
    if (strcmp(orthoconv_priv_class_name(op, c), name) == 0) {
      *cls = c;
      return 1;
    }
  return 0;
}

/* "<name>=<int>" against the variant's specs; fills ch->t and marks seen. */
static int parse_tunable(char *tok, const orthoconv_ukernel *k, orthoconv_priv_choice *ch,
    unsigned *seen, size_t line, char *why, size_t ws) {
  char *eq = strchr(tok, '=');
  long v;
  if (!eq) return orthoconv_priv_profile_why(why, ws, "line %zu: '%s' is not name=value", line, tok);
  *eq = 0;
  for (unsigned i = 0; i < k->ntunables; i++) {
    if (strcmp(k->tunables[i].name, tok) != 0) continue;
    if (*seen >> i & 1u) return orthoconv_priv_profile_why(why, ws, "line %zu: tunable %s given twice", line, tok);
    if (!parse_int(eq + 1, &v)) return orthoconv_priv_profile_why(why, ws, "line %zu: %s=%s is not an integer", line, tok, eq + 1);
    const orthoconv_tunable_spec *s = &k->tunables[i];
    if (v < s->min || v > s->max || (s->step > 0 && (v - s->min) % s->step != 0))
      return orthoconv_priv_profile_why(why, ws, "line %zu: %s=%ld outside %s's range %d..%d step %d", line, tok, v, k->name,
          s->min, s->max, s->step);
    ch->t[i] = (int)v;
    *seen |= 1u << i;
    return 1;
  }
  return orthoconv_priv_profile_why(why, ws, "line %zu: %s has no tunable '%s'", line, k->name, tok);
}

/* "shape=MxKxN": strict decimals, each at most 9 digits. */
static int parse_shape(const char *tok, orthoconv_priv_shape *sh) {
  static const char key[] = "shape=";
  if (strncmp(tok, key, sizeof key - 1) != 0) return 0;
  char buf[40];
  const size_t len = strlen(tok + sizeof key - 1);
  if (len >= sizeof buf) return 0;
  memcpy(buf, tok + sizeof key - 1, len + 1);
  char *parts[3] = { buf, NULL, NULL };
  for (int i = 1; i < 3; i++) {
    char *x = strchr(parts[i - 1], 'x');
    if (!x) return 0;
    *x = 0;
    parts[i] = x + 1;
  }
  long v[3];
  for (int i = 0; i < 3; i++)
    if (parts[i][0] == '-' || !parse_int(parts[i], &v[i])) return 0;
  sh->M = (size_t)v[0];
  sh->K = (size_t)v[1];
  sh->N = (size_t)v[2];
  return 1;
}

/* choice <op> <class> <variant> <tunable>=<value>... shape=MxKxN rate=<uint32> */
static int parse_choice(char *s, orthoconv_priv_profile *p, size_t line, char *why, size_t ws) {
  char *tok[MAX_TOKENS];
  const int nt = split(s, tok);
  orthoconv_op op;
  unsigned cls;
  if (nt < 6) return orthoconv_priv_profile_why(why, ws, "line %zu: malformed choice (fields: choice op class variant tunables... shape= rate=)", line);
  if (!find_op(tok[1], &op)) return orthoconv_priv_profile_why(why, ws, "line %zu: unknown op '%s'", line, tok[1]);
  if (!find_class(op, tok[2], &cls)) return orthoconv_priv_profile_why(why, ws, "line %zu: %s has no class '%s'", line, tok[1], tok[2]);
  if (p->c[op][cls].k) return orthoconv_priv_profile_why(why, ws, "line %zu: second record for %s %s", line, tok[1], tok[2]);
  const orthoconv_ukernel *k = orthoconv_priv_ukernel_find(tok[3]);
  if (!k) return orthoconv_priv_profile_why(why, ws, "line %zu: unknown variant '%s' (not in this build)", line, tok[3]);
  if (!orthoconv_priv_ukernel_serves(k, op)) return orthoconv_priv_profile_why(why, ws, "line %zu: %s does not serve %s", line, tok[3], tok[1]);
  if (!orthoconv_priv_isa_runnable(k->isa))
    return orthoconv_priv_profile_why(why, ws, "line %zu: %s needs %s, which this CPU or build cannot run", line, tok[3], orthoconv_isa_name(k->isa));
  orthoconv_priv_choice ch = { k, { 0 } };
  unsigned seen = 0;
  static const char rate_key[] = "rate=";
  long rate;
  const char *r = tok[nt - 1];
  if (strncmp(r, rate_key, sizeof rate_key - 1) != 0 || !parse_int(r + sizeof rate_key - 1, &rate) || rate < 0)
    return orthoconv_priv_profile_why(why, ws, "line %zu: the last field must be rate=<non-negative integer>", line);
  orthoconv_priv_shape at;
  if (!parse_shape(tok[nt - 2], &at)) return orthoconv_priv_profile_why(why, ws, "line %zu: the next to last field must be shape=MxKxN", line);
  if ((orthoconv_priv_op_has_m(op) ? at.M == 0 : at.M != 0) || at.K == 0 || at.N == 0 ||
      orthoconv_priv_class_of(op, at.M, at.K, at.N) != cls)
    return orthoconv_priv_profile_why(why, ws, "line %zu: shape %s is not a shape of class %s", line, tok[nt - 2] + 6, tok[2]);
  if (!orthoconv_priv_ukernel_applies(k, at.K, at.N))
    return orthoconv_priv_profile_why(why, ws, "line %zu: %s does not apply to the shape it names (%s)", line, k->name, tok[nt - 2] + 6);
  for (int i = 4; i < nt - 2; i++)
    if (!parse_tunable(tok[i], k, &ch, &seen, line, why, ws)) return 0;
  if (seen != (1u << k->ntunables) - 1u) return orthoconv_priv_profile_why(why, ws, "line %zu: %s needs all its %u tunables", line, k->name, k->ntunables);
  if (!orthoconv_priv_tunables_valid(k, ch.t)) return orthoconv_priv_profile_why(why, ws, "line %zu: tunables invalid for %s", line, k->name);
  p->c[op][cls] = ch;
  p->rate[op][cls] = (uint32_t)rate;
  p->at[op][cls] = at;
  return 1;
}

/* tasks kflops=<1..10^9> threads=<1..4096>: the _mt calls' grain, at most once. */
static int parse_tasks(char *s, orthoconv_priv_profile *p, size_t line, char *why, size_t ws) {
  char *tok[MAX_TOKENS];
  long kf, th;
  if (p->task_kflops) return orthoconv_priv_profile_why(why, ws, "line %zu: second tasks record", line);
  if (split(s, tok) != 3 || strncmp(tok[1], "kflops=", 7) != 0 || strncmp(tok[2], "threads=", 8) != 0 ||
      !parse_int(tok[1] + 7, &kf) || !parse_int(tok[2] + 8, &th) || kf < 1 || th < 1 || th > 4096)
    return orthoconv_priv_profile_why(why, ws, "line %zu: malformed tasks record (tasks kflops=<positive> threads=<1..4096>)", line);
  p->task_kflops = (uint32_t)kf;
  p->task_threads = (uint32_t)th;
  return 1;
}

int orthoconv_priv_profile_parse(const char *t, size_t n, orthoconv_priv_profile *out, char *why, size_t ws) {
  size_t body = 0, pos = 0, line = 1;
  if (!check_bytes(t, n, why, ws) || !check_sum(t, n, &body, why, ws) || !check_header(t, body, &pos, &line, why, ws))
    return 0;
  orthoconv_priv_profile p;
  memset(&p, 0, sizeof p);
  for (; pos < body; line++) {
    const size_t len = line_len(t, pos, body);
    char s[ORTHOCONV_PROFILE_MAX_LINE + 1];
    memcpy(s, t + pos, len); /* check_bytes bounds len by the line cap */
    s[len] = 0;
    pos += len + 1;
    if (s[0] == '#') continue;
    if (strncmp(s, "tasks ", 6) == 0) {
      if (!parse_tasks(s, &p, line, why, ws)) return 0;
      continue;
    }
    if (strncmp(s, "choice ", 7) != 0) return orthoconv_priv_profile_why(why, ws, "line %zu: unknown record '%.40s'", line, s);
    if (!parse_choice(s, &p, line, why, ws)) return 0;
  }
  *out = p;
  return 1;
}
