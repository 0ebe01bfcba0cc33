/* Extensions of an ISA that single kernel variants need (AVX512-BF16, VNNI, Arm
 * dot products ...): a bit each, kept apart from orthoconv_isa so that the ISA
 * names of the API, the cap and the profiles stay as they are. A variant that
 * needs an extension names it as its list line's ISA (kernels/README.md); the
 * CPU detection sets the bits the CPU and OS run. Types only. */
#ifndef ORTHOCONV_ISA_EXT_H
#define ORTHOCONV_ISA_EXT_H

#define ORTHOCONV_EXT_AVX512_BF16 (1u << 0)  /* vdpbf16ps: CPUID 7.1 EAX bit 5 */
#define ORTHOCONV_EXT_AVX512_VNNI (1u << 1)  /* vpdpbusd zmm: CPUID 7.0 ECX bit 11 */
#define ORTHOCONV_EXT_AVX_VNNI (1u << 2)     /* vpdpbusd ymm, VEX: CPUID 7.1 EAX bit 4 */
#define ORTHOCONV_EXT_NEON_DOTPROD (1u << 3) /* sdot/udot: HWCAP_ASIMDDP */
#define ORTHOCONV_EXT_NEON_BF16 (1u << 4)    /* bfdot/bfmmla: HWCAP2_BF16 */
#define ORTHOCONV_EXT_NEON_I8MM (1u << 5)    /* usdot/usmmla: HWCAP2_I8MM */
#define ORTHOCONV_EXT_COUNT 6

/* A list line's ISA column: the base ISA and the extensions it needs. */
#define ORTHOCONV_ISA_AVX512_BF16 ORTHOCONV_ISA_AVX512
#define ORTHOCONV_ISA_AVX512_VNNI ORTHOCONV_ISA_AVX512
#define ORTHOCONV_ISA_AVX_VNNI ORTHOCONV_ISA_AVX2
#define ORTHOCONV_ISA_NEON_DOTPROD ORTHOCONV_ISA_NEON
#define ORTHOCONV_ISA_NEON_BF16 ORTHOCONV_ISA_NEON
#define ORTHOCONV_ISA_NEON_I8MM ORTHOCONV_ISA_NEON
#define ORTHOCONV_EXTS_SCALAR 0u
#define ORTHOCONV_EXTS_AVX2 0u
#define ORTHOCONV_EXTS_AVX512 0u
#define ORTHOCONV_EXTS_NEON 0u
#define ORTHOCONV_EXTS_AVX512_BF16 ORTHOCONV_EXT_AVX512_BF16
#define ORTHOCONV_EXTS_AVX512_VNNI ORTHOCONV_EXT_AVX512_VNNI
#define ORTHOCONV_EXTS_AVX_VNNI ORTHOCONV_EXT_AVX_VNNI
#define ORTHOCONV_EXTS_NEON_DOTPROD ORTHOCONV_EXT_NEON_DOTPROD
#define ORTHOCONV_EXTS_NEON_BF16 ORTHOCONV_EXT_NEON_BF16
#define ORTHOCONV_EXTS_NEON_I8MM ORTHOCONV_EXT_NEON_I8MM
#endif
