/* What a profile changes, seen through the public API only: the variant each op
 * selects at one M per size class, whether those respect an ISA cap, and a small
 * battery of calls at those M checked against the double oracle. */
#ifndef ORTHOCONV_PROFILE_BATTERY_H
#define ORTHOCONV_PROFILE_BATTERY_H
#include "orthoconv.h"

#define PB_MS 5
typedef struct pb_snapshot {
  const char *name[ORTHOCONV_OP_COUNT][PB_MS];
} pb_snapshot;

void pb_snap(pb_snapshot *s);
int pb_same(const pb_snapshot *a, const pb_snapshot *b);
/* Every selection is a variant of an ISA that cap allows (names end in
 * __<isa>_<variant>). */
int pb_within_cap(const pb_snapshot *s, orthoconv_isa cap);
/* Runs every op at every M of the snapshot; 0 = all right, else the number of
 * wrong outputs (printed). */
int pb_battery(void);
#endif
