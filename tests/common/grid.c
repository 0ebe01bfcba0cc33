#include "grid.h"

static const size_t Ms[] = { 0, 1, 2, 7, 49, 3137 };
static const size_t Ks[] = { 1, 3, 16, 17, 1000, 1024, 1025 };
static const size_t Ns[] = { 1, 2, 7, 10, 11, 16, 17, 33, 70 };
#define LEN(a) (sizeof a / sizeof a[0])

static const size_t budget = 2000000, both_layouts_below = 200000;

static int big_but_kept(size_t M, size_t K, size_t N) {
  /* 17 x 70: backward data's filter chunks adding to dx across its blocks of rows */
  return M == 3137 && ((K == 1024 && N == 10) || (K == 1025 && N == 17) || (K == 1000 && N == 1) ||
                       (K == 17 && N == 70));
}

void grid_begin(grid_iter *it, int has_m) {
  it->has_m = has_m;
  it->im = it->ik = it->in = it->layout = it->count = 0;
}

static void advance(grid_iter *it) {
  if (++it->in < LEN(Ns)) return;
  it->in = 0;
  if (++it->ik < LEN(Ks)) return;
  it->ik = 0;
  it->im = it->has_m ? it->im + 1 : LEN(Ms);
}

int grid_next(grid_iter *it, grid_shape *g) {
  for (;;) {
    if (it->im >= LEN(Ms)) return 0;
    const size_t M = it->has_m ? Ms[it->im] : 0, K = Ks[it->ik], N = Ns[it->in];
    const size_t cost = (M ? M : 1) * K * N;
    if (cost > budget && !big_but_kept(M, K, N)) {
      advance(it);
      continue;
    }
    int padded;
    if (cost <= both_layouts_below) {
      padded = (int)it->layout;
      if (++it->layout == 2) { it->layout = 0; advance(it); }
    } else {
      padded = (int)(it->count % 2);
      advance(it);
    }
    it->count++;
    g->M = M, g->K = K, g->N = N;
    g->ldx = K + (padded ? 3 : 0);
    g->ldy = N + (padded ? 5 : 0);
    g->off = padded ? 1 : 0;
    return 1;
  }
}
