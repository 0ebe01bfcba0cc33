#define _GNU_SOURCE /* mkstemp, fchmod, fsync under -std=c11 */
/* Profile files on disk: a bounded read of one regular file, and an atomic write.
 * POSIX calls rather than stdio so that a directory or a FIFO is refused before
 * any read, and so that the rename can follow an fsync. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "profile.h"

/* strerror is not thread-safe and strerror_r has two incompatible forms. */
static const char *errno_text(int e) {
  switch (e) {
  case ENOENT: return "no such file";
  case EACCES: return "permission denied";
  case EISDIR: return "is a directory";
  case ENOTDIR: return "a component of the path is not a directory";
  case ENOSPC: return "no space left on device";
  case EROFS: return "read-only file system";
  case ENAMETOOLONG: return "path too long";
  case ELOOP: return "too many symbolic links";
  }
  return "I/O error";
}

int orthoconv_priv_profile_read_file(const char *path, char **text, size_t *n, char *why, size_t ws) {
  *text = NULL;
  *n = 0;
  const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int e = errno;
    orthoconv_priv_profile_why(why, ws, "cannot open: %s", errno_text(e));
    return e == ENOENT ? -1 : 0;
  }
  struct stat st;
  memset(&st, 0, sizeof st);
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return orthoconv_priv_profile_why(why, ws, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
  }
  if (st.st_size == 0) {
    close(fd);
    return orthoconv_priv_profile_why(why, ws, "empty file");
  }
  if (st.st_size > ORTHOCONV_PROFILE_MAX_BYTES) {
    close(fd);
    return orthoconv_priv_profile_why(why, ws, "larger than %d bytes", ORTHOCONV_PROFILE_MAX_BYTES);
  }
  /* One byte more than the limit: a file that grew since fstat is caught too. */
  char *buf = malloc(ORTHOCONV_PROFILE_MAX_BYTES + 1);
  if (!buf) {
    close(fd);
    return orthoconv_priv_profile_why(why, ws, "out of memory");
  }
  size_t got = 0;
  while (got <= ORTHOCONV_PROFILE_MAX_BYTES) {
    const ssize_t r = read(fd, buf + got, ORTHOCONV_PROFILE_MAX_BYTES + 1 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const int e = errno;
      free(buf);
      close(fd);
      return orthoconv_priv_profile_why(why, ws, "read failed: %s", errno_text(e));
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  close(fd);
  *text = buf;
  *n = got;
  return 1;
}

/* mkdir -p of path's parent directories. */
static void make_parents(const char *path) {
  char dir[4096];
  const size_t len = strlen(path);
  if (len >= sizeof dir) return;
  memcpy(dir, path, len + 1);
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    mkdir(dir, 0755);
    *p = '/';
  }
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 0;
    p += w;
    n -= (size_t)w;
  }
  return 1;
}

int orthoconv_priv_profile_write_file(const char *path, const char *text, size_t n, char *why, size_t ws) {
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= sizeof tmp) return orthoconv_priv_profile_why(why, ws, "path too long");
  make_parents(path);
  const int fd = mkstemp(tmp);
  if (fd < 0) return orthoconv_priv_profile_why(why, ws, "cannot create a temporary file beside %s: %s", path, errno_text(errno));
  int ok = write_all(fd, text, n) && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
  int e = errno;
  if (close(fd) != 0 && ok) {
    ok = 0;
    e = errno;
  }
  if (ok && rename(tmp, path) != 0) {
    ok = 0;
    e = errno;
  }
  if (!ok) {
    unlink(tmp);
    return orthoconv_priv_profile_why(why, ws, "cannot write %s: %s", path, errno_text(e));
  }
  return 1;
}
