// The layer's operators: forward (bias, activation), backward data, backward
// weights with a frozen mask. Each validates everything before the one library call.
#include "ops.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/softmax.h>

#include <algorithm>
#include <cstring>
#include <vector>

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

std::string input_layout(const at::Tensor &input) {
  check_pixels(input, "input");
  if (rows_in_place(input)) return "nhwc";
  return planar_images(input) ? "nchw" : "strided";
}

namespace {

// From this many pixel rows on, forward runs the packed layer (the library's
// fastest kernels, see orthoconv_layer_create); checking that the weights did
// not change (a compare of 4 K N bytes) is then small beside the product.
constexpr int64_t packed_min_rows = 32;

// One packed layer per calling thread, repacked only when the weights change.
// Keyed by content, not by tensor identity: a freed tensor's memory may come
// back holding other values under the same address and version counter. Per
// thread, because a layer must not be repacked while another thread runs it.
class PackedLayer {
 public:
  PackedLayer() = default;
  PackedLayer(const PackedLayer &) = delete;
  PackedLayer &operator=(const PackedLayer &) = delete;
  ~PackedLayer() { orthoconv_layer_destroy(layer_); }

  const orthoconv_layer *get(const float *w, const float *b, int64_t K, int64_t N,
                             orthoconv_activation act) {
    const size_t wn = usize(K * N), bn = b ? usize(N) : 0;
    const bool same_shape = layer_ && K == K_ && N == N_ && act == act_;
    if (same_shape && valid_ && b_.size() == bn && std::equal(w, w + wn, w_.begin(), same_bits) &&
        std::equal(b, b + bn, b_.begin(), same_bits))
      return layer_;
    // The copies first (they may throw), then the layer; the copies are trusted
    // only once the layer holds the same weights.
    valid_ = false;
    w_.assign(w, w + wn);
    b_.assign(b, b + bn);
    if (same_shape) {
      check_status(orthoconv_layer_set_weights(layer_, w, b), "orthoconv_layer_set_weights");
    } else {
      orthoconv_layer_destroy(layer_);
      layer_ = nullptr;
      check_status(orthoconv_layer_create(usize(K), usize(N), w, b, act, &layer_),
                   "orthoconv_layer_create");
      K_ = K, N_ = N, act_ = act;
    }
    valid_ = true;
    return layer_;
  }

 private:
  // Bit equality: a NaN weight equals itself, -0.0 and +0.0 differ.
  static bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

  orthoconv_layer *layer_ = nullptr;
  int64_t K_ = 0, N_ = 0;
  orthoconv_activation act_ = ORTHOCONV_ACT_NONE;
  std::vector<float> w_, b_;
  bool valid_ = false;
};

// NCHW images without a copy: per image, Y_b (N x HW) = W^T (N x K) X_b (K x HW)
// is the library's product with the roles swapped (x = W^T, w = the dense
// image plane), and its output is NCHW. Bias and activation, which the library
// applies per column of its output (here per pixel), are applied afterwards by
// ATen. Values agree with the NHWC path within the accuracy contract, not bit
// for bit (another summation order).
at::Tensor forward_planar(const at::Tensor &input, const at::Tensor &w, const at::Tensor &b,
                          orthoconv_activation act) {
  const int64_t B = input.size(0), K = input.size(1), HW = input.size(2) * input.size(3);
  const int64_t N = w.size(1);
  const at::Tensor wt = w.t().contiguous();  // N x K, 4 N K bytes
  at::Tensor y = at::empty({B, N, input.size(2), input.size(3)}, input.options());
  if (B == 0 || HW == 0) return y;
  const float *x = input.data_ptr<float>();
  float *out = y.data_ptr<float>();
  for (int64_t i = 0; i < B; i++)
    check_status(orthoconv_forward(usize(N), usize(K), usize(HW), wt.data_ptr<float>(), usize(K),
                                   x + i * input.stride(0), nullptr, ORTHOCONV_ACT_NONE,
                                   out + i * N * HW, usize(HW)),
                 "orthoconv_forward");
  if (b.defined()) y.add_(b.view({1, N, 1, 1}));
  switch (act) {
    case ORTHOCONV_ACT_NONE: break;
    case ORTHOCONV_ACT_RELU: y.relu_(); break;
    case ORTHOCONV_ACT_SIGMOID: y.sigmoid_(); break;
    case ORTHOCONV_ACT_TANH: y.tanh_(); break;
    case ORTHOCONV_ACT_GELU: y = at::gelu(y); break;  // erf form, as the library's
    case ORTHOCONV_ACT_SOFTMAX: y = at::softmax(y, 1); break;
  }
  return y;
}

}  // namespace

at::Tensor forward(const at::Tensor &input, const at::Tensor &weight,
                   const c10::optional<at::Tensor> &bias, const std::string &activation) {
  const orthoconv_activation act = parse_activation(activation);
  check_pixels(input, "input");
  const at::Tensor w = dense_weight(weight, "weight");
  const int64_t K = w.size(0), N = w.size(1);
  TORCH_CHECK(input.size(1) == K, "orthoconv: input has ", input.size(1),
              " channels but weight is (K, N) = ", w.sizes(), ": K must equal the input channels");
  at::Tensor b;
  if (bias.has_value() && bias->defined()) {
    check_float_cpu(*bias, "bias");
    TORCH_CHECK(bias->dim() == 1 && bias->size(0) == N, "orthoconv: bias must be (", N,
                ",), one value per filter; got shape ", bias->sizes());
    b = bias->contiguous();
  }
  if (!rows_in_place(input) && planar_images(input)) return forward_planar(input, w, b, act);
  const RowMatrix x = pixel_rows(input, "input");
  at::Tensor y = empty_pixels_like(input, N);
  const float *bp = b.defined() ? b.data_ptr<float>() : nullptr;
  if (x.rows >= packed_min_rows) {
    thread_local PackedLayer packed;
    const orthoconv_layer *layer = packed.get(w.data_ptr<float>(), bp, K, N, act);
    check_status(orthoconv_layer_forward(layer, usize(x.rows), x.data, usize(x.ld),
                                         y.data_ptr<float>(), usize(N)),
                 "orthoconv_layer_forward");
    return y;
  }
  check_status(orthoconv_forward(usize(x.rows), usize(K), usize(N), x.data, usize(x.ld),
                                 w.data_ptr<float>(), bp, act, y.data_ptr<float>(), usize(N)),
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
