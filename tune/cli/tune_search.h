/* The search for one op and size class: every variant the CPU runs (within the
 * ISA cap) that serves the op, times its tunable grid, each candidate checked
 * against the scalar reference first; then the default-versus-best decision. */
#ifndef ORTHOCONV_TUNE_SEARCH_H
#define ORTHOCONV_TUNE_SEARCH_H
#include "tune_case.h"
#include "tune_time.h"

typedef enum ts_mode { TS_QUICK, TS_NORMAL, TS_THOROUGH } ts_mode;

typedef struct ts_opts {
  ts_mode mode;
  tt_opts timing;
  int confirm_runs;   /* interleaved default/best runs of the final decision */
  double min_noise;   /* a gain below this fraction is never believed */
  orthoconv_isa cap;
} ts_opts;

typedef struct ts_result {
  orthoconv_priv_choice chosen, def, best;
  double rate_chosen, rate_def, rate_best; /* GFLOP/s or GB/s */
  double noise;                            /* fraction */
  int tried, rejected, skipped;
  char why[320];
} ts_result;

/* cases: the class's shapes as timed (cold for the large-M classes). warm: the same
 * shapes with caches warm, or NULL: a candidate timed cold must then also not lose
 * to the default warm, side by side, so that a choice made for data streamed from
 * DRAM never slows the same call on data the caller just touched. */
void ts_search(orthoconv_op op, unsigned cls, tc_case **cases, tc_case **warm, int ncases, const ts_opts *o,
    ts_result *r);
/* "variant name=value ..." without the orthoconv_ prefix. */
const char *ts_format(const orthoconv_priv_choice *c, char *buf, size_t size);
#endif
