/* Stack used per public entry point, measured: each call runs on a thread whose
 * stack this test provides, painted with a pattern beforehand; the deepest byte
 * overwritten, minus what an empty thread function uses, is the call's stack
 * (its whole call chain: driver, microkernel, SLEEF, libc). Every entry point
 * must stay within 16 KiB on the shapes that reach each kernel family (dot,
 * outer, flat, packing W per block, several M and N classes). The first call also
 * runs the library's one-time set-up. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "common/testutil.h"
#include "orthoconv.h"

#define STACK_BYTES (1u << 20)
#define LIMIT 16384
#define PAINT 0xa5

typedef struct call { const char *name; void (*fn)(void *); void *arg; } call;

static void *trampoline(void *p) {
  const call *c = p;
  c->fn(c->arg);
  return NULL;
}

/* Bytes of the painted stack the call touched. */
static size_t measure(const call *c) {
  unsigned char *stack = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  memset(stack, PAINT, STACK_BYTES);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstack(&a, stack, STACK_BYTES);
  pthread_t t;
  if (pthread_create(&t, &a, trampoline, (void *)c) != 0) {
    perror("pthread_create");
    exit(1);
  }
  pthread_join(t, NULL);
  pthread_attr_destroy(&a);
  size_t low = 0;
  while (low < STACK_BYTES && stack[low] == PAINT) low++;
  munmap(stack, STACK_BYTES);
  return STACK_BYTES - low;
}

typedef struct fwd_args {
  size_t M, K, N;
  orthoconv_activation act;
  int layer;
  float *x, *w, *b, *y;
  orthoconv_layer *l;
} fwd_args;

static float *buf(size_t n) {
  float *p = malloc((n ? n : 1) * sizeof *p);
  if (!p) abort();
  for (size_t i = 0; i < n; i++) p[i] = test_randf();
  return p;
}

/* Buffers (and the layer) are made outside the measured thread: only the calls run on it. */
static void fwd_prepare(fwd_args *a) {
  a->x = buf(a->M * a->K), a->w = buf(a->K * a->N), a->b = buf(a->N), a->y = buf(a->M * a->N);
  a->l = NULL;
  if (a->layer) CHECK(orthoconv_layer_create(a->K, a->N, a->w, a->b, a->act, &a->l) == ORTHOCONV_OK, "layer_create");
}

static void run_forward(void *p) {
  const fwd_args *a = p;
  const orthoconv_status s = a->layer ? orthoconv_layer_forward(a->l, a->M, a->x, a->K, a->y, a->N)
                                      : orthoconv_forward(a->M, a->K, a->N, a->x, a->K, a->w, a->b, a->act, a->y, a->N);
  CHECK(s == ORTHOCONV_OK, "forward %zux%zux%zu: %s", a->M, a->K, a->N, orthoconv_strerror(s));
}

typedef struct train_args {
  size_t M, K, N;
  float *x, *w, *dy, *dx, *dw, *db, *g, *m, *v;
  unsigned char *tr;
} train_args;

static void train_prepare(train_args *a) {
  const size_t M = a->M, K = a->K, N = a->N;
  a->x = buf(M * K), a->w = buf(K * N), a->dy = buf(M * N), a->dx = buf(M * K), a->dw = buf(K * N), a->db = buf(N);
  a->g = buf(N * N), a->m = buf(K * N), a->v = buf(K * N);
  for (size_t i = 0; i < K * N; i++) a->m[i] = 0, a->v[i] = 0;
  a->tr = malloc(N);
  for (size_t i = 0; i < N; i++) a->tr[i] = i % 2;
}

static void run_training(void *p) {
  const train_args *a = p;
  const size_t M = a->M, K = a->K, N = a->N;
  float *x = a->x, *w = a->w, *dy = a->dy, *dx = a->dx, *dw = a->dw, *db = a->db, *g = a->g, *m = a->m, *v = a->v, pen;
  const unsigned char *tr = a->tr;
  orthoconv_status s = orthoconv_backward_data(M, K, N, dy, N, w, dx, K);
  if (s == ORTHOCONV_OK) s = orthoconv_backward_weights(M, K, N, x, K, dy, N, tr, dw, db);
  if (s == ORTHOCONV_OK) s = orthoconv_gram(K, N, w, g);
  for (int kind = 0; s == ORTHOCONV_OK && kind <= (int)ORTHOCONV_REG_MIRROR_PAIRS; kind++)
    s = orthoconv_regularize((orthoconv_regularizer)kind, 1e-3f, K, N, w, tr, &pen, dw);
  const orthoconv_sgd sgd = { 0.01f, 0.9f, 1e-4f, 1 };
  const orthoconv_adamw adam = { 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f };
  if (s == ORTHOCONV_OK) s = orthoconv_sgd_step(&sgd, K, N, w, dw, m, tr);
  if (s == ORTHOCONV_OK) s = orthoconv_adamw_step(&adam, 1, K, N, w, dw, m, v, tr);
  CHECK(s == ORTHOCONV_OK, "training ops %zux%zux%zu: %s", M, K, N, orthoconv_strerror(s));
}

/* The bf16 and int8 layers, and the conversions on the way in. */
typedef struct lp_args {
  size_t M, K, N;
  orthoconv_activation act;
  int q8;
  float *xf, *y;
  uint16_t *xb;
  uint8_t *xq;
  orthoconv_layer *lb;
  orthoconv_qlayer *lq;
} lp_args;

static void lp_prepare(lp_args *a) {
  float *w = buf(a->K * a->N), *b = buf(a->N), *ws = buf(a->N);
  int8_t *wq = malloc(a->K * a->N);
  for (size_t i = 0; i < a->N; i++) ws[i] = 0.01f + ws[i] * ws[i];
  for (size_t i = 0; i < a->K * a->N; i++) wq[i] = (int8_t)(int)(127 * w[i]);
  a->xf = buf(a->M * a->K), a->y = buf(a->M * a->N);
  a->xb = malloc(a->M * a->K * sizeof *a->xb), a->xq = malloc(a->M * a->K);
  if (!a->xb || !a->xq || !wq) abort();
  a->lb = NULL, a->lq = NULL;
  if (a->q8) CHECK(orthoconv_qlayer_create(a->K, a->N, wq, ws, b, a->act, &a->lq) == ORTHOCONV_OK, "qlayer_create");
  else CHECK(orthoconv_layer_create_bf16(a->K, a->N, w, b, a->act, &a->lb) == ORTHOCONV_OK, "layer_create_bf16");
  free(w), free(b), free(ws), free(wq);
}

static void run_lp(void *p) {
  const lp_args *a = p;
  orthoconv_status s;
  if (a->q8) {
    s = orthoconv_quantize_u8(a->M * a->K, a->xf, 0.01f, 128, a->xq);
    if (s == ORTHOCONV_OK) s = orthoconv_qlayer_forward(a->lq, a->M, a->xq, a->K, 0.01f, 128, a->y, a->N);
  } else {
    s = orthoconv_f32_to_bf16(a->M * a->K, a->xf, a->xb);
    if (s == ORTHOCONV_OK) s = orthoconv_layer_forward_bf16(a->lb, a->M, a->xb, a->K, a->y, a->N);
  }
  CHECK(s == ORTHOCONV_OK, "%s %zux%zux%zu: %s", a->q8 ? "qlayer" : "bf16 layer", a->M, a->K, a->N, orthoconv_strerror(s));
}

/* Prints and checks one measurement; returns the deepest so far. */
static size_t within_limit(const char *what, size_t used, size_t worst) {
  printf("  %s: %6zu bytes of stack\n", what, used);
  CHECK(used <= LIMIT, "%s uses %zu bytes of stack (limit %d)", what, used, LIMIT);
  return used > worst ? used : worst;
}

static void nothing(void *p) { (void)p; }

/* The first call into the library runs its one-time set-up: measured on its own. */
static void first_call(void *p) {
  (void)p;
  (void)orthoconv_get_isa();
}

int main(void) {
  test_seed(3);
  const call empty = { "empty", nothing, NULL };
  const size_t base = measure(&empty);
  static fwd_args fa[] = {
    { .M = 1, .K = 1024, .N = 10, .act = ORTHOCONV_ACT_NONE }, { .M = 49, .K = 1024, .N = 10, .act = ORTHOCONV_ACT_RELU },
    { .M = 3136, .K = 1024, .N = 10, .act = ORTHOCONV_ACT_NONE, .layer = 0 }, { .M = 3136, .K = 1024, .N = 10, .act = ORTHOCONV_ACT_SOFTMAX, .layer = 0 },
    { .M = 49, .K = 1024, .N = 7, .act = ORTHOCONV_ACT_GELU, .layer = 0 }, { .M = 784, .K = 512, .N = 64, .act = ORTHOCONV_ACT_SOFTMAX, .layer = 0 },
    { .M = 49, .K = 2048, .N = 1000, .act = ORTHOCONV_ACT_NONE, .layer = 0 },
    { .M = 1, .K = 1024, .N = 10, .act = ORTHOCONV_ACT_NONE, .layer = 1 }, { .M = 49, .K = 1024, .N = 10, .act = ORTHOCONV_ACT_SIGMOID, .layer = 1 },
    { .M = 3136, .K = 1024, .N = 10, .act = ORTHOCONV_ACT_TANH, .layer = 1 }, { .M = 49, .K = 100, .N = 7, .act = ORTHOCONV_ACT_SOFTMAX, .layer = 1 },
    { .M = 784, .K = 512, .N = 128, .act = ORTHOCONV_ACT_RELU, .layer = 1 }, { .M = 3, .K = 2048, .N = 1000, .act = ORTHOCONV_ACT_SOFTMAX, .layer = 1 },
  };
  static train_args ta[] = { { .M = 49, .K = 1024, .N = 10 }, { .M = 64, .K = 512, .N = 64 }, { .M = 7, .K = 100, .N = 33 } };
  const call init = { "set-up", first_call, NULL };
  size_t worst = measure(&init) - base;
  printf("  one-time set-up:                     %6zu bytes of stack\n", worst);
  CHECK(worst <= LIMIT, "the one-time set-up uses %zu bytes of stack (limit %d)", worst, LIMIT);
  for (size_t i = 0; i < sizeof fa / sizeof fa[0]; i++) {
    fwd_prepare(&fa[i]);
    const call c = { "forward", run_forward, &fa[i] };
    const size_t used = measure(&c) - base;
    printf("  %s %5zux%4zux%4zu act %d: %6zu bytes of stack\n", fa[i].layer ? "layer_forward" : "forward      ", fa[i].M,
        fa[i].K, fa[i].N, (int)fa[i].act, used);
    CHECK(used <= LIMIT, "%s %zux%zux%zu uses %zu bytes of stack (limit %d)", fa[i].layer ? "layer" : "forward",
          fa[i].M, fa[i].K, fa[i].N, used, LIMIT);
    worst = used > worst ? used : worst;
  }
  static lp_args la[] = {
    { .M = 1, .K = 1024, .N = 10 }, { .M = 3136, .K = 1024, .N = 10, .act = ORTHOCONV_ACT_SOFTMAX },
    { .M = 49, .K = 1024, .N = 7, .act = ORTHOCONV_ACT_GELU }, { .M = 5, .K = 2048, .N = 1000, .act = ORTHOCONV_ACT_SOFTMAX },
    { .M = 1, .K = 1024, .N = 10, .q8 = 1 }, { .M = 3136, .K = 1024, .N = 10, .act = ORTHOCONV_ACT_SOFTMAX, .q8 = 1 },
    { .M = 49, .K = 1023, .N = 7, .act = ORTHOCONV_ACT_TANH, .q8 = 1 }, { .M = 5, .K = 2048, .N = 1000, .act = ORTHOCONV_ACT_SOFTMAX, .q8 = 1 },
    { .M = 2, .K = 65793, .N = 10, .q8 = 1 },
  };
  for (size_t i = 0; i < sizeof la / sizeof la[0]; i++) {
    lp_prepare(&la[i]);
    const call c = { "lowprec", run_lp, &la[i] };
    char what[96];
    snprintf(what, sizeof what, "%s %5zux%5zux%4zu act %d", la[i].q8 ? "qlayer_forward" : "forward_bf16  ", la[i].M, la[i].K,
        la[i].N, (int)la[i].act);
    worst = within_limit(what, measure(&c) - base, worst);
  }
  for (size_t i = 0; i < sizeof ta / sizeof ta[0]; i++) {
    train_prepare(&ta[i]);
    const call c = { "training", run_training, &ta[i] };
    const size_t used = measure(&c) - base;
    printf("  training ops  %5zux%4zux%4zu:        %6zu bytes of stack\n", ta[i].M, ta[i].K, ta[i].N, used);
    CHECK(used <= LIMIT, "training ops %zux%zux%zu use %zu bytes of stack (limit %d)", ta[i].M, ta[i].K, ta[i].N, used, LIMIT);
    worst = used > worst ? used : worst;
  }
  printf("deepest: %zu bytes (limit %d, ISA %s)\n", worst, LIMIT, orthoconv_isa_name(orthoconv_get_isa()));
  return test_finish("stack");
}
