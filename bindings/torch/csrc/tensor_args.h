// Argument checks and tensor <-> orthoconv matrix views shared by the operators.
// Everything here either hands back a pointer the C library may read/write, or
// throws (TORCH_CHECK) before anything is written.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Optional.h>

#include <cstdint>
#include <string>

#include <orthoconv.h>

namespace orthoconv_torch {

// A tensor seen as the library's row-major M x cols matrix with row stride ld.
// `tensor` is either the caller's tensor (zero copy) or a channels-last /
// contiguous copy of it, kept alive here for as long as the pointer is used.
struct RowMatrix {
  at::Tensor tensor;
  const float *data = nullptr;
  int64_t rows = 0, cols = 0, ld = 0;
  bool copied = false;
};

// CPU, strided, float32; otherwise a TORCH_CHECK error naming `what`.
void check_float_cpu(const at::Tensor &t, const char *what);

// CPU float32, (B, C, H, W) or (M, C) with C > 0; otherwise TORCH_CHECK errors.
void check_pixels(const at::Tensor &t, const char *what);

// `t` is (B, C, H, W) (torch's logical NCHW) or (M, C). Zero copy when the
// channels are unit-stride and the pixels form one evenly strided run (a
// channels_last tensor, or a channel slice of one); otherwise one copy.
RowMatrix pixel_rows(const at::Tensor &t, const char *what);

// Whether pixel_rows reads t in place (no copy). t: checked (B, C, H, W) or (M, C).
bool rows_in_place(const at::Tensor &t);

// Whether every image of a (B, C, H, W) tensor is a dense C x (H*W) plane
// (NCHW memory, batch stride free): what the planar forward reads in place.
bool planar_images(const at::Tensor &t);

// `t` itself when pixel_rows can read it in place, else the NHWC copy it would make.
at::Tensor readable_pixels(const at::Tensor &t, const char *what);

// Output shape for `rows` pixel rows of `channels` values, with the pixel
// layout of `like` ((B, channels, H, W) channels_last, or (M, channels)).
at::Tensor empty_pixels_like(const at::Tensor &like, int64_t channels);

// The (K, N) weight as a dense row-major buffer (a copy if it is not dense).
at::Tensor dense_weight(const at::Tensor &w, const char *what);

// An optional per-filter mask (bool or uint8, N values) as N bytes, or nullptr.
// `keep` holds the (possibly copied) mask alive.
const unsigned char *filter_mask(const c10::optional<at::Tensor> &mask, int64_t N,
                                 at::Tensor &keep);

// A tensor the library updates in place: the caller's own storage when it is
// dense, else a contiguous copy that finish() writes back.
class InPlace {
 public:
  InPlace(const at::Tensor &t, const char *what);
  float *data() const { return work_.data_ptr<float>(); }
  // Writes a copy back and bumps the version counter so that autograd sees the
  // update (as it would for torch's own in-place ops).
  void finish();

 private:
  at::Tensor target_, work_;
};

// Parsing of the string arguments of the schemas.
orthoconv_activation parse_activation(const std::string &name);
orthoconv_regularizer parse_regularizer(const std::string &name);

// Turns a status other than ORTHOCONV_OK into an exception with the library's text.
void check_status(orthoconv_status s, const char *call);

// int64 sizes and float hyper-parameters as the C API takes them.
inline size_t usize(int64_t v) { return static_cast<size_t>(v); }
float to_float(double v, const char *what);

}  // namespace orthoconv_torch
