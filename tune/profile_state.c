/* The profile in force: turns a checked profile into the dispatch table (one
 * pointer swap, dispatch/select.c), keeps the status text, and implements the
 * public orthoconv_profile_* calls. One mutex orders loads, resets and saves
 * against each other and guards the text; compute calls never take it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "init.h"
#include "profile.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char in_force[512] = "built-in defaults";
static char last_reject[1024];

orthoconv_status orthoconv_priv_profile_install(const orthoconv_priv_profile *p, const char *label) {
  pthread_mutex_lock(&lock);
  const orthoconv_status s = orthoconv_priv_table_install(p);
  if (s == ORTHOCONV_OK) {
    snprintf(in_force, sizeof in_force, "%.500s", p ? label : "built-in defaults"); /* long paths cut */
    last_reject[0] = 0;
  } else {
    snprintf(last_reject, sizeof last_reject, "%s: out of memory for the table", label);
  }
  pthread_mutex_unlock(&lock);
  return s;
}

orthoconv_status orthoconv_priv_profile_load_text(const char *label, const char *text, size_t n) {
  /* Parsed outside the lock: a slow or hostile file never holds up other callers.
   * The table is large for a thread's stack: it lives in static storage that only
   * one parse at a time uses. */
  static orthoconv_priv_profile p;
  static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;
  char why[768], where[600];
  pthread_mutex_lock(&parse_lock);
  memset(&p, 0, sizeof p);
  const int ok = orthoconv_priv_profile_parse(text, n, &p, why, sizeof why);
  orthoconv_status s = ORTHOCONV_EPROFILE;
  if (ok) {
    snprintf(where, sizeof where, "profile %s", label);
    s = orthoconv_priv_profile_install(&p, where);
  }
  pthread_mutex_unlock(&parse_lock);
  if (!ok) orthoconv_priv_profile_note_failure(label, why);
  return s == ORTHOCONV_OK ? ORTHOCONV_OK : s == ORTHOCONV_ENOMEM ? ORTHOCONV_ENOMEM : ORTHOCONV_EPROFILE;
}

void orthoconv_priv_profile_note_failure(const char *label, const char *why) {
  pthread_mutex_lock(&lock);
  snprintf(last_reject, sizeof last_reject, "%.300s: %.700s", label, why); /* long paths cut */
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
  /* Init first, so that its start-up load cannot run later and replace this one. */
  orthoconv_priv_init();
  return path ? load_path(path) : orthoconv_priv_profile_search();
}

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
  /* Installed tables are immutable: no lock is needed to read one. */
  /* Not const: a const zero table sits in .rodata and counts as 15.6 KB of the
   * library's text; this one is .bss, and nothing ever writes it. */
  static orthoconv_priv_profile none;
  const orthoconv_priv_profile *p = orthoconv_priv_table_current();
  if (!p) p = &none;
  const size_t n = orthoconv_priv_profile_emit(p, NULL, 0);
  char *text = malloc(n + 1);
  if (!text) {
    orthoconv_priv_profile_note_failure(path, "save: out of memory");
    return ORTHOCONV_ENOMEM;
  }
  orthoconv_priv_profile_emit(p, text, n + 1);
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
  (void)orthoconv_priv_profile_install(NULL, "built-in defaults");
}

size_t orthoconv_profile_status(char *buf, size_t size) {
  orthoconv_priv_init();
  pthread_mutex_lock(&lock);
  const int n = last_reject[0] ? snprintf(buf, size, "%s; last load failed: %s", in_force, last_reject)
                               : snprintf(buf, size, "%s", in_force);
  pthread_mutex_unlock(&lock);
  return n > 0 ? (size_t)n : 0;
}
