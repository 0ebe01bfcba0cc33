// The layer's operators: forward (bias, activation), backward data, backward
// weights with a frozen mask. Each validates everything before the one library call.
#include "ops.h"

#include <ATen/ops/empty.h>

#include "tensor_args.h"

namespace orthoconv_torch {
namespace {

// Input and gradient must describe the same pixels (same B, H, W or same M).
void check_same_pixels(const at::Tensor &a, const at::Tensor &b, const char *what_a,
                       const char *what_b) {
  bool same = a.dim() == b.dim() && a.size(0) == b.size(0);
  if (same && a.dim() == 4) same = a.size(2) == b.size(2) && a.size(3) == b.size(3);
  TORCH_CHECK(same, "orthoconv: ", what_a, " ", a.sizes(), " and ", what_b, " ", b.sizes(),
              " do not cover the same pixels");
}

}  // namespace

at::Tensor nhwc(const at::Tensor &input) { return readable_pixels(input, "input"); }

at::Tensor forward(const at::Tensor &input, const at::Tensor &weight,
                   const c10::optional<at::Tensor> &bias, const std::string &activation) {
  const orthoconv_activation act = parse_activation(activation);
  const RowMatrix x = pixel_rows(input, "input");
  const at::Tensor w = dense_weight(weight, "weight");
  const int64_t K = w.size(0), N = w.size(1);
  TORCH_CHECK(x.cols == K, "orthoconv: input has ", x.cols, " channels but weight is (K, N) = ",
              w.sizes(), ": K must equal the input channels");
  at::Tensor b;
  if (bias.has_value() && bias->defined()) {
    check_float_cpu(*bias, "bias");
    TORCH_CHECK(bias->dim() == 1 && bias->size(0) == N, "orthoconv: bias must be (", N,
                ",), one value per filter; got shape ", bias->sizes());
    b = bias->contiguous();
  }
  at::Tensor y = empty_pixels_like(input, N);
  check_status(orthoconv_forward(usize(x.rows), usize(K), usize(N), x.data, usize(x.ld),
                                 w.data_ptr<float>(), b.defined() ? b.data_ptr<float>() : nullptr,
                                 act, y.data_ptr<float>(), usize(N)),
               "orthoconv_forward");
  return y;
}

at::Tensor backward_data(const at::Tensor &grad_output, const at::Tensor &weight) {
  const RowMatrix dy = pixel_rows(grad_output, "grad_output");
  const at::Tensor w = dense_weight(weight, "weight");
  const int64_t K = w.size(0), N = w.size(1);
  TORCH_CHECK(dy.cols == N, "orthoconv: grad_output has ", dy.cols,
              " channels but weight is (K, N) = ", w.sizes(), ": N must match");
  at::Tensor dx = empty_pixels_like(grad_output, K);
  check_status(orthoconv_backward_data(usize(dy.rows), usize(K), usize(N), dy.data, usize(dy.ld),
                                       w.data_ptr<float>(), dx.data_ptr<float>(), usize(K)),
               "orthoconv_backward_data");
  return dx;
}

std::tuple<at::Tensor, at::Tensor> backward_weights(const at::Tensor &input,
                                                    const at::Tensor &grad_output,
                                                    const c10::optional<at::Tensor> &trainable) {
  const RowMatrix x = pixel_rows(input, "input");
  const RowMatrix dy = pixel_rows(grad_output, "grad_output");
  check_same_pixels(input, grad_output, "input", "grad_output");
  const int64_t K = x.cols, N = dy.cols;
  at::Tensor mask_keep;
  const unsigned char *mask = filter_mask(trainable, N, mask_keep);
  at::Tensor dw = at::empty({K, N}, input.options());
  at::Tensor db = at::empty({N}, input.options());
  check_status(orthoconv_backward_weights(usize(x.rows), usize(K), usize(N), x.data, usize(x.ld),
                                          dy.data, usize(dy.ld), mask, dw.data_ptr<float>(),
                                          db.data_ptr<float>()),
               "orthoconv_backward_weights");
  return {dw, db};
}

}  // namespace orthoconv_torch
