// Training operators: Gram matrix, the regularizers (value and gradient) and the
// SGD / AdamW steps, which update their tensors in place.
#include <ATen/ops/empty.h>

#include <initializer_list>
#include <utility>

#include "ops.h"
#include "tensor_args.h"

namespace orthoconv_torch {
namespace {

// A parameter of the steps: a (K, N) weight, or an (N,) bias seen as 1 x N.
std::pair<int64_t, int64_t> param_shape(const at::Tensor &p) {
  check_float_cpu(p, "param");
  TORCH_CHECK((p.dim() == 2 || p.dim() == 1) && p.numel() > 0,
              "orthoconv: param must be a (K, N) weight or an (N,) bias, got shape ", p.sizes());
  return p.dim() == 2 ? std::make_pair(p.size(0), p.size(1)) : std::make_pair(int64_t{1}, p.size(0));
}

void check_like(const at::Tensor &t, const at::Tensor &param, const char *what) {
  check_float_cpu(t, what);
  TORCH_CHECK(t.sizes() == param.sizes(), "orthoconv: ", what, " must have the shape of param ",
              param.sizes(), ", got ", t.sizes());
}

// Tensors that one step reads and writes must not overlap. Dense ones go to the
// library as they are, which checks their byte ranges exactly (ORTHOCONV_EOVERLAP);
// a strided one is copied first, where the library could no longer see an
// overlap, so any shared storage is refused then.
void check_apart(std::initializer_list<std::pair<const at::Tensor *, const char *>> ts) {
  for (auto a = ts.begin(); a != ts.end(); ++a)
    for (auto b = a + 1; b != ts.end(); ++b) {
      const at::Tensor &x = *a->first, &y = *b->first;
      if (!x.defined() || !y.defined() || !x.is_alias_of(y)) continue;
      TORCH_CHECK(x.is_contiguous() && y.is_contiguous(), "orthoconv: ", a->second, " and ",
                  b->second, " share storage and one of them is not dense");
    }
}

}  // namespace

at::Tensor gram(const at::Tensor &weight) {
  const at::Tensor w = dense_weight(weight, "weight");
  const int64_t K = w.size(0), N = w.size(1);
  at::Tensor g = at::empty({N, N}, w.options());
  check_status(orthoconv_gram(usize(K), usize(N), w.data_ptr<float>(), g.data_ptr<float>()),
               "orthoconv_gram");
  return g;
}

at::Tensor regularize(const at::Tensor &weight, const std::string &kind, double strength,
                      const c10::optional<at::Tensor> &trainable,
                      const c10::optional<at::Tensor> &grad) {
  const orthoconv_regularizer reg = parse_regularizer(kind);
  const float s = to_float(strength, "strength");
  const at::Tensor w = dense_weight(weight, "weight");
  const int64_t K = w.size(0), N = w.size(1);
  at::Tensor mask_keep;
  const unsigned char *mask = filter_mask(trainable, N, mask_keep);
  const bool with_grad = grad.has_value() && grad->defined();
  if (with_grad) {
    check_like(*grad, weight, "grad");
    check_apart({{&weight, "weight"}, {&*grad, "grad"}});
  }
  at::Tensor penalty = at::empty({}, w.options());
  if (!with_grad) {
    check_status(orthoconv_regularize(reg, s, usize(K), usize(N), w.data_ptr<float>(), mask,
                                      penalty.data_ptr<float>(), nullptr),
                 "orthoconv_regularize");
    return penalty;
  }
  InPlace g(*grad, "grad");
  check_status(orthoconv_regularize(reg, s, usize(K), usize(N), w.data_ptr<float>(), mask,
                                    penalty.data_ptr<float>(), g.data()),
               "orthoconv_regularize");
  g.finish();
  return penalty;
}

void sgd_step(const at::Tensor &param, const at::Tensor &grad,
              const c10::optional<at::Tensor> &momentum_buffer,
              const c10::optional<at::Tensor> &trainable, double lr, double momentum,
              double weight_decay, bool nesterov) {
  const auto [K, N] = param_shape(param);
  check_like(grad, param, "grad");
  const orthoconv_sgd opt = {to_float(lr, "lr"), to_float(momentum, "momentum"),
                             to_float(weight_decay, "weight_decay"), nesterov ? 1 : 0};
  const bool with_buf = momentum_buffer.has_value() && momentum_buffer->defined();
  TORCH_CHECK(with_buf || opt.momentum == 0.0f,
              "orthoconv: sgd_step with momentum needs a momentum_buffer (zeros at the start)");
  at::Tensor buf_t = with_buf ? *momentum_buffer : at::Tensor();
  if (with_buf) check_like(buf_t, param, "momentum_buffer");
  check_apart({{&param, "param"}, {&grad, "grad"}, {&buf_t, "momentum_buffer"}});
  at::Tensor mask_keep;
  const unsigned char *mask = filter_mask(trainable, N, mask_keep);
  const at::Tensor g = grad.contiguous();
  InPlace w(param, "param");
  c10::optional<InPlace> v;
  if (with_buf) v.emplace(buf_t, "momentum_buffer");
  check_status(orthoconv_sgd_step(&opt, usize(K), usize(N), w.data(), g.data_ptr<float>(),
                                  v ? v->data() : nullptr, mask),
               "orthoconv_sgd_step");
  w.finish();
  if (v) v->finish();
}

void adamw_step(const at::Tensor &param, const at::Tensor &grad, const at::Tensor &exp_avg,
                const at::Tensor &exp_avg_sq, const c10::optional<at::Tensor> &trainable,
                int64_t step, double lr, double beta1, double beta2, double eps,
                double weight_decay) {
  const auto [K, N] = param_shape(param);
  check_like(grad, param, "grad");
  check_like(exp_avg, param, "exp_avg");
  check_like(exp_avg_sq, param, "exp_avg_sq");
  TORCH_CHECK(step >= 1, "orthoconv: adamw_step counts steps from 1, got step ", step);
  const orthoconv_adamw opt = {to_float(lr, "lr"), to_float(beta1, "beta1"),
                               to_float(beta2, "beta2"), to_float(eps, "eps"),
                               to_float(weight_decay, "weight_decay")};
  check_apart({{&param, "param"}, {&grad, "grad"}, {&exp_avg, "exp_avg"},
               {&exp_avg_sq, "exp_avg_sq"}});
  at::Tensor mask_keep;
  const unsigned char *mask = filter_mask(trainable, N, mask_keep);
  const at::Tensor g = grad.contiguous();
  InPlace w(param, "param"), m(exp_avg, "exp_avg"), v(exp_avg_sq, "exp_avg_sq");
  check_status(orthoconv_adamw_step(&opt, usize(step), usize(K), usize(N), w.data(),
                                    g.data_ptr<float>(), m.data(), v.data(), mask),
               "orthoconv_adamw_step");
  w.finish();
  m.finish();
  v.finish();
}

}  // namespace orthoconv_torch
