// A libtorch C++ program using the operator library without Python: it loads
// liborthoconv_torch.so (argv[1]), finds orthoconv::forward in the dispatcher,
// and checks the result against a double-precision loop with the contract's
// bound, then that bad input becomes a c10::Error carrying the check's text.
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const std::string &what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    failures++;
  }
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s path/to/liborthoconv_torch.so\n", argv[0]);
    return 2;
  }
  if (!dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) {
    std::fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  const auto op = c10::Dispatcher::singleton().findSchemaOrThrow("orthoconv::forward", "");
  const int64_t B = 2, K = 64, N = 10, H = 3, W = 3;
  at::manual_seed(7);
  const at::Tensor x = at::randn({B, K, H, W}).contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor w = at::randn({K, N}), b = at::randn({N});
  std::vector<c10::IValue> stack{x, w, b, std::string("relu")};
  op.callBoxed(&stack);
  const at::Tensor y = stack.at(0).toTensor();
  check(y.sizes() == at::IntArrayRef({B, N, H, W}), "output shape");
  check(y.is_contiguous(at::MemoryFormat::ChannelsLast), "output is channels_last");

  const auto xa = x.accessor<float, 4>(), ya = y.accessor<float, 4>();
  const auto wa = w.accessor<float, 2>();
  const auto ba = b.accessor<float, 1>();
  int bad = 0;
  for (int64_t i = 0; i < B; i++)
    for (int64_t n = 0; n < N; n++)
      for (int64_t h = 0; h < H; h++)
        for (int64_t v = 0; v < W; v++) {
          double z = ba[n], bound = std::fabs(ba[n]);
          for (int64_t k = 0; k < K; k++) {
            z += (double)xa[i][k][h][v] * wa[k][n];
            bound += std::fabs((double)xa[i][k][h][v] * wa[k][n]);
          }
          const double want = z > 0 ? z : 0;
          bad += !(std::fabs(ya[i][n][h][v] - want) <= 1e-5 * bound + 1e-37);
        }
  check(bad == 0, std::to_string(bad) + " outputs outside the bound");

  std::vector<c10::IValue> wrong{x.to(at::kDouble), w, b, std::string("relu")};
  bool threw = false;
  try {
    op.callBoxed(&wrong);
  } catch (const c10::Error &e) {
    threw = std::string(e.what()).find("input must be float32") != std::string::npos;
  }
  check(threw, "float64 input raises 'input must be float32'");
  if (failures == 0) std::printf("libtorch C++ consumer: orthoconv::forward OK (%lld outputs checked)\n",
                                 (long long)(B * N * H * W));
  return failures == 0 ? 0 : 1;
}
