#include "impl.h"

#include <stdio.h>
#include <stdlib.h>

static ocb_impl *impls;
static size_t nimpls, cap;

void ocb_impl_add(const ocb_impl *im) {
  if (nimpls == cap) {
    cap = cap ? 2 * cap : 32;
    impls = realloc(impls, cap * sizeof *impls);
    if (!impls) abort();
  }
  impls[nimpls++] = *im;
}

size_t ocb_impl_count(void) { return nimpls; }
const ocb_impl *ocb_impl_get(size_t i) { return &impls[i]; }
