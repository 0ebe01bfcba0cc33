/* madvise and MADV_HUGEPAGE are not ISO C: the build is -std=c11 */
#define _DEFAULT_SOURCE
#include "data.h"
#include "lowprec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Buffers of 2 MiB and more are 2 MiB aligned and asked for transparent huge
 * pages before their first touch, so that every big buffer (X, the cold pool,
 * the probe's) is backed alike. With 4 KiB pages where a buffer's pages landed
 * decided its read speed: the first ~200 MB buffer of a process read 10-13%
 * slower than the next ones (Intel Xeon model 207, a plain read and the layer
 * forward), and in the bench that is the warm X of M = 50176 (ocb_data_get runs
 * before the cold pool and the probe exist): its warm/cold ratio was 0.89-1.00
 * in four runs, 1.00-1.05 with huge pages. Where THP is off the advice does
 * nothing; the run's context says which mode it is (main.c). */
#define OCB_HUGE ((size_t)2 << 20)

void *ocb_alloc_bytes(size_t bytes) {
  const size_t align = bytes >= OCB_HUGE ? OCB_HUGE : 64;
  bytes = bytes ? (bytes + align - 1) / align * align : align;
  void *p = aligned_alloc(align, bytes);
  if (!p) {
    fprintf(stderr, "orthoconv-bench: out of memory (%zu bytes)\n", bytes);
    abort();
  }
#ifdef MADV_HUGEPAGE
  if (align == OCB_HUGE) (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
  memset(p, 0, bytes);
  return p;
}

float *ocb_alloc(size_t nfloats) { return ocb_alloc_bytes(nfloats * sizeof(float)); }

void ocb_fill(float *p, size_t n, unsigned seed) {
  uint64_t s = 0x9e3779b97f4a7c15ull * (seed + 1u);
  for (size_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    p[i] = (float)((double)(s >> 40) / (double)(1ull << 23) - 1.0);
  }
}

typedef struct node { ocb_data d; struct node *next; } node;
static node *sets;

ocb_data *ocb_data_get(size_t M, size_t K, size_t N) {
  for (node *n = sets; n; n = n->next)
    if (n->d.M == M && n->d.K == K && n->d.N == N) return &n->d;
  node *n = calloc(1, sizeof *n);
  if (!n) abort();
  ocb_data *d = &n->d;
  d->M = M, d->K = K, d->N = N;
  d->x = ocb_alloc(M * K), ocb_fill(d->x, M * K, 1);
  d->w = ocb_alloc(K * N), ocb_fill(d->w, K * N, 2);
  /* Near-orthonormal scale keeps regularizer values and optimizer steps tame. */
  for (size_t i = 0; i < K * N; i++) d->w[i] *= 0.05f;
  d->bias = ocb_alloc(N), ocb_fill(d->bias, N, 3);
  d->dy = ocb_alloc(M * N), ocb_fill(d->dy, M * N, 4);
  d->a = ocb_alloc(N * N), ocb_fill(d->a, N * N, 5);
  d->y = ocb_alloc(M * N), d->dx = NULL; /* dx is M x K: only backward data asks for it */
  d->dw = ocb_alloc(K * N), d->dbias = ocb_alloc(N), d->g = ocb_alloc(N * N);
  d->grad = ocb_alloc(K * N), d->wmut = ocb_alloc(K * N);
  d->m = ocb_alloc(K * N), d->v = ocb_alloc(K * N), d->vel = ocb_alloc(K * N);
  n->next = sets;
  sets = n;
  return d;
}

ocb_io ocb_io_warm(const ocb_case *c, ocb_data *d) {
  if (c->op == OCB_BWD_DATA && !d->dx) d->dx = ocb_alloc(d->M * d->K);
  ocb_io io = {
    .x = d->x, .w = d->w, .bias = c->bias ? d->bias : NULL, .dy = d->dy, .a = d->a,
    .y = d->y, .dx = d->dx, .dw = d->dw, .dbias = d->dbias, .g = d->g, .grad = d->grad,
    .wmut = d->wmut, .m = d->m, .v = d->v, .vel = d->vel,
  };
  if (ocb_is_lp(c->op)) ocb_lp_io(d, &io);
  return io;
}

/* What rotates, in floats: [first | second] of each slot. */
static void cold_parts(const ocb_case *c, size_t *first, size_t *second) {
  const size_t MK = c->M * c->K, MN = c->M * c->N;
  switch (c->op) {
  case OCB_FWD: *first = MK, *second = MN; break;          /* x, y */
  case OCB_BWD_DATA: *first = MN, *second = MK; break;     /* dy, dx */
  case OCB_BWD_WEIGHTS: *first = MK, *second = MN; break;  /* x, dy */
  default: *first = *second = 0; break;
  }
}

static float *pool;
static size_t pool_floats;

ocb_cold ocb_cold_for(const ocb_case *c) {
  if (ocb_is_lp(c->op)) return ocb_lp_cold_for(c);
  size_t a, b;
  cold_parts(c, &a, &b);
  const size_t slot = (a + 15) / 16 * 16 + (b + 15) / 16 * 16;
  const char *env = getenv("OCB_COLD_MB");
  const size_t want = (env && atol(env) > 0 ? (size_t)atol(env) : 256) << 20;
  size_t slots = slot ? (want / sizeof(float) + slot - 1) / slot : 1;
  if (slots < 2) slots = 2;
  const size_t need = slots * slot;
  if (need > pool_floats) {
    free(pool);
    pool = ocb_alloc(need);
    ocb_fill(pool, need, 7);
    pool_floats = need;
  }
  ocb_cold cold = { slots, slot, pool };
  return cold;
}

void ocb_cold_io(const ocb_cold *cold, const ocb_case *c, size_t i, ocb_io *io) {
  if (ocb_is_lp(c->op)) {
    ocb_lp_cold_io(cold, c, i, io);
    return;
  }
  size_t a, b;
  cold_parts(c, &a, &b);
  float *p = cold->base + (i % cold->slots) * cold->slot_floats;
  float *q = p + (a + 15) / 16 * 16;
  switch (c->op) {
  case OCB_FWD: io->x = p, io->y = q; break;
  case OCB_BWD_DATA: io->dy = p, io->dx = q; break;
  case OCB_BWD_WEIGHTS: io->x = p, io->dy = q; break;
  default: break;
  }
}
