/* AArch64 detection: AdvSIMD and its dot-product, bf16 and i8mm extensions from
 * the kernel's HWCAP and HWCAP2; identity from MIDR_EL1,
 * which Linux exposes when HWCAP_CPUID is set (it traps and emulates the read). */
#include <string.h>
#include <stdio.h>
#include <sys/auxv.h>
#include "cpu.h"

#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1 << 13)
#endif
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1 << 14)
#endif
#ifndef HWCAP_CPUID
#define HWCAP_CPUID (1 << 11)
#endif

void orthoconv_priv_cpu_detect(orthoconv_priv_cpu *cpu) {
  memset(cpu, 0, sizeof *cpu);
  cpu->isa_mask = 1u << ORTHOCONV_ISA_SCALAR;
  const unsigned long hw = getauxval(AT_HWCAP);
  if (hw & HWCAP_ASIMD) {
    const unsigned long hw2 = getauxval(AT_HWCAP2);
    cpu->isa_mask |= 1u << ORTHOCONV_ISA_NEON;
    if (hw & HWCAP_ASIMDDP) cpu->exts |= ORTHOCONV_EXT_NEON_DOTPROD;
    if (hw2 & HWCAP2_BF16) cpu->exts |= ORTHOCONV_EXT_NEON_BF16;
    if (hw2 & HWCAP2_I8MM) cpu->exts |= ORTHOCONV_EXT_NEON_I8MM;
  }
  strcpy(cpu->vendor, "arm");
  if (hw & HWCAP_CPUID) {
    unsigned long midr;
    __asm__ volatile("mrs %0, MIDR_EL1" : "=r"(midr));
    cpu->family = (unsigned)(midr >> 24) & 0xffu;  /* implementer */
    cpu->model = (unsigned)(midr >> 4) & 0xfffu;   /* part number */
    cpu->stepping = (unsigned)midr & 0xfu;         /* revision */
    snprintf(cpu->brand, sizeof cpu->brand, "MIDR 0x%08lx", midr);
  }
}
