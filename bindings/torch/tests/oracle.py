"""Double-precision oracles (torch itself, in float64) and the accuracy contract
of shared/REFERENCE.md: |y - exact| <= 1e-5 * (sum_k |x_k w_kn| + |b_n|)."""
import torch
import torch.nn.functional as F

EPS32 = 2.0 ** -23


def torch_kernel(weight):
    """(K, N) orthoconv/Keras weight -> torch's (N, K, 1, 1) kernel, as float64."""
    k, n = weight.shape
    return weight.detach().double().t().reshape(n, k, 1, 1)


def conv64(x, weight, bias=None):
    """Exact-enough pre-activation z and its bound sum |x w| + |b| (float64, NCHW logical)."""
    x64, w64 = x.detach().double(), torch_kernel(weight)
    b64 = None if bias is None else bias.detach().double()
    z = F.conv2d(x64, w64, b64) if x.dim() == 4 else x64 @ w64.flatten(1).t() + (0 if b64 is None else b64)
    absb = None if b64 is None else b64.abs()
    if x.dim() == 4:
        bound = F.conv2d(x64.abs(), w64.abs(), absb)
    else:
        bound = x64.abs() @ w64.abs().flatten(1).t() + (0 if absb is None else absb)
    return z, bound


def act64(z, activation):
    if activation in (None, "none"):
        return z
    if activation == "relu":
        return torch.relu(z)
    if activation == "sigmoid":
        return torch.sigmoid(z)
    if activation == "tanh":
        return torch.tanh(z)
    if activation == "gelu":
        return F.gelu(z)
    return torch.softmax(z, dim=1)


def post_tolerance(activation, want, bound):
    """Tolerance after the activation: the contract's pre-activation error times
    the activation's largest slope (1/4 sigmoid, 1.13 GELU, 1 otherwise; softmax
    moves by at most 2 y max_j err_j), plus 8 ulps of the result for SLEEF."""
    e = 1e-5 * bound
    ulps = 8 * EPS32 * want.abs() + 1e-37
    if activation == "sigmoid":
        return 0.25 * e + ulps
    if activation == "gelu":
        return 1.13 * e + ulps
    if activation == "softmax":
        return 2.0 * want.abs() * e.amax(dim=1, keepdim=True) + ulps
    return e + ulps


def assert_within(got, want, tol, what):
    """Every entry of got within tol of want (and finite); reports the worst one."""
    assert got.shape == want.shape, f"{what}: shape {tuple(got.shape)}, want {tuple(want.shape)}"
    g = got.detach().double()
    assert torch.isfinite(g).all(), f"{what}: non-finite output"
    excess = (g - want).abs() - tol
    worst = int(excess.flatten().argmax())
    assert excess.flatten()[worst] <= 0, (
        f"{what}: entry {worst} is {g.flatten()[worst].item():.9g}, want {want.flatten()[worst].item():.9g} "
        f"(tolerance {tol.flatten()[worst].item():.3g})")


def channels_last(x):
    return x.contiguous(memory_format=torch.channels_last)
