/* The one way every profile check reports a reason: into the caller's buffer. */
#include <stdarg.h>
#include <stdio.h>
#include "profile.h"

int orthoconv_priv_profile_why(char *why, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, size, fmt, ap);
  va_end(ap);
  return 0;
}
