/* The profile in force: installs a checked table into dispatch, keeps the rates
 * and the status text, and implements the public orthoconv_profile_* calls.
 * One mutex orders loads, resets and saves against each other and guards the
 * text; dispatch itself never takes it (its choices are atomic words). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char in_force[512] = "built-in defaults";
static char last_reject[1024];
static uint32_t rates[ORTHOCONV_OP_COUNT][ORTHOCONV_CLASS_COUNT];

static void install(const orthoconv_priv_profile *p) {
  orthoconv_priv_choice_clear_all();
  for (unsigned op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned c = 0; c < ORTHOCONV_CLASS_COUNT; c++) {
      if (p->c[op][c].k) orthoconv_priv_choice_set((orthoconv_op)op, c, &p->c[op][c]);
      rates[op][c] = p->rate[op][c];
    }
}

orthoconv_status orthoconv_priv_profile_load_text(const char *label, const char *text, size_t n) {
  /* Parsed outside the lock: a slow or hostile file never holds up other callers. */
  static const orthoconv_priv_profile empty;
  orthoconv_priv_profile p = empty;
  char why[768];
  const int ok = orthoconv_priv_profile_parse(text, n, &p, why, sizeof why);
  pthread_mutex_lock(&lock);
  if (ok) {
    install(&p);
    snprintf(in_force, sizeof in_force, "profile %s", label);
    last_reject[0] = 0;
  } else {
    snprintf(last_reject, sizeof last_reject, "%s: %s", label, why);
  }
  pthread_mutex_unlock(&lock);
  return ok ? ORTHOCONV_OK : ORTHOCONV_EPROFILE;
}

void orthoconv_priv_profile_note_failure(const char *label, const char *why) {
  pthread_mutex_lock(&lock);
  snprintf(last_reject, sizeof last_reject, "%s: %s", label, why);
  pthread_mutex_unlock(&lock);
}

static orthoconv_status load_path(const char *path) {
  char *text;
  size_t n;
  char why[512];
  if (orthoconv_priv_profile_read_file(path, &text, &n, why, sizeof why) <= 0) {
    orthoconv_priv_profile_note_failure(path, why);
    return ORTHOCONV_EPROFILE;
  }
  const orthoconv_status s = orthoconv_priv_profile_load_text(path, text, n);
  free(text);
  return s;
}

orthoconv_status orthoconv_profile_load(const char *path) {
  /* Init first, so that the automatic search cannot run later and replace this load. */
  orthoconv_priv_init();
  return path ? load_path(path) : orthoconv_priv_profile_search();
}

void orthoconv_priv_profile_autoload(void) { (void)orthoconv_priv_profile_search(); }

orthoconv_status orthoconv_profile_save(const char *path) {
  orthoconv_priv_init();
  char def[4096], why[512];
  if (!path) {
    if (!orthoconv_priv_profile_user_path(def, sizeof def)) {
      orthoconv_priv_profile_note_failure("save", "neither XDG_CACHE_HOME nor HOME is set");
      return ORTHOCONV_EPROFILE;
    }
    path = def;
  }
  orthoconv_priv_profile p;
  memset(&p, 0, sizeof p);
  pthread_mutex_lock(&lock);
  for (unsigned op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned c = 0; c < ORTHOCONV_CLASS_COUNT; c++) {
      p.c[op][c] = orthoconv_priv_choice_get((orthoconv_op)op, c);
      p.rate[op][c] = rates[op][c];
    }
  pthread_mutex_unlock(&lock);
  const size_t n = orthoconv_priv_profile_emit(&p, NULL, 0);
  char *text = malloc(n + 1);
  if (!text) {
    orthoconv_priv_profile_note_failure(path, "save: out of memory");
    return ORTHOCONV_ENOMEM;
  }
  orthoconv_priv_profile_emit(&p, text, n + 1);
  const int ok = orthoconv_priv_profile_write_file(path, text, n, why, sizeof why);
  free(text);
  if (!ok) {
    orthoconv_priv_profile_note_failure(path, why);
    return ORTHOCONV_EPROFILE;
  }
  return ORTHOCONV_OK;
}

void orthoconv_profile_reset(void) {
  orthoconv_priv_init();
  pthread_mutex_lock(&lock);
  orthoconv_priv_choice_clear_all();
  memset(rates, 0, sizeof rates);
  snprintf(in_force, sizeof in_force, "built-in defaults");
  last_reject[0] = 0;
  pthread_mutex_unlock(&lock);
}

size_t orthoconv_profile_status(char *buf, size_t size) {
  orthoconv_priv_init();
  pthread_mutex_lock(&lock);
  const int n = last_reject[0] ? snprintf(buf, size, "%s; last load failed: %s", in_force, last_reject)
                               : snprintf(buf, size, "%s", in_force);
  pthread_mutex_unlock(&lock);
  return n > 0 ? (size_t)n : 0;
}

void orthoconv_priv_profile_set_rate(orthoconv_op op, unsigned cls, uint32_t rate) {
  if ((unsigned)op >= ORTHOCONV_OP_COUNT || cls >= ORTHOCONV_CLASS_COUNT) return;
  pthread_mutex_lock(&lock);
  rates[op][cls] = rate;
  pthread_mutex_unlock(&lock);
}

uint32_t orthoconv_priv_profile_get_rate(orthoconv_op op, unsigned cls) {
  if ((unsigned)op >= ORTHOCONV_OP_COUNT || cls >= ORTHOCONV_CLASS_COUNT) return 0;
  pthread_mutex_lock(&lock);
  const uint32_t r = rates[op][cls];
  pthread_mutex_unlock(&lock);
  return r;
}

void orthoconv_priv_profile_set_source(const char *label) {
  pthread_mutex_lock(&lock);
  snprintf(in_force, sizeof in_force, "%s", label);
  pthread_mutex_unlock(&lock);
}
