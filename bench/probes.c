#include <stdio.h>
#include <string.h>
#include "cpu.h"
#include "data.h"
#include "ocb.h"
#include "orthoconv.h"
#include "impl.h"
#include "probe.h"

typedef float fma_fn(size_t, double *);
typedef float read_fn(const float *, size_t);

typedef struct probe { int isa; fma_fn *fma; read_fn *read; size_t bytes; } probe;

volatile float ocb_probe_sink;

static void fma_body(ocb_state *st, void *arg) {
  const probe *p = arg;
  double flops = 0;
  /* ~1M FMAs a call: long against the loop, short against a time slice. */
  const size_t iters = 1u << 15;
  while (ocb_keep_running(st)) ocb_probe_sink = p->fma(iters, &flops);
  ocb_rate(st, "FLOPS", flops);
  ocb_value(st, "isa", p->isa);
}

static void read_body(ocb_state *st, void *arg) {
  const probe *p = arg;
  /* One buffer per size, kept: the next repetition finds it where it was. */
  static float *bufs[64];
  static size_t sizes[64], nbufs;
  float *buf = NULL;
  for (size_t i = 0; i < nbufs; i++)
    if (sizes[i] == p->bytes) buf = bufs[i];
  if (!buf && nbufs < 64) {
    buf = ocb_alloc(p->bytes / sizeof(float));
    ocb_fill(buf, p->bytes / sizeof(float), 11);
    bufs[nbufs] = buf, sizes[nbufs++] = p->bytes;
  }
  while (ocb_keep_running(st)) ocb_probe_sink = p->read(buf, p->bytes / sizeof(float));
  ocb_rate(st, "BYTES", (double)p->bytes);
  ocb_value(st, "ws_bytes", (double)p->bytes);
  ocb_value(st, "isa", p->isa);
}

#ifdef OCB_HAVE_PTHREADPOOL
#include <pthreadpool.h>
/* The DRAM read probe on the thread table's pool: each thread reads its own
 * contiguous part of one 256 MiB buffer, the whole in one parallel pass. */
typedef struct read_mt { const probe *p; const float *buf; size_t per; } read_mt;
static void read_part(void *arg, size_t i) {
  const read_mt *r = arg;
  ocb_probe_sink = r->p->read(r->buf + i * r->per, r->per);
}
static void read_mt_body(ocb_state *st, void *arg) {
  const probe *p = arg;
  static float *buf;
  if (!buf) {
    buf = ocb_alloc(p->bytes / sizeof(float));
    ocb_fill(buf, p->bytes / sizeof(float), 11);
  }
  const read_mt r = { p, buf, p->bytes / sizeof(float) / (size_t)ocb_threads };
  while (ocb_keep_running(st)) pthreadpool_parallelize_1d((pthreadpool_t)ocb_tpool, read_part, (void *)&r, (size_t)ocb_threads, 0);
  ocb_rate(st, "BYTES", (double)p->bytes);
  ocb_value(st, "ws_bytes", (double)p->bytes);
  ocb_value(st, "isa", p->isa);
}
#endif

void ocb_register_probes(void) {
  probe probes[4];
  size_t n = 0;
  probes[n++] = (probe){ ORTHOCONV_ISA_SCALAR, ocb_fma_scalar, ocb_read_scalar, 0 };
  const unsigned cpu = orthoconv_priv_cpu_get()->isa_mask;
#ifdef OCB_PROBE_AVX2
  if (cpu & (1u << ORTHOCONV_ISA_AVX2)) probes[n++] = (probe){ ORTHOCONV_ISA_AVX2, ocb_fma_avx2, ocb_read_avx2, 0 };
#endif
#ifdef OCB_PROBE_AVX512
  if (cpu & (1u << ORTHOCONV_ISA_AVX512)) probes[n++] = (probe){ ORTHOCONV_ISA_AVX512, ocb_fma_avx512, ocb_read_avx512, 0 };
#endif
#ifdef OCB_PROBE_NEON
  if (cpu & (1u << ORTHOCONV_ISA_NEON)) probes[n++] = (probe){ ORTHOCONV_ISA_NEON, ocb_fma_neon, ocb_read_neon, 0 };
#endif
  (void)cpu;
  char name[64];
  for (size_t i = 0; i < n; i++) {
    snprintf(name, sizeof name, "probe/fma/%s", orthoconv_isa_name((orthoconv_isa)probes[i].isa));
    ocb_register(name, fma_body, &probes[i], sizeof probes[i]);
  }
  /* L1, L2, L2-L3, L3, L3 (larger parts), DRAM; and just under this CPU's L1d
   * when it is larger than 32 KiB: W for N = 10 (40 KiB, 44 with a row of X)
   * sits in a 48 KiB L1d, and the 256 KiB probe would put an L2 roof over it. */
  size_t kib[7] = { 32, 256, 1024, 4096, 16384, 262144 }, nk = 6;
  const unsigned l1 = orthoconv_priv_cpu_get()->l1d_kib;
  if (l1 > 36 && l1 < 256) {
    memmove(kib + 2, kib + 1, 5 * sizeof kib[0]);
    kib[1] = l1 - 2, nk = 7;
  }
  probe p = probes[n - 1];
  for (size_t i = 0; i < nk; i++) {
    p.bytes = kib[i] << 10;
    if (kib[i] >= 1024) snprintf(name, sizeof name, "probe/read/%zuMiB", kib[i] >> 10);
    else snprintf(name, sizeof name, "probe/read/%zuKiB", kib[i]);
    ocb_register(name, read_body, &p, sizeof p);
  }
#ifdef OCB_HAVE_PTHREADPOOL
  if (ocb_threads > 1 && ocb_tpool) {
    p.bytes = (size_t)262144 << 10;
    snprintf(name, sizeof name, "probe/read/256MiB/threads:%d", ocb_threads);
    ocb_register(name, read_mt_body, &p, sizeof p);
  }
#endif
}
