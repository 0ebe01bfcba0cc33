#include <stdio.h>
#include "cpu.h"
#include "data.h"
#include "ocb.h"
#include "orthoconv.h"
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
  /* L1, L2, L2-L3, L3, L3 (larger parts), DRAM. */
  static const size_t kib[] = { 32, 256, 1024, 4096, 16384, 262144 };
  probe p = probes[n - 1];
  for (size_t i = 0; i < sizeof kib / sizeof kib[0]; i++) {
    p.bytes = kib[i] << 10;
    if (kib[i] >= 1024) snprintf(name, sizeof name, "probe/read/%zuMiB", kib[i] >> 10);
    else snprintf(name, sizeof name, "probe/read/%zuKiB", kib[i]);
    ocb_register(name, read_body, &p, sizeof p);
  }
}
