/* Profile text from the in-memory table: header, one line per record, checksum. */
#include <stdarg.h>
#include <stdio.h>
#include "profile.h"

typedef struct out {
  char *buf;
  size_t size, len;
} out;

/* snprintf that keeps counting past the end of buf, so the caller learns the size. */
static void put(out *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const size_t room = o->len < o->size ? o->size - o->len : 0;
  const int w = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (w > 0) o->len += (size_t)w;
}

size_t orthoconv_priv_profile_emit(const orthoconv_priv_profile *p, char *buf, size_t size) {
  out o = { buf, size, 0 };
  o.len = orthoconv_priv_profile_header(buf, size);
  put(&o, "# choice <op> <class> <variant> <tunable>=<value>... shape=<MxKxN measured> rate=<10^6 flop/s; bytes/s for sgd, adamw>\n");
  for (unsigned op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned c = 0; c < orthoconv_priv_class_count((orthoconv_op)op); c++) {
      const orthoconv_priv_choice *ch = &p->c[op][c];
      if (!ch->k) continue;
      put(&o, "choice %s %s %s", orthoconv_priv_op_name((orthoconv_op)op),
          orthoconv_priv_class_name((orthoconv_op)op, c), ch->k->name);
      for (unsigned i = 0; i < ch->k->ntunables; i++) put(&o, " %s=%d", ch->k->tunables[i].name, ch->t[i]);
      /* A record set without a measured shape names its class's example. */
      const orthoconv_priv_shape at = p->at[op][c].K ? p->at[op][c] : orthoconv_priv_class_example((orthoconv_op)op, c);
      put(&o, " shape=%zux%zux%zu rate=%u\n", at.M, at.K, at.N, (unsigned)p->rate[op][c]);
    }
  if (p->task_kflops)
    put(&o, "tasks kflops=%u threads=%u\n", (unsigned)p->task_kflops, (unsigned)p->task_threads);
  const size_t body = o.len;
  /* The checksum covers the body, so it can only be computed once all of it fits. */
  const uint64_t sum = body < size ? orthoconv_priv_profile_checksum(buf, body) : 0;
  put(&o, "checksum %016llx\n", (unsigned long long)sum);
  return o.len;
}
