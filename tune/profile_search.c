/* Where a profile comes from when no path is given (orthoconv_profile_load(NULL)),
 * and what init installs by itself. ORTHOCONV_PROFILE, when set,
 * is a request for that file alone (a benchmark pointing at its own profile must
 * not silently get another one). Otherwise the user cache, the system path and
 * the embedded profile are tried in turn: a missing file is skipped, a rejected
 * one is noted and the search goes on, the first accepted one wins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile.h"
#include "tune/embedded_profile.h"

static const char system_path[] = "/etc/orthoconv/profile.txt";

int orthoconv_priv_profile_user_path(char *buf, size_t size) {
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  int n;
  /* The XDG spec says a relative XDG_CACHE_HOME is invalid and to be ignored. */
  if (xdg && xdg[0] == '/') n = snprintf(buf, size, "%s/orthoconv/profile.txt", xdg);
  else if (home && home[0]) n = snprintf(buf, size, "%s/.cache/orthoconv/profile.txt", home);
  else return 0;
  return n > 0 && (size_t)n < size;
}

/* 1 = accepted, 0 = rejected (noted), -1 = no such file. */
static int try_file(const char *path) {
  char *text;
  size_t n;
  char why[512];
  const int r = orthoconv_priv_profile_read_file(path, &text, &n, why, sizeof why);
  if (r < 0) return -1;
  if (r == 0) {
    orthoconv_priv_profile_note_failure(path, why);
    return 0;
  }
  const orthoconv_status s = orthoconv_priv_profile_load_text(path, text, n);
  free(text);
  return s == ORTHOCONV_OK;
}

void orthoconv_priv_profile_startup(void) {
  const char *env = getenv("ORTHOCONV_PROFILE");
  if (env && env[0]) {
    (void)orthoconv_priv_profile_search();
    return;
  }
#if ORTHOCONV_HAVE_EMBEDDED_PROFILE
  static const char embedded[] = ORTHOCONV_EMBEDDED_PROFILE;
  (void)orthoconv_priv_profile_load_text("embedded at build time", embedded, sizeof embedded - 1);
#endif
}

orthoconv_status orthoconv_priv_profile_search(void) {
  const char *env = getenv("ORTHOCONV_PROFILE");
  if (env && env[0]) {
    const int r = try_file(env);
    if (r < 0) orthoconv_priv_profile_note_failure(env, "ORTHOCONV_PROFILE names a missing file");
    return r > 0 ? ORTHOCONV_OK : ORTHOCONV_EPROFILE;
  }
  char user[4096];
  int rejected = 0;
  const char *paths[] = { orthoconv_priv_profile_user_path(user, sizeof user) ? user : NULL, system_path };
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    if (!paths[i]) continue;
    const int r = try_file(paths[i]);
    if (r > 0) return ORTHOCONV_OK;
    rejected |= r == 0;
  }
#if ORTHOCONV_HAVE_EMBEDDED_PROFILE
  static const char embedded[] = ORTHOCONV_EMBEDDED_PROFILE;
  return orthoconv_priv_profile_load_text("embedded at build time", embedded, sizeof embedded - 1);
#else
  if (!rejected) orthoconv_priv_profile_note_failure("search", "no profile file found");
  return ORTHOCONV_EPROFILE;
#endif
}
