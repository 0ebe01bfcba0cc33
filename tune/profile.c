/* Tuning profiles: placeholder until the profile format lands (issue 5). */
#include <stdio.h>
#include "select.h"

void orthoconv_priv_profile_autoload(void) {}

orthoconv_status orthoconv_profile_load(const char *path) {
  (void)path;
  return ORTHOCONV_EPROFILE;
}

orthoconv_status orthoconv_profile_save(const char *path) {
  (void)path;
  return ORTHOCONV_EUNSUPPORTED;
}

void orthoconv_profile_reset(void) { orthoconv_priv_choice_clear_all(); }

size_t orthoconv_profile_status(char *buf, size_t size) {
  return (size_t)snprintf(buf, size, "built-in defaults");
}
