/* Architectures without SIMD kernels: the scalar reference only. */
#include <string.h>
#include "cpu.h"

void orthoconv_priv_cpu_detect(orthoconv_priv_cpu *cpu) {
  memset(cpu, 0, sizeof *cpu);
  strcpy(cpu->vendor, "unknown");
  cpu->isa_mask = 1u << ORTHOCONV_ISA_SCALAR;
}
