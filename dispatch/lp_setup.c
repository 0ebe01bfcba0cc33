/* Making, filling and freeing a low-precision layer: run once per layer, built
 * for size (meson.build). The per-call part is lp_layer.c. */
#include <stdlib.h>
#include <string.h>
#include "init.h"
#include "parallel.h"
#include "lp_layer.h"
#include "fwd_lp/pack.h"

/* Every packed form a variant of op that this CPU runs for K x N reads (KN is
 * the layer's own copy of W). */
static unsigned plan_forms(orthoconv_op op, size_t K, size_t N, orthoconv_priv_lp_form *f) {
  unsigned n = 0;
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++) {
    const orthoconv_ukernel *k = &orthoconv_priv_ukernels[i];
    if (k->op != op || k->wlayout == ORTHOCONV_W_KN || !orthoconv_priv_isa_runnable(k->isa) ||
        !orthoconv_priv_ukernel_applies(k, K, N))
      continue;
    unsigned j = 0;
    while (j < n && !orthoconv_priv_lp_same_form(&f[j], k)) j++;
    if (j < n || n == ORTHOCONV_LP_MAX_FORMS) continue;
    f[n].wlayout = k->wlayout, f[n].nr = k->nr, f[n].kunroll = k->kunroll, f[n].p = NULL;
    n++;
  }
  return n;
}

/* The first variant of a form, for its packing function. */
static const orthoconv_ukernel *variant_of(orthoconv_op op, const orthoconv_priv_lp_form *f) {
  for (size_t i = 0; i < orthoconv_priv_ukernel_count; i++)
    if (orthoconv_priv_ukernels[i].op == op && orthoconv_priv_lp_same_form(f, &orthoconv_priv_ukernels[i])) return &orthoconv_priv_ukernels[i];
  return NULL;
}

static size_t align64(size_t b) { return (b + 63) / 64 * 64; }

orthoconv_status orthoconv_priv_lp_create(orthoconv_op op, size_t K, size_t N, orthoconv_activation act,
    orthoconv_priv_lp_layer **out) {
  orthoconv_priv_init();
  orthoconv_priv_lp_layer proto;
  memset(&proto, 0, sizeof proto);
  proto.op = op, proto.K = K, proto.N = N, proto.act = act;
  const orthoconv_priv_profile *table = orthoconv_priv_table_current();
  for (unsigned mc = 0; mc < ORTHOCONV_MCLASSES; mc++) {
    const unsigned cls = orthoconv_priv_class_of(op, 0, K, N) + mc * ORTHOCONV_KCLASSES * ORTHOCONV_NCLASSES;
    const size_t M = orthoconv_priv_class_example(op, cls).M;
    proto.bound[mc] = orthoconv_priv_select_in(table, orthoconv_priv_cap_load(), op, M, K, N);
  }
  proto.nforms = plan_forms(op, K, N, proto.forms);
  /* One block, each part 64-byte aligned: W, bias, column sums, scales, forms. */
  const int q8 = op == ORTHOCONV_OP_QLAYER_FORWARD;
  size_t kn, bytes[3 + ORTHOCONV_LP_MAX_FORMS], total = 0;
  if (__builtin_mul_overflow(K, N, &kn) || __builtin_mul_overflow(kn, orthoconv_priv_lp_xbytes(op), &kn) ||
      kn > SIZE_MAX / 2)
    return ORTHOCONV_EINVAL;
  bytes[0] = align64(kn);
  bytes[1] = align64(N * sizeof(float));
  bytes[2] = q8 ? 2 * align64(N * sizeof(float)) : 0; /* colsum, w_scale */
  for (unsigned i = 0; i < proto.nforms; i++) {
    const orthoconv_ukernel *k = variant_of(op, &proto.forms[i]);
    const size_t count = orthoconv_priv_lp_pack_count(k, K, N, &proto.forms[i].npad);
    if (count == 0 || count > SIZE_MAX / 16) return ORTHOCONV_EINVAL;
    bytes[3 + i] = align64(count * orthoconv_priv_lp_wbytes(k));
  }
  for (unsigned i = 0; i < 3 + proto.nforms; i++)
    if (__builtin_add_overflow(total, bytes[i], &total)) return ORTHOCONV_EINVAL;
  orthoconv_priv_lp_layer *l = malloc(sizeof *l);
  unsigned char *mem = l ? aligned_alloc(64, total) : NULL;
  if (!mem) {
    free(l);
    return ORTHOCONV_ENOMEM;
  }
  *l = proto;
  l->mem = mem;
  l->kn = mem;
  mem += bytes[0];
  l->bias = (float *)mem;
  mem += bytes[1];
  if (q8) {
    l->colsum = (int32_t *)mem;
    l->w_scale = (float *)(mem + bytes[2] / 2);
    mem += bytes[2];
  }
  for (unsigned i = 0; i < l->nforms; i++) {
    l->forms[i].p = mem;
    mem += bytes[3 + i];
  }
  *out = l;
  return ORTHOCONV_OK;
}

void orthoconv_priv_lp_fill(orthoconv_priv_lp_layer *l, const float *bias) {
  l->has_bias = bias != NULL;
  if (bias) memcpy(l->bias, bias, l->N * sizeof(float));
  else memset(l->bias, 0, l->N * sizeof(float));
  if (l->op == ORTHOCONV_OP_QLAYER_FORWARD) {
    const int8_t *w = l->kn;
    l->w_scale_max = 0.0f;
    for (size_t n = 0; n < l->N; n++) {
      int32_t s = 0; /* |s| <= 128 K: fits for every K the layer accepts */
      for (size_t k = 0; k < l->K; k++) s += w[k * l->N + n];
      l->colsum[n] = s;
      if (l->w_scale[n] > l->w_scale_max) l->w_scale_max = l->w_scale[n];
    }
  }
  for (unsigned i = 0; i < l->nforms; i++)
    orthoconv_priv_lp_pack(variant_of(l->op, &l->forms[i]), l->K, l->N, l->kn, l->forms[i].p);
}

void orthoconv_priv_lp_destroy(orthoconv_priv_lp_layer *l) {
  if (!l) return;
  free(l->mem);
  free(l);
}
