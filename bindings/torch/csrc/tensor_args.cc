#include "tensor_args.h"

#include <ATen/record_function.h>
#include <ATen/ops/empty.h>
#include <c10/core/InferenceMode.h>
#include <c10/core/MemoryFormat.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace orthoconv_torch {

void check_float_cpu(const at::Tensor &t, const char *what) {
  TORCH_CHECK(t.defined(), "orthoconv: ", what, " is an undefined tensor");
  TORCH_CHECK(t.layout() == at::kStrided, "orthoconv: ", what,
              " must be a strided (dense) tensor, got layout ", t.layout());
  TORCH_CHECK(t.device().is_cpu(), "orthoconv: ", what, " must be on the CPU, got device ",
              t.device());
  TORCH_CHECK(t.scalar_type() == at::kFloat, "orthoconv: ", what, " must be float32, got ",
              t.scalar_type());
}

namespace {

// Pixel dimensions of t in outer-to-inner order: (B, H, W) or (M).
int pixel_dims(const at::Tensor &t, int64_t dims[3]) {
  dims[0] = 0, dims[1] = 2, dims[2] = 3;
  return t.dim() == 2 ? 1 : 3;
}

// The row stride that lets every pixel be addressed as data + m * ld, or -1.
int64_t uniform_row_stride(const at::Tensor &t) {
  const int64_t channels = t.size(1);
  if (channels > 1 && t.stride(1) != 1) return -1;
  int64_t dims[3];
  const int n = pixel_dims(t, dims);
  int64_t ld = -1, inner = 1;  // inner: pixels spanned by the dims inside this one
  for (int i = n - 1; i >= 0; i--) {
    const int64_t size = t.size(dims[i]), stride = t.stride(dims[i]);
    if (size == 1) continue;
    if (ld < 0) ld = stride;
    if (stride != ld * inner) return -1;
    inner *= size;
  }
  if (ld < 0) ld = channels;  // a single pixel: any stride will do
  // Rows that overlap (broadcast, stride 0) or run backwards cannot be read in place.
  return ld >= channels ? ld : -1;
}

// d[p*C + c] = s[p*sp + c*sc] for P pixels of C channels, in tiles of 8 pixels
// x 32 channels: the tile's source lines stay in L1 while its destination rows
// are written in runs. Only 8 destination rows at a time: rows are C floats
// apart (4 KiB at C = 1024), so more of them would compete for one L1 set.
void copy_pixels(const float *s, int64_t P, int64_t sp, int64_t C, int64_t sc, float *d) {
  constexpr int64_t tile_p = 8, tile_c = 32;
  for (int64_t p0 = 0; p0 < P; p0 += tile_p) {
    const int64_t pe = std::min(P, p0 + tile_p);
    for (int64_t c0 = 0; c0 < C; c0 += tile_c) {
      const int64_t ce = std::min(C, c0 + tile_c);
      for (int64_t p = p0; p < pe; p++)
        for (int64_t c = c0; c < ce; c++) d[p * C + c] = s[p * sp + c * sc];
    }
  }
}

// A dense NHWC (channels_last) copy of a 4D tensor, or a contiguous one of a 2D.
at::Tensor nhwc_copy(const at::Tensor &t) {
  // Visible to torch.profiler, so that users (and the tests) can see the copy.
  RECORD_FUNCTION("orthoconv::copy_to_nhwc", std::vector<c10::IValue>());
  at::Tensor out = empty_pixels_like(t, t.size(1));
  const float *src = t.data_ptr<float>();
  float *dst = out.data_ptr<float>();
  const int64_t C = t.size(1), sc = t.stride(1);
  if (t.dim() == 2) {
    copy_pixels(src, t.size(0), t.stride(0), C, sc, dst);
    return out;
  }
  const int64_t B = t.size(0), H = t.size(2), W = t.size(3);
  const int64_t sb = t.stride(0), sh = t.stride(2), sw = t.stride(3);
  for (int64_t b = 0; b < B; b++) {
    if (H == 1 || sh == W * sw) {  // the H x W plane is one evenly strided run (NCHW)
      copy_pixels(src + b * sb, H * W, sw, C, sc, dst + b * H * W * C);
      continue;
    }
    for (int64_t h = 0; h < H; h++)
      copy_pixels(src + b * sb + h * sh, W, sw, C, sc, dst + (b * H + h) * W * C);
  }
  return out;
}

}  // namespace

bool rows_in_place(const at::Tensor &t) { return uniform_row_stride(t) >= 0; }

bool planar_images(const at::Tensor &t) {
  if (t.dim() != 4) return false;
  const int64_t C = t.size(1), H = t.size(2), W = t.size(3);
  return (W == 1 || t.stride(3) == 1) && (H == 1 || t.stride(2) == W) && (C == 1 || t.stride(1) == H * W);
}

at::Tensor readable_pixels(const at::Tensor &t, const char *what) {
  return pixel_rows(t, what).tensor;
}

void check_pixels(const at::Tensor &t, const char *what) {
  check_float_cpu(t, what);
  TORCH_CHECK(t.dim() == 4 || t.dim() == 2, "orthoconv: ", what,
              " must be (batch, channels, height, width) or (rows, channels), got shape ",
              t.sizes());
  TORCH_CHECK(t.size(1) > 0, "orthoconv: ", what, " has no channels (shape ", t.sizes(), ")");
}

RowMatrix pixel_rows(const at::Tensor &t, const char *what) {
  check_pixels(t, what);
  RowMatrix r;
  r.cols = t.size(1);
  r.rows = t.dim() == 4 ? t.size(0) * t.size(2) * t.size(3) : t.size(0);
  int64_t ld = uniform_row_stride(t);
  r.tensor = t;
  if (ld < 0) {
    r.tensor = nhwc_copy(t);
    r.copied = true;
    ld = r.cols;
  }
  r.ld = ld;
  r.data = r.tensor.data_ptr<float>();
  return r;
}

at::Tensor empty_pixels_like(const at::Tensor &like, int64_t channels) {
  if (like.dim() == 2) return at::empty({like.size(0), channels}, like.options());
  return at::empty({like.size(0), channels, like.size(2), like.size(3)},
                   like.options().memory_format(at::MemoryFormat::ChannelsLast));
}

at::Tensor dense_weight(const at::Tensor &w, const char *what) {
  check_float_cpu(w, what);
  TORCH_CHECK(w.dim() == 2, "orthoconv: ", what,
              " must be (in_channels, out_channels) = (K, N), the Keras kernel layout; got shape ",
              w.sizes());
  TORCH_CHECK(w.size(0) > 0 && w.size(1) > 0, "orthoconv: ", what, " is empty (shape ",
              w.sizes(), ")");
  return w.contiguous();
}

const unsigned char *filter_mask(const c10::optional<at::Tensor> &mask, int64_t N,
                                 at::Tensor &keep) {
  if (!mask.has_value() || !mask->defined()) return nullptr;
  const at::Tensor &m = *mask;
  TORCH_CHECK(m.layout() == at::kStrided && m.device().is_cpu(),
              "orthoconv: trainable mask must be a dense CPU tensor, got ", m.device());
  TORCH_CHECK(m.scalar_type() == at::kBool || m.scalar_type() == at::kByte,
              "orthoconv: trainable mask must be bool or uint8, got ", m.scalar_type());
  TORCH_CHECK(m.dim() == 1 && m.size(0) == N, "orthoconv: trainable mask must have one entry per filter (",
              N, "), got shape ", m.sizes());
  keep = m.contiguous();
  // bool is stored as one byte 0/1, which is what the library reads.
  return static_cast<const unsigned char *>(keep.data_ptr());
}

InPlace::InPlace(const at::Tensor &t, const char *what) : target_(t) {
  check_float_cpu(t, what);
  TORCH_CHECK(!t.is_inference() || c10::InferenceMode::is_enabled(), "orthoconv: ", what,
              " is an inference tensor; it can be updated in place only inside InferenceMode");
  work_ = t.is_contiguous() ? t : t.contiguous();
}

void InPlace::finish() {
  if (!work_.is_same(target_)) target_.copy_(work_);
  else if (!target_.is_inference()) target_.unsafeGetTensorImpl()->bump_version();
}

orthoconv_activation parse_activation(const std::string &name) {
  if (name == "none" || name.empty()) return ORTHOCONV_ACT_NONE;
  if (name == "relu") return ORTHOCONV_ACT_RELU;
  if (name == "sigmoid") return ORTHOCONV_ACT_SIGMOID;
  if (name == "tanh") return ORTHOCONV_ACT_TANH;
  if (name == "gelu") return ORTHOCONV_ACT_GELU;
  if (name == "softmax") return ORTHOCONV_ACT_SOFTMAX;
  TORCH_CHECK(false, "orthoconv: unknown activation '", name,
              "' (expected none, relu, sigmoid, tanh, gelu or softmax)");
}

orthoconv_regularizer parse_regularizer(const std::string &name) {
  if (name == "so") return ORTHOCONV_REG_SO;
  if (name == "dso") return ORTHOCONV_REG_DSO;
  if (name == "mc") return ORTHOCONV_REG_MC;
  if (name == "srip") return ORTHOCONV_REG_SRIP;
  if (name == "keras_columns") return ORTHOCONV_REG_KERAS_COLUMNS;
  if (name == "mirror_pairs") return ORTHOCONV_REG_MIRROR_PAIRS;
  TORCH_CHECK(false, "orthoconv: unknown regularizer kind '", name,
              "' (expected so, dso, mc, srip, keras_columns or mirror_pairs)");
}

void check_status(orthoconv_status s, const char *call) {
  TORCH_CHECK(s == ORTHOCONV_OK, call, " failed: ", orthoconv_strerror(s));
}

float to_float(double v, const char *what) {
  const float f = static_cast<float>(v);
  TORCH_CHECK(std::isfinite(f), "orthoconv: ", what, " must be finite in float32, got ", v);
  return f;
}

}  // namespace orthoconv_torch
