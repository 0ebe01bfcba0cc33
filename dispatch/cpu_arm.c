/* AArch64 detection: AdvSIMD from the kernel's HWCAP; identity from MIDR_EL1,
 * which Linux exposes when HWCAP_CPUID is set (it traps and emulates the read). */
#include <string.h>
#include <stdio.h>
#include <sys/auxv.h>
#include "cpu.h"

#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_CPUID
#define HWCAP_CPUID (1 << 11)
#endif

void orthoconv_priv_cpu_detect(orthoconv_priv_cpu *cpu) {
  memset(cpu, 0, sizeof *cpu);
  cpu->isa_mask = 1u << ORTHOCONV_ISA_SCALAR;
  const unsigned long hw = getauxval(AT_HWCAP);
  if (hw & HWCAP_ASIMD) cpu->isa_mask |= 1u << ORTHOCONV_ISA_NEON;
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
