/* Profiles that are accepted: save -> load gives the same selections, a tuned
 * choice changes what is reported and what runs, and the default search honours
 * ORTHOCONV_PROFILE and the user cache directory.
 *   test_profile_roundtrip             save/load/reset in one process
 *   test_profile_roundtrip env         writes the profile ORTHOCONV_PROFILE names:
 *                                      init loads it by itself
 *   test_profile_roundtrip xdg         writes one to the user cache: init must NOT
 *                                      read it (no hidden file I/O); load(NULL) does */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/testutil.h"
#include "fwd/driver.h"
#include "tune/profile.h"
#include "putil.h"

static char body[16384];

/* A profile holding the alternative choice (or, if this CPU has none, the default
 * of layer_forward M=1), so that being loaded is visible. */
static void write_alt(const char *path, orthoconv_op *op, unsigned *cls, orthoconv_priv_choice *c) {
  if (!pt_alt_choice(op, cls, c)) {
    *op = ORTHOCONV_OP_LAYER_FORWARD;
    *cls = 0;
    const orthoconv_priv_shape sh = orthoconv_priv_class_example(*op, *cls);
    *c = orthoconv_priv_default_choice(*op, sh.M, sh.K, sh.N, orthoconv_get_isa());
  }
  pt_header(body, sizeof body);
  pt_add_choice(body, sizeof body, *op, *cls, c);
  pt_write_signed(path, body);
}

/* Which variant really runs: the API's bits must be those of the chosen variant. */
static void check_runs(orthoconv_op op, unsigned cls, const orthoconv_priv_choice *c) {
  if (op != ORTHOCONV_OP_FORWARD && op != ORTHOCONV_OP_LAYER_FORWARD) return;
  const orthoconv_priv_shape sh = orthoconv_priv_class_example(op, cls);
  const size_t M = sh.M, K = sh.K, N = sh.N;
  float *x = malloc(M * K * sizeof *x), *w = malloc(K * N * sizeof *w), *b = malloc(N * sizeof *b);
  float *y = malloc(M * N * sizeof *y), *yk = malloc(M * N * sizeof *y), *yd = malloc(M * N * sizeof *y);

  for (size_t i = 0; i < M * K; i++) x[i] = test_randf();
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
  for (size_t i = 0; i < N; i++) b[i] = test_randf();
  orthoconv_layer *layer = NULL;
  CHECK(orthoconv_layer_create(K, N, w, b, ORTHOCONV_ACT_NONE, &layer) == ORTHOCONV_OK, "layer_create");
  const orthoconv_status s = op == ORTHOCONV_OP_FORWARD
      ? orthoconv_forward(M, K, N, x, K, w, b, ORTHOCONV_ACT_NONE, y, N)
      : orthoconv_layer_forward(layer, M, x, K, y, N);
  CHECK(s == ORTHOCONV_OK, "forward call");
  const orthoconv_priv_choice d = orthoconv_priv_default_choice(op, M, K, N, orthoconv_get_isa());
  const orthoconv_priv_fwd_w wv = { .kn = w };
  orthoconv_priv_fwd_drive(c->k, c->t, M, K, N, x, K, &wv, b, ORTHOCONV_ACT_NONE, yk, N);
  orthoconv_priv_fwd_drive(d.k, d.t, M, K, N, x, K, &wv, b, ORTHOCONV_ACT_NONE, yd, N);
  CHECK(memcmp(y, yk, M * N * sizeof *y) == 0, "%s: the API's result is not the chosen variant's", orthoconv_priv_op_name(op));
  printf("  chosen variant ran: %s (default's bits %s)\n", memcmp(y, yk, M * N * sizeof *y) == 0 ? "yes" : "NO",
      memcmp(yk, yd, M * N * sizeof *y) ? "differ, so this is conclusive" : "are the same");
  orthoconv_layer_destroy(layer);
  free(x), free(w), free(b), free(y), free(yk), free(yd);
}

static void round_trip(void) {
  char p1[4096], p2[4096], p3[4096];
  pt_snapshot defaults, tuned, again;
  orthoconv_profile_reset();
  pt_snap(&defaults);

  orthoconv_op op;
  unsigned cls;
  orthoconv_priv_choice c;
  const int have_alt = pt_alt_choice(&op, &cls, &c);
  write_alt(pt_path("alt.txt", p1, sizeof p1), &op, &cls, &c);
  CHECK(orthoconv_profile_load(p1) == ORTHOCONV_OK, "load of a valid profile: %s", pt_status());
  CHECK(strstr(pt_status(), p1) != NULL, "status names the profile: %s", pt_status());
  pt_snap(&tuned);
  for (unsigned o = 0; o < ORTHOCONV_OP_COUNT; o++)
    for (unsigned k = 0; k < orthoconv_priv_class_count((orthoconv_op)o); k++) {
      const int is_alt = o == (unsigned)op && k == cls;
      CHECK(pt_same_choice(&tuned.c[o][k], is_alt ? &c : &defaults.c[o][k]), "op %u class %u after load", o, k);
    }
  const orthoconv_priv_shape sh = orthoconv_priv_class_example(op, cls);
  const char *name = orthoconv_selected_kernel(op, sh.M, sh.K, sh.N);
  CHECK(name && strcmp(name, c.k->name) == 0, "selected_kernel reports %s, profile chose %s", name, c.k->name);
  printf("profile chose %s for %s %s (%s)\n", c.k->name, orthoconv_priv_op_name(op), orthoconv_priv_class_name(op, cls),
      have_alt ? "not the default" : "no alternative on this CPU: the default itself");
  check_runs(op, cls, &c);
  CHECK(orthoconv_priv_table_current()->rate[op][cls] == 1234, "rate kept");

  CHECK(orthoconv_profile_save(pt_path("saved.txt", p2, sizeof p2)) == ORTHOCONV_OK, "save: %s", pt_status());
  orthoconv_profile_reset();
  pt_snap(&again);
  CHECK(pt_same(&again, &defaults), "reset restores the defaults");
  CHECK(strstr(pt_status(), "built-in defaults") != NULL, "status after reset: %s", pt_status());
  CHECK(orthoconv_profile_load(p2) == ORTHOCONV_OK, "load of a saved profile: %s", pt_status());
  pt_snap(&again);
  CHECK(pt_same(&again, &tuned), "save -> load gives the same selections");
  CHECK(orthoconv_priv_table_current()->rate[op][cls] == 1234, "rate survives save -> load");

  /* A full table (every op and class) survives too. */
  static orthoconv_priv_profile full;
  for (unsigned o = 0; o < ORTHOCONV_OP_COUNT; o++)
    for (unsigned k = 0; k < orthoconv_priv_class_count((orthoconv_op)o); k++) {
      full.c[o][k] = tuned.c[o][k];
      full.rate[o][k] = o * 100 + k;
      full.at[o][k] = orthoconv_priv_class_example((orthoconv_op)o, k);
    }
  full.task_kflops = 1500;
  full.task_threads = 3;
  CHECK(orthoconv_priv_profile_install(&full, "full test table") == ORTHOCONV_OK, "install full table");
  CHECK(orthoconv_profile_save(pt_path("full.txt", p3, sizeof p3)) == ORTHOCONV_OK, "save full: %s", pt_status());
  orthoconv_profile_reset();
  CHECK(orthoconv_profile_load(p3) == ORTHOCONV_OK, "load full: %s", pt_status());
  pt_snap(&again);
  CHECK(pt_same(&again, &tuned), "full table round trip");
  CHECK(orthoconv_priv_table_current()->rate[ORTHOCONV_OP_ADAMW][5] == 705, "rates round trip");
  CHECK(orthoconv_priv_table_current()->at[ORTHOCONV_OP_FORWARD][29].M == 50176, "shapes round trip");
  CHECK(orthoconv_priv_table_current()->task_kflops == 1500 && orthoconv_priv_table_current()->task_threads == 3,
        "the task grain round trips");

  /* Saving over an existing file replaces it (rename), and no temporary is left. */
  CHECK(orthoconv_profile_save(p3) == ORTHOCONV_OK, "save over existing");
  char cmd[8300];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", pt_dir());
  CHECK(system(cmd) != 0, "a temporary file was left in %s", pt_dir());
  orthoconv_profile_reset();
}

/* save(NULL) writes the user cache path (creating its directories); load(NULL) finds it. */
static void default_path(void) {
  char xdg[4096], file[4200];
  setenv("XDG_CACHE_HOME", pt_path("cache", xdg, sizeof xdg), 1);
  unsetenv("ORTHOCONV_PROFILE");
  CHECK(orthoconv_profile_save(NULL) == ORTHOCONV_OK, "save(NULL): %s", pt_status());
  snprintf(file, sizeof file, "%s/orthoconv/profile.txt", xdg);
  CHECK(access(file, R_OK) == 0, "save(NULL) wrote %s", file);
  CHECK(orthoconv_profile_load(NULL) == ORTHOCONV_OK, "load(NULL): %s", pt_status());
  CHECK(strstr(pt_status(), file) != NULL, "status names %s: %s", file, pt_status());
  orthoconv_profile_reset();
}

/* The start-up search: the profile is written before the first call that runs
 * init (the header needs only CPU detection and the kernel list), then the first
 * dispatch must find it. The choice is layer_forward's scalar reference, valid on
 * every CPU and not the default wherever a SIMD variant exists. */
static void startup_search(const char *mode) {
  char path[4096], xdg[2048];
  if (strcmp(mode, "env") == 0) {
    setenv("ORTHOCONV_PROFILE", pt_path("env-profile.txt", path, sizeof path), 1);
  } else {
    setenv("XDG_CACHE_HOME", pt_path("xdg", xdg, sizeof xdg), 1);
    unsetenv("ORTHOCONV_PROFILE");
    mkdir(xdg, 0755);
    snprintf(path, sizeof path, "%s/orthoconv", xdg);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/orthoconv/profile.txt", xdg);
  }
  const orthoconv_op op = ORTHOCONV_OP_LAYER_FORWARD;
  orthoconv_priv_choice c = { NULL, { 0 } };
  for (size_t i = 0; i < orthoconv_priv_ukernel_count && !c.k; i++)
    if (orthoconv_priv_ukernel_serves(&orthoconv_priv_ukernels[i], op)) c.k = &orthoconv_priv_ukernels[i];
  pt_header(body, sizeof body);
  pt_add_choice(body, sizeof body, op, 0, &c);
  pt_write_signed(path, body);

  const orthoconv_priv_shape sh = orthoconv_priv_class_example(op, 0);
  const char *name = orthoconv_selected_kernel(op, sh.M, sh.K, sh.N); /* runs init */
  if (strcmp(mode, "env") == 0) {
    CHECK(strstr(pt_status(), path) != NULL, "start-up loaded %s: %s", path, pt_status());
    CHECK(name && strcmp(name, c.k->name) == 0, "start-up profile's choice in force: %s", name ? name : "(null)");
  } else {
    const orthoconv_priv_choice d = orthoconv_priv_default_choice(op, sh.M, sh.K, sh.N, orthoconv_get_isa());
    CHECK(strstr(pt_status(), "built-in defaults") != NULL, "init read the user cache by itself: %s", pt_status());
    CHECK(name && strcmp(name, d.k->name) == 0, "default in force before an explicit load: %s", name ? name : "(null)");
    CHECK(orthoconv_profile_load(NULL) == ORTHOCONV_OK, "load(NULL) finds the user cache: %s", pt_status());
    name = orthoconv_selected_kernel(op, sh.M, sh.K, sh.N);
    CHECK(name && strcmp(name, c.k->name) == 0, "after load(NULL) the profile's choice is in force: %s", name ? name : "(null)");
  }
  printf("status: %s\n", pt_status());
}

int main(int argc, char **argv) {
  test_seed(5);
  if (argc > 1) {
    startup_search(argv[1]);
    return test_finish(argv[1]);
  }
  round_trip();
  default_path();
  return test_finish("profile round trip");
}
