/* What this CPU and OS can run, detected once. */
#ifndef ORTHOCONV_CPU_H
#define ORTHOCONV_CPU_H
#include <stddef.h>
#include "orthoconv.h"
#include "isa_ext.h"

typedef struct orthoconv_priv_cpu {
  char vendor[16];        /* "GenuineIntel", "AuthenticAMD", "arm", ... */
  char brand[64];         /* CPUID brand string or MIDR text */
  unsigned family, model, stepping; /* x86 display values; on Arm: implementer, part, revision */
  unsigned isa_mask;      /* bit (1u << orthoconv_isa) for each ISA the CPU and OS run */
  unsigned exts;          /* ORTHOCONV_EXT_* (isa_ext.h) the CPU and OS run, only of ISAs in isa_mask */
  unsigned l1d_kib, l2_kib, l3_kib; /* 0 where the CPU does not say (e.g. hidden by a VM) */
} orthoconv_priv_cpu;

/* Detected once, thread-safely; or the fake one installed for a test. */
const orthoconv_priv_cpu *orthoconv_priv_cpu_get(void);
/* Fills *cpu from the hardware (cpu_x86.c / cpu_arm.c / cpu_other.c). */
void orthoconv_priv_cpu_detect(orthoconv_priv_cpu *cpu);
/* For tests: pretend to run on *fake (NULL = back to the real CPU). Call before
 * any other orthoconv function, from one thread. */
void orthoconv_priv_cpu_fake(const orthoconv_priv_cpu *fake);
/* "avx512_bf16", "avx512_vnni", "avx_vnni", "asimddp", "bf16", "i8mm" for one
 * ORTHOCONV_EXT_* bit; NULL for others. */
const char *orthoconv_priv_ext_name(unsigned ext_bit);
/* The extensions compiled into this build, as a mask like exts. */
unsigned orthoconv_priv_build_ext_mask(void);
/* The ISAs compiled into this build, as a mask like isa_mask. */
unsigned orthoconv_priv_build_isa_mask(void);
#endif
