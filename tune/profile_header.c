/* The part of a profile that ties it to one build and one CPU, and its checksum.
 * The loader compares these lines byte for byte with what it would write itself,
 * so "same identity" has one definition: this function. */
#include <stdio.h>
#include "cpu.h"
#include "profile.h"

uint64_t orthoconv_priv_profile_checksum(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
  return h;
}

/* A profile is printable ASCII; CPUID strings come from the hardware (or a VM) and
 * are not promised to be. */
static void printable(char *dst, const char *src, size_t size) {
  size_t i = 0;
  for (; src[i] && i + 1 < size; i++) dst[i] = (src[i] >= 0x20 && src[i] <= 0x7e) ? src[i] : '?';
  dst[i] = 0;
}

size_t orthoconv_priv_profile_header(char *buf, size_t size) {
  const orthoconv_priv_cpu *cpu = orthoconv_priv_cpu_get();
  char vendor[sizeof cpu->vendor + 1], brand[sizeof cpu->brand + 1], isas[64] = "";
  printable(vendor, cpu->vendor, sizeof vendor);
  printable(brand, cpu->brand, sizeof brand);
  size_t len = 0;
  for (int i = 0; i < 4; i++)
    if ((cpu->isa_mask >> i) & 1u)
      len += (size_t)snprintf(isas + len, sizeof isas - len, " %s", orthoconv_isa_name((orthoconv_isa)i));
  return (size_t)snprintf(buf, size,
      "orthoconv-profile %d\n"
      "library %s\n"
      "kernels %016llx\n"
      "cpu.vendor %s\n"
      "cpu.id family=%u model=%u stepping=%u\n"
      "cpu.brand %s\n"
      "cpu.isa%s\n"
      "cpu.cache l1d=%uK l2=%uK l3=%uK\n",
      ORTHOCONV_PROFILE_FORMAT, orthoconv_version(),
      (unsigned long long)orthoconv_priv_ukernel_list_hash(), vendor, cpu->family, cpu->model,
      cpu->stepping, brand, isas, cpu->l1d_kib, cpu->l2_kib, cpu->l3_kib);
}
