/* orthoconv-tune: measures every kernel variant this CPU runs, per op and size
 * class, and writes the fastest (checked against the scalar reference, never
 * slower than the built-in default beyond noise) as a tuning profile. */
#define _GNU_SOURCE
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"
#include "tune/profile.h"
#include "tune_search.h"
#include "tune_threads.h"

#define MAX_SHAPES 64

typedef orthoconv_priv_shape shape;

static void usage(FILE *f) {
  fputs("usage: orthoconv-tune [--quick | --thorough] [-o FILE] [--K K] [--N N] [--shape MxKxN]...\n"
        "                      [--shapes FILE] [--op NAME]... [--threads T] [--no-pin] [--dry-run]\n"
        "  --quick        default tunables plus a few values each, one at a time (under a minute)\n"
        "  (neither)      the cartesian grid of up to 8 values per tunable\n"
        "  --thorough     the whole grid of every tunable (can take hours)\n"
        "  -o FILE        where to write the profile (default: ${XDG_CACHE_HOME:-~/.cache}/orthoconv/profile.txt)\n"
        "  --K, --N       the layer measured at one M per M class (default 1024, 10)\n"
        "  --shape MxKxN  also tune this shape's class (M x K x N classes), measured at this shape\n"
        "                 and any other given shape of the same class (repeatable)\n"
        "  --shapes FILE  one MxKxN per line (an engine's layer shapes; '#' starts a comment)\n"
        "  --op NAME      tune only this op (repeatable): forward backward_data backward_weights gram\n"
        "                 layer_forward reg_grad sgd adamw layer_forward_bf16 qlayer_forward; the others\n"
        "                 keep the built-in defaults\n"
        "  --threads T    also tune the _mt calls' task grain on a pool of T threads (run on all CPUs)\n"
        "  --no-pin       do not pin to one core\n"
        "  --dry-run      measure and print, write nothing\n", f);
}

static int parse_size(const char *s, size_t *v) {
  char *end;
  const unsigned long long x = strtoull(s, &end, 10);
  if (end == s || *end || x == 0 || x > (1ull << 24)) return 0;
  *v = (size_t)x;
  return 1;
}

static int parse_shape(const char *s, shape *out) {
  char buf[64], *m, *k, *n;
  if (strlen(s) >= sizeof buf) return 0;
  strcpy(buf, s);
  m = buf;
  if (!(k = strchr(m, 'x'))) return 0;
  *k++ = 0;
  if (!(n = strchr(k, 'x'))) return 0;
  *n++ = 0;
  return parse_size(m, &out->M) && parse_size(k, &out->K) && parse_size(n, &out->N);
}

static int read_shapes(const char *path, shape *extra, int *n) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[256];
  int ok = 1;
  while (ok && fgets(line, sizeof line, f)) {
    char *p = line;
    line[strcspn(line, "#\r\n")] = 0;
    while (*p == ' ' || *p == '\t') p++;
    char *e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
    if (!*p) continue;
    ok = *n < MAX_SHAPES && parse_shape(p, &extra[*n]);
    if (ok) (*n)++;
  }
  fclose(f);
  return ok;
}

static int find_op(const char *name) {
  for (int o = 0; o < ORTHOCONV_OP_COUNT; o++)
    if (strcmp(orthoconv_priv_op_name((orthoconv_op)o), name) == 0) return o;
  return -1;
}

/* Large-M classes rotate through twice the last-level cache (a VM may hide or
 * misreport it: kept between 64 and 256 MiB). */
static size_t cold_bytes(void) {
  size_t b = (size_t)orthoconv_priv_cpu_get()->l3_kib * 2048u;
  if (b < (64u << 20)) b = 64u << 20;
  if (b > (256u << 20)) b = 256u << 20;
  return b;
}

int main(int argc, char **argv) {
  ts_opts o = { TS_NORMAL, { 0.01, 7, 2.0 }, 9, 0.03, ORTHOCONV_ISA_SCALAR };
  const char *out = NULL;
  size_t K = 1024, N = 10;
  shape extra[MAX_SHAPES];
  int nextra = 0, pin = 1, dry = 0;
  unsigned op_mask = 0;
  enum { O_QUICK = 256, O_THOROUGH, O_K, O_N, O_SHAPE, O_SHAPES, O_OP, O_THREADS, O_NOPIN, O_DRY };
  size_t threads = 0;
  static const struct option longs[] = {
    { "quick", no_argument, 0, O_QUICK }, { "thorough", no_argument, 0, O_THOROUGH },
    { "K", required_argument, 0, O_K }, { "N", required_argument, 0, O_N },
    { "shape", required_argument, 0, O_SHAPE }, { "shapes", required_argument, 0, O_SHAPES },
    { "op", required_argument, 0, O_OP }, { "threads", required_argument, 0, O_THREADS },
    { "no-pin", no_argument, 0, O_NOPIN }, { "dry-run", no_argument, 0, O_DRY },
    { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
  int ch;
  while ((ch = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
    switch (ch) {
    case 'o': out = optarg; break;
    case O_QUICK: o.mode = TS_QUICK; break;
    case O_THOROUGH: o.mode = TS_THOROUGH; break;
    case O_K: if (!parse_size(optarg, &K)) { fprintf(stderr, "bad --K %s\n", optarg); return 2; } break;
    case O_N: if (!parse_size(optarg, &N)) { fprintf(stderr, "bad --N %s\n", optarg); return 2; } break;
    case O_SHAPE:
      if (nextra == MAX_SHAPES || !parse_shape(optarg, &extra[nextra++])) { fprintf(stderr, "bad or too many --shape %s\n", optarg); return 2; }
      break;
    case O_SHAPES:
      if (!read_shapes(optarg, extra, &nextra)) { fprintf(stderr, "cannot read --shapes %s (or a bad line, or over %d shapes)\n", optarg, MAX_SHAPES); return 2; }
      break;
    case O_OP: {
      const int op = find_op(optarg);
      if (op < 0) { fprintf(stderr, "unknown --op %s\n", optarg); return 2; }
      op_mask |= 1u << op;
      break;
    }
    case O_THREADS:
      if (!parse_size(optarg, &threads) || threads < 2 || threads > 4096) { fprintf(stderr, "bad --threads %s (2..4096)\n", optarg); return 2; }
      break;
    case O_NOPIN: pin = 0; break;
    case O_DRY: dry = 1; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind != argc) { usage(stderr); return 2; }
  if (!op_mask) op_mask = (1u << ORTHOCONV_OP_COUNT) - 1;
  if (o.mode == TS_QUICK) o.timing = (tt_opts){ 0.003, 5, 0.4 }, o.confirm_runs = 5;
  if (o.mode == TS_THOROUGH) o.timing = (tt_opts){ 0.02, 9, 5.0 }, o.confirm_runs = 11;

  /* Measure the kernels, not a profile some earlier run left in force. */
  orthoconv_profile_reset();
  o.cap = orthoconv_get_isa();
  const orthoconv_priv_cpu *cpu = orthoconv_priv_cpu_get();
  cpu_set_t all_cpus;
  const int all_cpus_set = sched_getaffinity(0, sizeof all_cpus, &all_cpus) == 0;
  const int core = pin ? tt_pin() : -1;
  static const char *const modes[] = { "quick", "normal", "thorough" };
  printf("orthoconv-tune %s, %s mode: %s (%s), ISA cap %s, K=%zu N=%zu, %s\n", orthoconv_version(), modes[o.mode],
      cpu->brand, cpu->vendor, orthoconv_isa_name(o.cap), K, N, core >= 0 ? "pinned" : "not pinned");
  if (core >= 0) printf("pinned to CPU %d\n", core);

  static ts_result res[ORTHOCONV_OP_COUNT][ORTHOCONV_CLASS_COUNT];
  tth_result thr = { 0 };
  static int done[ORTHOCONV_OP_COUNT][ORTHOCONV_CLASS_COUNT];
  static shape at[ORTHOCONV_OP_COUNT][ORTHOCONV_CLASS_COUNT];
  const double t0 = tt_now();
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++) {
    if (!(op_mask >> op & 1u)) continue;
    const orthoconv_op e = (orthoconv_op)op;
    printf("%s:\n", orthoconv_priv_op_name(e));
    /* The classes to tune: those of the layer at each M class, and of every --shape. */
    shape todo[ORTHOCONV_MCLASSES + MAX_SHAPES];
    int ntodo = 0;
    const int has_m = orthoconv_priv_op_has_m(e);
    for (unsigned mc = 0; mc < (has_m ? ORTHOCONV_MCLASSES : 1u); mc++) {
      const unsigned cls = orthoconv_priv_class_of(e, 0, K, N) + mc * ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES;
      todo[ntodo++] = (shape){ has_m ? orthoconv_priv_class_example(e, cls).M : 0, K, N };
    }
    for (int i = 0; i < nextra; i++) todo[ntodo++] = (shape){ has_m ? extra[i].M : 0, extra[i].K, extra[i].N };
    for (unsigned cls = 0; cls < orthoconv_priv_class_count(e); cls++) {
      tc_case *cases[ORTHOCONV_MCLASSES + MAX_SHAPES], *warm[ORTHOCONV_MCLASSES + MAX_SHAPES];
      int nc = 0;
      /* Large-M classes are timed cold, and their choice checked warm too. */
      const size_t cold = has_m && cls / (ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES) >= 3 ? cold_bytes() : 0;
      for (int i = 0; i < ntodo; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++) dup |= todo[j].M == todo[i].M && todo[j].K == todo[i].K && todo[j].N == todo[i].N;
        if (!dup && orthoconv_priv_class_of(e, todo[i].M, todo[i].K, todo[i].N) == cls) {
          warm[nc] = cold ? tc_create(e, todo[i].M, todo[i].K, todo[i].N, 0) : NULL;
          cases[nc++] = tc_create(e, todo[i].M, todo[i].K, todo[i].N, cold);
        }
      }
      if (nc == 0) continue;
      ts_result *r = &res[op][cls];
      ts_search(e, cls, cases, cold ? warm : NULL, nc, &o, r);
      done[op][cls] = 1;
      char a[256], b[256];
      char shape_txt[64];
      const shape s0 = tc_shape(cases[0]);
      at[op][cls] = s0;
      snprintf(shape_txt, sizeof shape_txt, "%zux%zux%zu%s", s0.M, s0.K, s0.N, nc > 1 ? "+" : "");
      printf("  [%5.1fs] %-18s %-14s %3d timed %2d rejected %2d skipped -> %s %.2f %s (default %s %.2f)\n", tt_now() - t0,
          orthoconv_priv_class_name(e, cls), shape_txt, r->tried, r->rejected, r->skipped, ts_format(&r->chosen, a, sizeof a),
          r->rate_chosen, tc_unit(e), ts_format(&r->def, b, sizeof b), r->rate_def);
      fflush(stdout);
      for (int i = 0; i < nc; i++) {
        tc_free(cases[i]);
        if (cold) tc_free(warm[i]);
      }
    }
  }
  /* The grain of the _mt calls, on all CPUs, with the kernels just chosen in force. */
  if (threads) {
    static orthoconv_priv_profile chosen;
    for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
      for (unsigned cls = 0; cls < ORTHOCONV_CLASS_COUNT; cls++)
        if (done[op][cls]) chosen.c[op][cls] = res[op][cls].chosen, chosen.at[op][cls] = at[op][cls];
    (void)orthoconv_priv_table_install(&chosen);
    if (all_cpus_set) sched_setaffinity(0, sizeof all_cpus, &all_cpus);
    if (tth_tune(threads, K, N, &o.timing, o.min_noise, &thr))
      printf("threads (%zu): default grain %.1f us, chosen %.1f us for layer forward + backward data + weights at 3136x%zux%zu: %s\n",
             threads, thr.sec_default * 1e6, thr.sec_chosen * 1e6, K, N, thr.why);
    else
      printf("threads (%zu): no pool could be started; grain not tuned\n", threads);
    (void)orthoconv_priv_table_install(NULL);
  }
  const double elapsed = tt_now() - t0;

  printf("\n%-16s %-18s %-46s %9s  %-38s %9s %7s\n", "op", "class", "chosen variant + tunables", "rate", "built-in default",
      "rate", "gain");
  /* rates: GFLOP/s, GB/s for sgd and adamw (bytes of w, g and state moved) */
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned cls = 0; cls < ORTHOCONV_CLASS_COUNT; cls++) {
      if (!done[op][cls]) continue;
      const ts_result *r = &res[op][cls];
      char a[256], b[256];
      const double gain = r->rate_def > 0 ? 100.0 * (r->rate_chosen / r->rate_def - 1.0) : 0;
      printf("%-16s %-18s %-46s %9.2f  %-38s %9.2f %+6.1f%%  %s\n", orthoconv_priv_op_name((orthoconv_op)op),
          orthoconv_priv_class_name((orthoconv_op)op, cls), ts_format(&r->chosen, a, sizeof a), r->rate_chosen,
          ts_format(&r->def, b, sizeof b), r->rate_def, gain, tc_unit((orthoconv_op)op));
    }
  printf("\nwhy:\n");
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned cls = 0; cls < ORTHOCONV_CLASS_COUNT; cls++)
      if (done[op][cls])
        printf("  %-16s %-18s %s\n", orthoconv_priv_op_name((orthoconv_op)op), orthoconv_priv_class_name((orthoconv_op)op, cls),
            res[op][cls].why);
  printf("tuning took %.1f s\n", elapsed);
  if (dry) return 0;

  static orthoconv_priv_profile prof;
  for (int op = 0; op < ORTHOCONV_OP_COUNT; op++)
    for (unsigned cls = 0; cls < ORTHOCONV_CLASS_COUNT; cls++) {
      if (!done[op][cls]) continue;
      const double mega = res[op][cls].rate_chosen * 1000.0;
      prof.c[op][cls] = res[op][cls].chosen;
      prof.rate[op][cls] = mega > 999999999.0 ? 999999999u : (uint32_t)mega;
      prof.at[op][cls] = at[op][cls];
    }
  prof.task_kflops = thr.kflops;
  prof.task_threads = thr.kflops ? (uint32_t)threads : 0;
  if (orthoconv_priv_profile_install(&prof, "tuned by orthoconv-tune in this process") != ORTHOCONV_OK) {
    fprintf(stderr, "orthoconv-tune: out of memory\n");
    return 1;
  }
  char path[4096];
  if (!out && !orthoconv_priv_profile_user_path(path, sizeof path)) {
    fprintf(stderr, "orthoconv-tune: neither XDG_CACHE_HOME nor HOME is set: use -o FILE\n");
    return 1;
  }
  if (orthoconv_profile_save(out) != ORTHOCONV_OK) {
    char st[2048];
    orthoconv_profile_status(st, sizeof st);
    fprintf(stderr, "orthoconv-tune: could not write the profile: %s\n", st);
    return 1;
  }
  printf("profile written to %s\n", out ? out : path);
  return 0;
}
