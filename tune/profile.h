/* Tuning profiles inside the library: the in-memory form shared by the parser, the
 * writer, the file search and the public API (tune/profile_*.c), and the hooks the
 * tuner uses to fill the table before saving it. */
#ifndef ORTHOCONV_PROFILE_H
#define ORTHOCONV_PROFILE_H
#include <stddef.h>
#include <stdint.h>
#include "select.h"

/* 2: records keyed by shape class (M x K x N) and carrying the shape measured. */
#define ORTHOCONV_PROFILE_FORMAT 2
/* Far above what a real profile needs (about 60 bytes a line, under 8 KiB a file):
 * anything longer is not ours, and the cap bounds the one buffer that load allocates. */
#define ORTHOCONV_PROFILE_MAX_LINE 1024
#define ORTHOCONV_PROFILE_MAX_BYTES 65536

/* The profile itself is a choice table, orthoconv_priv_profile (dispatch/select.h). */

/* Writes the reason (printf format) into why; returns 0, for "return why(...)". */
int orthoconv_priv_profile_why(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* FNV-1a 64 over n bytes: the checksum of everything before the checksum line. */
uint64_t orthoconv_priv_profile_checksum(const char *p, size_t n);

/* The header lines this library on this CPU writes and accepts (format, library
 * version, kernel-list hash, CPU identity), newline-terminated; snprintf-like. */
size_t orthoconv_priv_profile_header(char *buf, size_t size);

/* The whole file text for p, checksum line included; snprintf-like. */
size_t orthoconv_priv_profile_emit(const orthoconv_priv_profile *p, char *buf, size_t size);

/* Parses and checks text (n bytes, need not be NUL-terminated) against this library
 * and CPU. 1 = *out holds the profile; 0 = rejected, why holds the reason. Never
 * reads outside text[0..n). */
int orthoconv_priv_profile_parse(const char *text, size_t n, orthoconv_priv_profile *out,
    char *why, size_t why_size);

/* Reads a regular file of at most ORTHOCONV_PROFILE_MAX_BYTES into a malloc'd
 * buffer (*text, *n; the caller frees). 1 = read; 0 = failed and -1 = no such
 * file, why saying why either way (directory, too large, ...). */
int orthoconv_priv_profile_read_file(const char *path, char **text, size_t *n, char *why,
    size_t why_size);
/* Writes n bytes to path through a temporary file in the same directory and a
 * rename, so that readers see the old file or the new one, never half of one.
 * Creates the missing parent directories. 0 = failed, why says why. */
int orthoconv_priv_profile_write_file(const char *path, const char *text, size_t n,
    char *why, size_t why_size);

/* Checks and installs the text of one source (label: its path or "embedded profile")
 * and records the outcome for orthoconv_profile_status. Does not run init. */
orthoconv_status orthoconv_priv_profile_load_text(const char *label, const char *text, size_t n);
/* Records a source that could not be read, like a rejected one. */
void orthoconv_priv_profile_note_failure(const char *label, const char *why);
/* The default search (tune/profile_search.c); does not run init. */
orthoconv_status orthoconv_priv_profile_search(void);
/* What init installs by itself: the file $ORTHOCONV_PROFILE names, if set, else the
 * profile embedded at build time (no file I/O), else nothing. */
void orthoconv_priv_profile_startup(void);
/* Installs p (NULL: no profile) as the table in force and says where it came from
 * in orthoconv_profile_status. For the loader and the tuner. */
orthoconv_status orthoconv_priv_profile_install(const orthoconv_priv_profile *p, const char *label);
/* The default path to save to: ${XDG_CACHE_HOME:-$HOME/.cache}/orthoconv/profile.txt.
 * 0 if neither variable is set or the path does not fit. */
int orthoconv_priv_profile_user_path(char *buf, size_t size);

#endif
