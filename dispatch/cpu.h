/* What this CPU and OS can run, detected once. */
#ifndef ORTHOCONV_CPU_H
#define ORTHOCONV_CPU_H
#include <stddef.h>
#include "orthoconv.h"

typedef struct orthoconv_priv_cpu {
  char vendor[16];        /* "GenuineIntel", "AuthenticAMD", "arm", ... */
  char brand[64];         /* CPUID brand string or MIDR text */
  unsigned family, model, stepping; /* x86 display values; on Arm: implementer, part, revision */
  unsigned isa_mask;      /* bit (1u << orthoconv_isa) for each ISA the CPU and OS run */
  unsigned l1d_kib, l2_kib, l3_kib; /* 0 where the CPU does not say (e.g. hidden by a VM) */
} orthoconv_priv_cpu;

/* Detected once, thread-safely; or the fake one installed for a test. */
const orthoconv_priv_cpu *orthoconv_priv_cpu_get(void);
/* Fills *cpu from the hardware (cpu_x86.c / cpu_arm.c / cpu_other.c). */
void orthoconv_priv_cpu_detect(orthoconv_priv_cpu *cpu);
/* For tests: pretend to run on *fake (NULL = back to the real CPU). Call before
 * any other orthoconv function, from one thread. */
void orthoconv_priv_cpu_fake(const orthoconv_priv_cpu *fake);
/* The ISAs compiled into this build, as a mask like isa_mask. */
unsigned orthoconv_priv_build_isa_mask(void);
#endif
