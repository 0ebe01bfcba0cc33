/* Where a default line's variant should run within its classes: the forward
 * tiles at N <= 32, where the K <= 256 and N <= 32 classes each hold shapes with
 * different winners; and, last, one choice that depends on the core's vendor.
 *
 * The dot tile (2 rows x 10 filters, vectors along K) fills N / (10 ceil(N / 10))
 * of its filter slots, and along K it loses the padding of K to 16 and a
 * transpose-add tree per row that costs about 56 k of FMAs. The outer tile
 * (8 rows x 32, vectors along N) fills N / (16 ceil(N / 16)) of its lanes and
 * has no such per-row cost. Layers bound to each and alternated in one process
 * (Xeon model 207, M = 3136, N = 4 to 30, K = 64 to 1024) follow this model
 * within about 10%: dot / outer at N = 10 was 0.88x at K = 64, 1.18x at 128,
 * 1.37x at 256, 1.49x at 1024; at N = 11 and 12, 0.30-0.93x at every K;
 * at N = 20, 1.33-1.6x from K = 256. orthoconv_forward (W packed per call for
 * the dot tile) crosses over at the same K, within 1.2x. */
#include <string.h>
#include "cpu.h"
#include "select.h"

/* w-wide vectors' lanes that N filters take: w ceil(N / w). */
static size_t lanes(size_t N, size_t w) { return w * ((N + w - 1) / w); }

/* Filter slots against lanes alone: the AVX2 tiles. There the outer tile (6 x 16)
 * is one 8-float vector per row for N <= 8, too few sums in flight for the FMA
 * latency, which offsets the dot tile's cost per row: at K = 64 the dot tile
 * still won 1.2-1.9x at N = 4 to 10 (AVX2 code on the Xeon; dot / outer 1.25-1.54x
 * at N = 20, 1.26x at 24, 1.04x at 30; outer / dot 1.28-1.43x at N = 16 and
 * 1.2-1.5x at N = 11 and 12, K <= 128). */
int orthoconv_priv_dot_fills_more_slots(size_t K, size_t N) {
  (void)K;
  return N <= 32 && lanes(N, 16) > lanes(N, 10);
}

/* The same against the NEON outer tile's 12 lanes (6 x 12): on paper, no Arm
 * hardware here. Both tiles' hot loops are FMA-bound within 5% in llvm-mca's
 * neoverse-v1 model (bench/results/mca.md), so at N = 11 and 12 the dot tile's
 * 20 slots are 1.67x the FMAs of the outer tile's 12 lanes before its sums per
 * row; both x86 ISAs measured the same choice at 1.2-3.3x. Used at N <= 12 only:
 * past that the K-dependent cost of the dot tile would decide, unmeasured. */
int orthoconv_priv_dot_fills_more_slots_neon(size_t K, size_t N) {
  (void)K;
  return lanes(N, 12) > lanes(N, 10);
}

/* The per-row cost of the dot tile's transpose-add tree, in k of FMAs: ~56 on
 * Intel's cores, whose 512-bit shuffles take port 5 (an FMA port); ~24 on AMD's,
 * where they mostly have pipes of their own. Zen 4 (family 25 model 17), layers
 * bound to each tile and alternated in one process, M = 49 and 3136: dot / outer
 * 0.82-0.91x at K = 32-40, 1.02-1.11x at 48, 1.11-1.22x at 64-100, 1.46-1.52x at
 * 128-256 (N = 4, 7, 10); N = 20: 1.10x at K = 64, 1.34x at 128; N = 24 at
 * K = 400-512 0.98-1.03x. The Xeon's outer tile won at K = 64 and 100 x 7 (above). */
static size_t dot_row_cost(size_t K, size_t N) { return orthoconv_priv_permutes_share_fma_port(K, N) ? 56 : 24; }

int orthoconv_priv_dot_fills_more_lanes(size_t K, size_t N) {
  if (N > 32) return 0; /* past the measured range */
  if (K > (1u << 20)) K = 1u << 20; /* the K factor is 1 by then; no overflow below */
  /* N / dot slots * K / (16 ceil(K / 16) + row cost) > N / outer lanes */
  return lanes(N, 16) * K > lanes(N, 10) * (lanes(K, 16) + dot_row_cost(K, N));
}

/* The regularizer gradient's product W A at N = 10: the flat tile fills 15 of 16
 * lanes at a one-source permute per FMA; the broadcast tile fills 10 with none.
 * Intel's AVX-512 cores issue 512-bit permutes to port 5, one of their two FMA
 * ports, so there the permutes cost FMA slots: broadcast / flat 1.55-1.6x on the
 * Xeon model 207 (bench reg_grad k: cases, 7 interleaved repetitions, twice; the
 * same with 5 of 10 frozen). AMD's cores give one-source permutes pipes of their
 * own, where the flat tile was chosen (Zen 5 class, 1.42 us). */
int orthoconv_priv_permutes_share_fma_port(size_t K, size_t N) {
  (void)K, (void)N;
  return strcmp(orthoconv_priv_cpu_get()->vendor, "GenuineIntel") == 0;
}
