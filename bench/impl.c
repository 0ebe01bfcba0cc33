#include "impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "ocb.h"
#include "orthoconv.h"
#ifdef OCB_HAVE_PTHREADPOOL
#include "orthoconv_pthreadpool.h"
#endif

int ocb_threads = 1;
void *ocb_tpool;

const orthoconv_threadpool *ocb_pool(const ocb_case *c, orthoconv_threadpool *storage) {
#ifdef OCB_HAVE_PTHREADPOOL
  if (!ocb_tpool || c->serial) return NULL;
  *storage = orthoconv_threadpool_from_pthreadpool((pthreadpool_t)ocb_tpool);
  return storage;
#else
  (void)c, (void)storage;
  return NULL;
#endif
}

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
