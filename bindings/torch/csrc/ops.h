// The operators registered as torch.ops.orthoconv.* (library.cc holds the schemas).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Optional.h>

#include <cstdint>
#include <string>
#include <tuple>

namespace orthoconv_torch {

// layer_ops.cc
at::Tensor nhwc(const at::Tensor &input);
std::string input_layout(const at::Tensor &input);
at::Tensor forward(const at::Tensor &input, const at::Tensor &weight,
                   const c10::optional<at::Tensor> &bias, const std::string &activation);
at::Tensor backward_data(const at::Tensor &grad_output, const at::Tensor &weight);
std::tuple<at::Tensor, at::Tensor> backward_weights(const at::Tensor &input,
                                                    const at::Tensor &grad_output,
                                                    const c10::optional<at::Tensor> &trainable);

// train_ops.cc
at::Tensor gram(const at::Tensor &weight);
at::Tensor regularize(const at::Tensor &weight, const std::string &kind, double strength,
                      const c10::optional<at::Tensor> &trainable,
                      const c10::optional<at::Tensor> &grad);
void sgd_step(const at::Tensor &param, const at::Tensor &grad,
              const c10::optional<at::Tensor> &momentum_buffer,
              const c10::optional<at::Tensor> &trainable, double lr, double momentum,
              double weight_decay, bool nesterov);
void adamw_step(const at::Tensor &param, const at::Tensor &grad, const at::Tensor &exp_avg,
                const at::Tensor &exp_avg_sq, const c10::optional<at::Tensor> &trainable,
                int64_t step, double lr, double beta1, double beta2, double eps,
                double weight_decay);

}  // namespace orthoconv_torch
