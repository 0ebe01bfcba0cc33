/* Loads, rejections, resets and status calls in some threads while others
 * dispatch and compute: every selection seen is one that some profile or the
 * defaults make, and every result stays within the accuracy contract. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "common/testutil.h"
#include "tune/profile.h"
#include "putil.h"

enum { M = 49, K = 67, N = 10, LOADS = 120, READERS = 2, LOADERS = 2 };
static char path_a[4096], path_b[4096], path_bad[4096];
static orthoconv_op alt_op;
static unsigned alt_cls;
static orthoconv_priv_choice alt;
static pt_snapshot defaults;
static float x[M * K], w[K * N], b[N];
static double want[M * N], bound[M * N];
static _Atomic int loaders_done;
static _Atomic int failures;

static void *loader(void *arg) {
  const int id = (int)(size_t)arg;
  char status[2048];
  for (int i = 0; i < LOADS; i++) {
    switch ((i + id) % 4) {
    case 0: if (orthoconv_profile_load(path_a) != ORTHOCONV_OK) failures++; break;
    case 1: if (orthoconv_profile_load(path_b) != ORTHOCONV_OK) failures++; break;
    case 2: if (orthoconv_profile_load(path_bad) != ORTHOCONV_EPROFILE) failures++; break;
    default: orthoconv_profile_reset(); break;
    }
    if (orthoconv_profile_status(status, sizeof status) == 0) failures++;
  }
  loaders_done++;
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  float y[M * N];
  orthoconv_layer *layer = NULL;
  if (orthoconv_layer_create(K, N, w, b, ORTHOCONV_ACT_NONE, &layer) != ORTHOCONV_OK) failures++;
  while (loaders_done < LOADERS) {
    for (unsigned op = 0; op < ORTHOCONV_OP_COUNT; op++)
      for (unsigned c = 0; c < orthoconv_priv_class_count((orthoconv_op)op); c++) {
        const orthoconv_priv_shape sh = orthoconv_priv_class_example((orthoconv_op)op, c);
        const orthoconv_priv_choice got = orthoconv_priv_select((orthoconv_op)op, sh.M, sh.K, sh.N);
        const int ok = pt_same_choice(&got, &defaults.c[op][c]) || (op == (unsigned)alt_op && c == alt_cls && pt_same_choice(&got, &alt));
        if (!ok) failures++;
      }
    /* A table is installed whole: one snapshot is either profile a (its one record)
     * or b / reset (no record), never a mix of a half-cleared and a half-set table. */
    const orthoconv_priv_profile *t = orthoconv_priv_table_current();
    if (t) {
      unsigned records = 0, alt_seen = 0;
      for (unsigned op = 0; op < ORTHOCONV_OP_COUNT; op++)
        for (unsigned c = 0; c < ORTHOCONV_CLASS_COUNT; c++)
          if (t->c[op][c].k) {
            records++;
            alt_seen += op == (unsigned)alt_op && c == alt_cls && pt_same_choice(&t->c[op][c], &alt);
          }
      if (!(records == 0 || (records == 1 && alt_seen == 1))) failures++;
    }
    for (int pass = 0; pass < 2; pass++) {
      memset(y, 0, sizeof y);
      const orthoconv_status s = pass ? orthoconv_layer_forward(layer, M, x, K, y, N)
                                      : orthoconv_forward(M, K, N, x, K, w, b, ORTHOCONV_ACT_NONE, y, N);
      if (s != ORTHOCONV_OK) failures++;
      for (size_t i = 0; i < M * N; i++)
        if (!within_bound(y[i], want[i], bound[i])) failures++;
    }
  }
  orthoconv_layer_destroy(layer);
  return NULL;
}

int main(void) {
  test_seed(11);
  for (size_t i = 0; i < M * K; i++) x[i] = test_randf();
  for (size_t i = 0; i < K * N; i++) w[i] = test_randf();
  for (size_t i = 0; i < N; i++) b[i] = test_randf();
  for (size_t m = 0; m < M; m++)
    for (size_t n = 0; n < N; n++) {
      double s = b[n], a = fabs((double)b[n]);
      for (size_t k = 0; k < K; k++) {
        s += (double)x[m * K + k] * w[k * N + n];
        a += fabs((double)x[m * K + k] * w[k * N + n]);
      }
      want[m * N + n] = s;
      bound[m * N + n] = a;
    }

  orthoconv_profile_reset();
  pt_snap(&defaults);
  char body[16384];
  pt_header(body, sizeof body);
  pt_write_signed(pt_path("b.txt", path_b, sizeof path_b), body); /* no records: the defaults */
  if (!pt_alt_choice(&alt_op, &alt_cls, &alt)) {
    alt_op = ORTHOCONV_OP_FORWARD;
    alt_cls = 0;
    alt = defaults.c[alt_op][alt_cls];
  }
  pt_add_choice(body, sizeof body, alt_op, alt_cls, &alt);
  pt_write_signed(pt_path("a.txt", path_a, sizeof path_a), body);
  strcat(body, "choice gram K<=256,N<=12 no_such_variant shape=0x128x10 rate=1\n");
  pt_write_signed(pt_path("bad.txt", path_bad, sizeof path_bad), body);

  pthread_t t[LOADERS + READERS];
  for (size_t i = 0; i < LOADERS; i++) pthread_create(&t[i], NULL, loader, (void *)i);
  for (size_t i = 0; i < READERS; i++) pthread_create(&t[LOADERS + i], NULL, reader, NULL);
  for (size_t i = 0; i < LOADERS + READERS; i++) pthread_join(t[i], NULL);
  CHECK(failures == 0, "%d wrong statuses, selections or results under concurrent loads", (int)failures);

  CHECK(orthoconv_profile_load(path_a) == ORTHOCONV_OK, "final load");
  const orthoconv_priv_shape sh = orthoconv_priv_class_example(alt_op, alt_cls);
  const orthoconv_priv_choice got = orthoconv_priv_select(alt_op, sh.M, sh.K, sh.N);
  CHECK(pt_same_choice(&got, &alt), "the last profile loaded is in force");
  return test_finish("profile threads");
}
