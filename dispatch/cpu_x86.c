/* x86 detection: CPUID feature bits AND the OS's XCR0 state, since an OS that does
 * not save the wide registers makes the instructions fault even where CPUID has them. */
#include <cpuid.h>
#include <stdint.h>
#include <string.h>
#include "cpu.h"

static uint64_t read_xcr0(void) {
  uint32_t lo, hi;
  /* xgetbv spelled as bytes: the intrinsic would need -mxsave on this baseline file. */
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static void cache_sizes(orthoconv_priv_cpu *cpu, unsigned max_ext) {
  unsigned a, b, c, d;
  /* AMD's legacy leaves first; Intel's deterministic leaf 4 otherwise. */
  if (max_ext >= 0x80000006u && strcmp(cpu->vendor, "AuthenticAMD") == 0) {
    __cpuid(0x80000005u, a, b, c, d);
    cpu->l1d_kib = c >> 24;
    __cpuid(0x80000006u, a, b, c, d);
    cpu->l2_kib = c >> 16;
    cpu->l3_kib = (d >> 18) * 512u;
    return;
  }
  for (unsigned i = 0; i < 16; i++) {
    if (!__get_cpuid_count(4, i, &a, &b, &c, &d)) break;
    unsigned type = a & 31u, level = (a >> 5) & 7u;
    if (type == 0) break;
    unsigned kib = (((b >> 22) + 1) * (((b >> 12) & 0x3ffu) + 1) * ((b & 0xfffu) + 1) * (c + 1)) / 1024u;
    if (level == 1 && type != 2) cpu->l1d_kib = kib;
    if (level == 2) cpu->l2_kib = kib;
    if (level == 3) cpu->l3_kib = kib;
  }
}

void orthoconv_priv_cpu_detect(orthoconv_priv_cpu *cpu) {
  memset(cpu, 0, sizeof *cpu);
  cpu->isa_mask = 1u << ORTHOCONV_ISA_SCALAR;
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return;
  const unsigned max_leaf = a;
  memcpy(cpu->vendor, &b, 4);
  memcpy(cpu->vendor + 4, &d, 4);
  memcpy(cpu->vendor + 8, &c, 4);

  __cpuid(1, a, b, c, d);
  unsigned fam = (a >> 8) & 15u, model = (a >> 4) & 15u;
  if (fam == 15) fam += (a >> 20) & 255u;
  if (fam == 6 || fam >= 15) model |= ((a >> 16) & 15u) << 4;
  cpu->family = fam;
  cpu->model = model;
  cpu->stepping = a & 15u;
  const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;

  unsigned b7 = 0, c7 = 0, a71 = 0;
  if (max_leaf >= 7) {
    unsigned a7, d7, b71, c71, d71;
    __cpuid_count(7, 0, a7, b7, c7, d7);
    /* Sub-leaf 1 (AVX-VNNI, AVX512-BF16) exists when sub-leaf 0's EAX says so. */
    if (a7 >= 1) __cpuid_count(7, 1, a71, b71, c71, d71);
  }
  const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  const int os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = (xcr0 & 0xe6) == 0xe6;
  if (fma && avx && os_avx && ((b7 >> 5) & 1)) cpu->isa_mask |= 1u << ORTHOCONV_ISA_AVX2;
  /* Our AVX-512 kernels use F, DQ, BW and VL (masked 32-bit loads, 256-bit forms). */
  const unsigned need512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
  if ((cpu->isa_mask >> ORTHOCONV_ISA_AVX2 & 1) && os_avx512 && (b7 & need512) == need512)
    cpu->isa_mask |= 1u << ORTHOCONV_ISA_AVX512;
  /* Extensions count only with their base ISA usable (same register state). */
  if ((cpu->isa_mask >> ORTHOCONV_ISA_AVX2 & 1) && ((a71 >> 4) & 1)) cpu->exts |= ORTHOCONV_EXT_AVX_VNNI;
  if (cpu->isa_mask >> ORTHOCONV_ISA_AVX512 & 1) {
    if ((c7 >> 11) & 1) cpu->exts |= ORTHOCONV_EXT_AVX512_VNNI;
    if ((a71 >> 5) & 1) cpu->exts |= ORTHOCONV_EXT_AVX512_BF16;
  }

  unsigned max_ext = __get_cpuid_max(0x80000000u, 0);
  if (max_ext >= 0x80000004u) {
    unsigned r[12];
    for (unsigned i = 0; i < 3; i++) __cpuid(0x80000002u + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
    memcpy(cpu->brand, r, 48);
    cpu->brand[48] = 0;
    /* Trim the padding some CPUs put around the brand. */
    size_t s = 0, e = strlen(cpu->brand);
    while (cpu->brand[s] == ' ') s++;
    while (e > s && cpu->brand[e - 1] == ' ') e--;
    memmove(cpu->brand, cpu->brand + s, e - s);
    cpu->brand[e - s] = 0;
  }
  cache_sizes(cpu, max_ext);
}
