// The only C++ of the bench: adapts Google Benchmark's State to ocb.h.
#include "ocb.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <string>

struct ocb_state {
  benchmark::State *s;
};

extern "C" {

void ocb_register(const char *name, ocb_body *body, const void *arg, size_t argsize) {
  // Deliberately never freed: the copy must outlive every run of the case.
  void *copy = std::malloc(argsize ? argsize : 1);
  if (!copy) std::abort();
  if (argsize) std::memcpy(copy, arg, argsize);
  // Timed in process CPU time (Google Benchmark's default): the cores of a shared
  // machine are time-sliced, and wall time would count the other tenants' slices.
  benchmark::RegisterBenchmark(name, [body, copy](benchmark::State &s) {
    ocb_state st{&s};
    body(&st, copy);
  });
}

int ocb_keep_running(ocb_state *st) { return st->s->KeepRunning(); }
int64_t ocb_iterations(const ocb_state *st) { return st->s->iterations(); }
void ocb_pause(ocb_state *st) { st->s->PauseTiming(); }
void ocb_resume(ocb_state *st) { st->s->ResumeTiming(); }

void ocb_rate(ocb_state *st, const char *name, double per_iteration) {
  st->s->counters[name] = benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

void ocb_value(ocb_state *st, const char *name, double value) {
  st->s->counters[name] = benchmark::Counter(value);
}

void ocb_label(ocb_state *st, const char *label) { st->s->SetLabel(label); }
void ocb_skip(ocb_state *st, const char *msg) { st->s->SkipWithError(msg); }

void ocb_context(const char *key, const char *value) { benchmark::AddCustomContext(key, value); }

int ocb_run(int *argc, char **argv) {
  benchmark::Initialize(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(*argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // extern "C"
