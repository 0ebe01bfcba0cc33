/* Helpers of the profile tests: a private temp directory, profile texts built from
 * the library's own header (so that only the defect under test differs), and
 * snapshots of what dispatch would select. */
#ifndef ORTHOCONV_PUTIL_H
#define ORTHOCONV_PUTIL_H
#include <stddef.h>
#include "select.h"

/* A fresh directory under $ORTHOCONV_TEST_TMP (set by meson: the build dir) or /tmp. */
const char *pt_dir(void);
/* pt_dir()/name in a static buffer (one per call site is enough for these tests). */
const char *pt_path(const char *name, char *buf, size_t size);
void pt_write(const char *path, const void *data, size_t n);
/* Appends the checksum line of body and writes the whole to path. */
void pt_write_signed(const char *path, const char *body);
/* The header this library writes on this CPU, then the choice lines. */
size_t pt_header(char *buf, size_t size);
void pt_add_choice(char *buf, size_t size, orthoconv_op op, unsigned cls, const orthoconv_priv_choice *c);
/* A valid, runnable choice for some op and class that differs from the built-in
 * default (another variant if possible, else other tunables). 0 if none exists. */
int pt_alt_choice(orthoconv_op *op, unsigned *cls, orthoconv_priv_choice *c);
/* The same, restricted to one op. */
int pt_alt_choice_for(orthoconv_op op, unsigned cls, orthoconv_priv_choice *c);
/* A variant with at least one tunable that this CPU runs; NULL if none. */
const orthoconv_ukernel *pt_tunable_variant(orthoconv_op *op);

typedef struct pt_snapshot {
  orthoconv_priv_choice c[ORTHOCONV_OP_COUNT][ORTHOCONV_CLASS_COUNT];
} pt_snapshot;
/* What dispatch selects now, per op and class. */
void pt_snap(pt_snapshot *s);
int pt_same(const pt_snapshot *a, const pt_snapshot *b);
int pt_same_choice(const orthoconv_priv_choice *a, const orthoconv_priv_choice *b);
/* The status text (static buffer). */
const char *pt_status(void);
#endif
