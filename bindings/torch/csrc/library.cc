// TORCH_LIBRARY(orthoconv): the schemas of torch.ops.orthoconv.*. Usable from
// Python (torch.ops.load_library), TorchScript, and libtorch C++ programs.
//
// Registered as catch-all kernels so that a tensor on any other device, or of
// another dtype, reaches the checks in tensor_args.cc and gets a clear error.
// The kernels have no autograd formula of their own: orthoconv_torch's
// torch.autograd.Functions call the backward operators.
#include <torch/library.h>

#include <orthoconv.h>

#include "ops.h"

namespace {

std::string version() { return orthoconv_version(); }

std::string selected_kernel(const std::string &op, int64_t M, int64_t K, int64_t N) {
  static const struct { const char *name; orthoconv_op op; } ops[] = {
      {"forward", ORTHOCONV_OP_FORWARD},
      {"backward_data", ORTHOCONV_OP_BACKWARD_DATA},
      {"backward_weights", ORTHOCONV_OP_BACKWARD_WEIGHTS},
      {"gram", ORTHOCONV_OP_GRAM},
      {"layer_forward", ORTHOCONV_OP_LAYER_FORWARD},
      {"reg_grad", ORTHOCONV_OP_REG_GRAD},
      {"sgd", ORTHOCONV_OP_SGD},
      {"adamw", ORTHOCONV_OP_ADAMW},
  };
  TORCH_CHECK(M >= 0 && K > 0 && N > 0, "orthoconv: selected_kernel needs M >= 0, K > 0, N > 0");
  for (const auto &o : ops)
    if (op == o.name) {
      const char *name = orthoconv_selected_kernel(o.op, static_cast<size_t>(M),
                                                   static_cast<size_t>(K), static_cast<size_t>(N));
      return name ? name : "";
    }
  TORCH_CHECK(false, "orthoconv: unknown op '", op, "'");
}

std::string strerror_text(int64_t status) {
  // 0..7 are all values of the enum's range (defined to convert); the library
  // answers "unknown status" for those it does not use.
  TORCH_CHECK(status >= 0 && status <= 7, "orthoconv: no status ", status);
  return orthoconv_strerror(static_cast<orthoconv_status>(status));
}

std::string cpu_isa() { return orthoconv_isa_name(orthoconv_cpu_isa()); }

}  // namespace

TORCH_LIBRARY(orthoconv, m) {
  using namespace orthoconv_torch;
  m.def("forward(Tensor input, Tensor weight, Tensor? bias=None, str activation=\"none\") -> Tensor",
        &forward);
  // The input itself if the operators read its pixels in place (NHWC memory, or
  // a channel slice of it), else the NHWC copy they would make: lets autograd
  // keep one copy for the forward and backward passes.
  m.def("nhwc(Tensor(a) input) -> Tensor(a)", &nhwc);
  // How forward reads an input: "nhwc" (pixel rows in place), "nchw" (dense
  // image planes in place, NCHW output) or "strided" (one NHWC copy first).
  m.def("input_layout(Tensor input) -> str", &input_layout);
  m.def("backward_data(Tensor grad_output, Tensor weight) -> Tensor", &backward_data);
  m.def("backward_weights(Tensor input, Tensor grad_output, Tensor? trainable=None)"
        " -> (Tensor grad_weight, Tensor grad_bias)",
        &backward_weights);
  m.def("gram(Tensor weight) -> Tensor", &gram);
  m.def("regularize(Tensor weight, str kind, float strength=1.0, Tensor? trainable=None,"
        " Tensor(a!)? grad=None) -> Tensor",
        &regularize);
  m.def("sgd_step(Tensor(a!) param, Tensor grad, Tensor(b!)? momentum_buffer, Tensor? trainable,"
        " float lr, float momentum=0.0, float weight_decay=0.0, bool nesterov=False) -> ()",
        &sgd_step);
  m.def("adamw_step(Tensor(a!) param, Tensor grad, Tensor(b!) exp_avg, Tensor(c!) exp_avg_sq,"
        " Tensor? trainable, int step, float lr=0.001, float beta1=0.9, float beta2=0.999,"
        " float eps=1e-08, float weight_decay=0.01) -> ()",
        &adamw_step);
  m.def("version() -> str", &version);
  m.def("cpu_isa() -> str", &cpu_isa);
  m.def("strerror(int status) -> str", &strerror_text);
  m.def("selected_kernel(str op, int M, int K, int N) -> str", &selected_kernel);
}
