/* The seed's layer on an engine's thread pool: a layer run with
 * orthoconv_layer_forward_mt on a 2-thread pthreadpool gives exactly the bits of
 * the single-threaded call.
 *   cc threads_pthreadpool.c $(pkg-config --static --cflags --libs orthoconv) -lpthreadpool */
#include <orthoconv.h>
#include <orthoconv_pthreadpool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  enum { B = 64, M = B * 7 * 7, K = 1024, N = 10 };
  float *x = malloc(sizeof(float) * M * K), *w = malloc(sizeof(float) * K * N);
  float *y1 = malloc(sizeof(float) * M * N), *y2 = malloc(sizeof(float) * M * N);
  if (!x || !w || !y1 || !y2) return 1;
  for (int i = 0; i < M * K; i++) x[i] = (float)((i * 7919) % 2001 - 1000) / 1000.0f;
  for (int i = 0; i < K * N; i++) w[i] = (float)((i * 104729) % 2001 - 1000) / 32000.0f;

  orthoconv_layer *layer = NULL;
  orthoconv_status s = orthoconv_layer_create(K, N, w, NULL, ORTHOCONV_ACT_SOFTMAX, &layer);
  pthreadpool_t tp = pthreadpool_create(2);
  const orthoconv_threadpool pool = orthoconv_threadpool_from_pthreadpool(tp);
  if (s == ORTHOCONV_OK) s = orthoconv_layer_forward_mt(&pool, layer, M, x, K, y1, N);
  if (s == ORTHOCONV_OK) s = orthoconv_layer_forward(layer, M, x, K, y2, N);
  if (s != ORTHOCONV_OK) {
    fprintf(stderr, "layer forward: %s\n", orthoconv_strerror(s));
    return 1;
  }
  const int same = memcmp(y1, y2, sizeof(float) * M * N) == 0;
  printf("%zu threads, %s: y[0][0] = %g, same bits as one thread: %s\n", pool.threads,
         orthoconv_layer_kernel(layer, M), y1[0], same ? "yes" : "NO");
  pthreadpool_destroy(tp);
  orthoconv_layer_destroy(layer);
  free(x), free(w), free(y1), free(y2);
  return same ? 0 : 1;
}
