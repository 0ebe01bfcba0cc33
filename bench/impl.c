#include "impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "ocb.h"

int ocb_threads = 1;
void *ocb_tpool;

static ocb_impl *impls;
static size_t nimpls, cap;

void ocb_impl_add(const ocb_impl *im) {
  if (nimpls == cap) {
    cap = cap ? 2 * cap : 32;
    impls = realloc(impls, cap * sizeof *impls);
    if (!impls) abort();
  }
  impls[nimpls++] = *im;
}

size_t ocb_impl_count(void) { return nimpls; }
const ocb_impl *ocb_impl_get(size_t i) { return &impls[i]; }

static void anchor_say(const char *name, const char *state, const char *fmt, va_list ap) {
  char msg[300], key[64], val[320];
  vsnprintf(msg, sizeof msg, fmt, ap);
  printf("anchor %s: %s%s\n", name, state[0] == 'm' ? "MISSING: " : "", msg);
  snprintf(key, sizeof key, "ocb_anchor_%s", name);
  snprintf(val, sizeof val, "%s: %s", state, msg);
  ocb_context(key, val);
}

void ocb_anchor_ok(const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  anchor_say(name, "ok", fmt, ap);
  va_end(ap);
}

void ocb_anchor_missing(const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  anchor_say(name, "missing", fmt, ap);
  va_end(ap);
}
