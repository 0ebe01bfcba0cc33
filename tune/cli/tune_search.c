#include <stdio.h>
#include <string.h>
#include "tune_grid.h"
#include "tune_search.h"

typedef struct state {
  orthoconv_op op;
  tc_case **cases;
  int ncases;
  const ts_opts *o;
  ts_result *r;
  double work;              /* per composite call: one call of every case */
  double best_sec;
  size_t def_reps;
  double def_sec;           /* once measured: the default is not timed twice */
} state;

typedef struct call_ctx {
  tc_case **cases;
  int n;
  const orthoconv_priv_choice *ch;
} call_ctx;

/* One call on every shape of the class: the rate is total work over total time. */
static void call_all(void *p) {
  const call_ctx *c = p;
  for (int i = 0; i < c->n; i++) tc_run(c->cases[i], c->ch);
}

const char *ts_format(const orthoconv_priv_choice *c, char *buf, size_t size) {
  const char *name = c->k->name;
  if (strncmp(name, "orthoconv_", 10) == 0) name += 10;
  size_t len = (size_t)snprintf(buf, size, "%s", name);
  for (unsigned i = 0; i < c->k->ntunables && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, " %s=%d", c->k->tunables[i].name, c->t[i]);
  return buf;
}

static int same(const orthoconv_priv_choice *a, const orthoconv_priv_choice *b) {
  return a->k == b->k && memcmp(a->t, b->t, sizeof a->t) == 0;
}

/* Validates, then times one candidate. Returns seconds per composite call, or 0
 * if it was rejected. */
static double eval(state *s, const orthoconv_priv_choice *ch) {
  char msg[256], name[256];
  double est = 0, e;
  if (s->def_sec > 0 && same(ch, &s->r->def)) return s->def_sec;
  for (int i = 0; i < s->ncases; i++, est += e)
    if (!tc_validate(s->cases[i], ch, msg, sizeof msg, &e)) {
      printf("    reject %s: differs from the scalar reference at M=%zu: %s\n", ts_format(ch, name, sizeof name),
          tc_m(s->cases[i]), msg);
      s->r->rejected++;
      return 0;
    }
  /* Quick mode does not time what the checked call already shows to be hopeless
   * (a scalar kernel at M = 50176 costs seconds per call). One cold call is a
   * poor estimate of a short one, so only calls that are costly to time qualify. */
  if (s->o->mode == TS_QUICK && s->best_sec > 0 && est > 10 * s->best_sec && est > 0.05) {
    printf("    skip %s: the checked call predicts %.3g s per call, best so far %.3g s\n", ts_format(ch, name, sizeof name),
        est, s->best_sec);
    s->r->skipped++;
    return 0;
  }
  call_ctx ctx = { s->cases, s->ncases, ch };
  /* Quick mode gives up on a candidate whose first sample is far behind the best. */
  const double give_up = s->o->mode == TS_QUICK && s->best_sec > 0 ? 1.5 * s->best_sec : 0;
  const tt_result t = tt_measure(call_all, &ctx, &s->o->timing, give_up);
  s->r->tried++;
  if (same(ch, &s->r->def)) s->def_reps = t.reps;
  if (s->best_sec == 0 || t.sec < s->best_sec) {
    s->best_sec = t.sec;
    s->r->best = *ch;
  }
  return t.sec;
}

static orthoconv_priv_choice defaults_of(const orthoconv_ukernel *k) {
  orthoconv_priv_choice c = { k, { 0 } };
  for (unsigned i = 0; i < k->ntunables; i++) c.t[i] = k->tunables[i].def;
  return c;
}

/* Quick: one tunable at a time from the defaults, keeping each improvement. */
static void coordinate(state *s, const orthoconv_ukernel *k) {
  orthoconv_priv_choice cur = defaults_of(k);
  double cur_sec = eval(s, &cur);
  if (cur_sec == 0) return; /* the variant itself is wrong: its other tunings too */
  for (unsigned i = 0; i < k->ntunables; i++) {
    int vals[8];
    const int nv = tg_values(&k->tunables[i], 1, vals, 8);
    for (int j = 0; j < nv; j++) {
      if (vals[j] == cur.t[i]) continue;
      orthoconv_priv_choice cand = cur;
      cand.t[i] = vals[j];
      const double sec = eval(s, &cand);
      if (sec > 0 && sec < cur_sec) cur = cand, cur_sec = sec;
    }
  }
}

/* Normal and thorough: the cartesian product of every tunable's values. */
static void grid(state *s, const orthoconv_ukernel *k) {
  enum { MAXV = 4096 };
  static int vals[ORTHOCONV_MAX_TUNABLES][MAXV];
  int nv[ORTHOCONV_MAX_TUNABLES] = { 1, 1, 1 }, idx[ORTHOCONV_MAX_TUNABLES] = { 0 };
  const int cap = s->o->mode == TS_THOROUGH ? MAXV : 8;
  for (unsigned i = 0; i < k->ntunables; i++) nv[i] = tg_values(&k->tunables[i], 0, vals[i], cap);
  for (;;) {
    orthoconv_priv_choice cand = { k, { 0 } };
    for (unsigned i = 0; i < k->ntunables; i++) cand.t[i] = vals[i][idx[i]];
    if (eval(s, &cand) == 0 && k->ntunables > 0 && idx[0] == 0 && idx[1] == 0 && idx[2] == 0) return;
    unsigned i = 0;
    while (i < k->ntunables && ++idx[i] == nv[i]) idx[i++] = 0;
    if (i >= k->ntunables) return;
  }
}

static int allowed(const orthoconv_ukernel *k, orthoconv_isa cap) {
  return orthoconv_priv_isa_runnable(k->isa) && (k->isa == ORTHOCONV_ISA_SCALAR || k->isa <= cap);
}

/* Default and candidate side by side, alternating, so that load from other processes
 * lands on both. Returns the candidate's gain; *noise is what the samples themselves
 * scatter (at least the option's floor). */
static double side_by_side(tc_case **cases, int ncases, const ts_result *r, const ts_opts *o, size_t reps,
    tt_result *td, tt_result *tb, double *noise) {
  call_ctx cd = { cases, ncases, &r->def }, cb = { cases, ncases, &r->best };
  tt_interleave(call_all, &cd, call_all, &cb, reps, o->confirm_runs, td, tb);
  const double scatter = 0.5 * (td->spread + tb->spread) / 2.0;
  *noise = scatter > o->min_noise ? scatter : o->min_noise;
  return td->sec / tb->sec - 1.0;
}

void ts_search(orthoconv_op op, unsigned cls, tc_case **cases, tc_case **warm, int ncases, const ts_opts *o,
    ts_result *r) {
  state s = { op, cases, ncases, o, r, 0, 0, 0, 0 };
  for (int i = 0; i < ncases; i++) s.work += tc_work(cases[i]);
  memset(r, 0, sizeof *r);
  (void)cls;
  const orthoconv_priv_shape sh = tc_shape(cases[0]);
  r->def = orthoconv_priv_default_choice(op, sh.M, sh.K, sh.N, o->cap);
  /* The default first: it sets the bar, and is never given up on. */
  const double def_sec = eval(&s, &r->def);
  s.def_sec = def_sec;
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (!orthoconv_priv_ukernel_serves(k, op) || !allowed(k, o->cap)) continue;
    /* A variant runs only where its rule says it applies: every shape of the class measured. */
    int applies = 1;
    for (int c = 0; c < ncases; c++) {
      const orthoconv_priv_shape cs = tc_shape(cases[c]);
      applies &= orthoconv_priv_ukernel_applies(k, cs.K, cs.N);
    }
    if (!applies) continue;
    if (o->mode == TS_QUICK) coordinate(&s, k);
    else grid(&s, k);
  }
  r->chosen = r->def;
  r->noise = o->min_noise;
  char bn[256];
  if (def_sec == 0) {
    /* A default that fails its check is a library bug; the tuner still never
     * picks something slower on the strength of it, but says so loudly. */
    snprintf(r->why, sizeof r->why, "WARNING: the built-in default failed validation; kept (fix the kernel)");
  }
  if (same(&r->best, &r->def) || s.best_sec == 0) {
    r->rate_chosen = r->rate_def = r->rate_best = def_sec > 0 ? s.work / def_sec / 1e9 : 0;
    if (def_sec > 0)
      snprintf(r->why, sizeof r->why, r->tried <= 1 ? "the default is the only candidate this CPU runs" : "the default was the fastest of %d candidates", r->tried);
    return;
  }
  tt_result td, tb;
  const double gain = side_by_side(cases, ncases, r, o, s.def_reps, &td, &tb, &r->noise);
  r->rate_def = s.work / td.sec / 1e9;
  r->rate_best = s.work / tb.sec / 1e9;
  ts_format(&r->best, bn, sizeof bn);
  const int wins = gain > r->noise && def_sec > 0;
  char warm_txt[48] = "";
  if (wins && warm) {
    /* The cold win must not be a warm loss (stop 20 and 23: a backward-weights
     * blocking 13% faster cold ran 1.2-1.7x slower warm in the bench). */
    tt_result tdw, tbw;
    double noise_w;
    const double gain_w = side_by_side(warm, ncases, r, o, s.def_reps, &tdw, &tbw, &noise_w);
    if (gain_w < -noise_w) {
      r->rate_chosen = r->rate_def;
      snprintf(r->why, sizeof r->why,
          "default kept: the search's best, %.150s, is %+.0f%% cold but %+.0f%% warm, beyond noise %.0f%% (%d candidates)",
          bn, 100 * gain, 100 * gain_w, 100 * noise_w, r->tried);
      return;
    }
    snprintf(warm_txt, sizeof warm_txt, "; warm %+.0f%%, noise %.0f%%", 100 * gain_w, 100 * noise_w);
  }
  if (wins) {
    r->chosen = r->best;
    r->rate_chosen = r->rate_best;
    snprintf(r->why, sizeof r->why, "%+.0f%% over the default, above noise %.0f%% (%d timed, %d rejected, %d skipped%s)",
        100 * gain, 100 * r->noise, r->tried, r->rejected, r->skipped, warm_txt);
  } else if (gain > 0) {
    r->rate_chosen = r->rate_def;
    snprintf(r->why, sizeof r->why, "default kept: the best other, %.150s, is %+.1f%%, within noise %.0f%% (%d candidates)",
        bn, 100 * gain, 100 * r->noise, r->tried);
  } else {
    r->rate_chosen = r->rate_def;
    snprintf(r->why, sizeof r->why, "default kept: the search's best, %.150s, lost side by side (%+.1f%%; %d candidates)",
        bn, 100 * gain, r->tried);
  }
}
