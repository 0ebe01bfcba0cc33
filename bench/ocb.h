/* A thin C face of Google Benchmark, so that benchmark bodies stay plain C
 * (the library and its kernels are C; only ocb.cc knows about C++). */
#ifndef OCB_H
#define OCB_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ocb_state ocb_state;
/* A case body: arg is the copy made by ocb_register, alive for the whole run. */
typedef void ocb_body(ocb_state *st, void *arg);

/* Registers a case under name; arg (argsize bytes) is copied once and the copy
 * is handed to every call of body, so a body may cache set-up work in it. */
void ocb_register(const char *name, ocb_body *body, const void *arg, size_t argsize);

/* The timed loop: while (ocb_keep_running(st)) { ... }. */
int ocb_keep_running(ocb_state *st);
int64_t ocb_iterations(const ocb_state *st);
void ocb_pause(ocb_state *st);
void ocb_resume(ocb_state *st);

/* Counters. A rate is given per iteration and reported per second (flops/s,
 * bytes/s); a plain value is reported as given (sizes, flags). */
void ocb_rate(ocb_state *st, const char *name, double per_iteration);
void ocb_value(ocb_state *st, const char *name, double value);
void ocb_label(ocb_state *st, const char *label);
/* Ends the case without timing it; msg appears in the output and the JSON. */
void ocb_skip(ocb_state *st, const char *msg);

/* Adds a key/value to the "context" block of the JSON (CPU identity, probes). */
void ocb_context(const char *key, const char *value);

/* Runs what the command line selects; returns the process exit status. */
int ocb_run(int *argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
