/* profile_seeds OUTDIR [PROFILE...]: seeds for fuzz_profile*, written by the
 * library's own writer so that they follow its format: OUTDIR/defaults.txt
 * (orthoconv_profile_save after a reset) and OUTDIR/saved-<i>.txt for each
 * PROFILE (loaded, then saved). Exits 1 if a PROFILE is refused. */
#include <stdio.h>
#include "orthoconv.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s OUTDIR [PROFILE...]\n", argv[0]);
    return 2;
  }
  char path[4096], why[2048];
  orthoconv_profile_reset();
  snprintf(path, sizeof path, "%s/defaults.txt", argv[1]);
  int bad = orthoconv_profile_save(path) != ORTHOCONV_OK;
  for (int i = 2; i < argc; i++) {
    if (orthoconv_profile_load(argv[i]) != ORTHOCONV_OK) {
      orthoconv_profile_status(why, sizeof why);
      fprintf(stderr, "%s refused: %s\n", argv[i], why);
      bad = 1;
      continue;
    }
    snprintf(path, sizeof path, "%s/saved-%d.txt", argv[1], i - 1);
    bad |= orthoconv_profile_save(path) != ORTHOCONV_OK;
  }
  return bad;
}
