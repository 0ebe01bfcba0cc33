"""Conv1x1 and orthoconv::forward against torch's conv2d in float64, every
activation, NHWC and NCHW, strided inputs and weights."""
import pytest
import torch
from torch.autograd import profiler

import orthoconv_torch as oc
from oracle import act64, assert_within, channels_last, conv64, post_tolerance

ACTS = [None, "relu", "sigmoid", "tanh", "gelu", "softmax"]


def check_forward(layer, x, what):
    y = layer(x)
    z, bound = conv64(x, layer.weight, layer.bias)
    want = act64(z, layer.activation)
    assert_within(y, want, post_tolerance(layer.activation, want, bound), what)
    return y


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("bias", [True, False])
def test_seed_shape_every_activation(activation, bias):
    layer = oc.Conv1x1(1024, 10, bias=bias, activation=activation)
    x = torch.randn(2, 1024, 7, 7)
    for grad in (False, True):
        with torch.set_grad_enabled(grad):
            y = check_forward(layer, channels_last(x), f"NHWC {activation}")
            assert y.shape == (2, 10, 7, 7) and y.is_contiguous(memory_format=torch.channels_last)
            # NCHW in, NCHW out, as torch's conv2d does.
            y = check_forward(layer, x, f"NCHW {activation}")
            assert y.shape == (2, 10, 7, 7) and y.is_contiguous()


@pytest.mark.parametrize("B,K,N,H,W", [(1, 1, 1, 1, 1), (3, 17, 7, 3, 5), (2, 1025, 17, 2, 3),
                                       (1, 64, 33, 7, 7), (5, 3, 2, 1, 4)])
def test_shapes(B, K, N, H, W):
    for activation in (None, "softmax"):
        layer = oc.Conv1x1(K, N, activation=activation)
        x = torch.randn(B, K, H, W)
        check_forward(layer, channels_last(x), f"{B}x{K}x{H}x{W}->{N} NHWC")
        check_forward(layer, x, f"{B}x{K}x{H}x{W}->{N} NCHW")


def test_rows_input():
    layer = oc.Conv1x1(100, 10, activation="tanh")
    x = torch.randn(37, 100)
    y = check_forward(layer, x, "(M, K) rows")
    assert y.shape == (37, 10)
    wide = torch.randn(37, 130)
    check_forward(layer, wide[:, 20:120], "(M, K) rows of a wider matrix")


def strided_inputs():
    """(what, input, whether the operators must copy it)."""
    base = channels_last(torch.randn(2, 1100, 7, 9))
    yield "channel slice of a wider NHWC tensor", base[:, 30:1054, :, :], False
    yield "channel and column slice of a wider NHWC tensor", base[:, 30:1054, :, :7], True
    yield "every other column", torch.randn(2, 1024, 7, 14)[:, :, :, ::2], True
    yield "height and width transposed", torch.randn(2, 1024, 7, 5).transpose(2, 3), True
    yield "batch-major permutation", torch.randn(7, 2, 1024, 7).permute(1, 2, 0, 3), True
    yield "broadcast over the batch", torch.randn(1, 1024, 7, 7).expand(3, -1, -1, -1), False
    yield "one pixel", torch.randn(4, 1024, 1, 1), False
    yield "NCHW channel slice (batch stride > K HW)", torch.randn(3, 1100, 7, 7)[:, 20:1044], False
    yield "NCHW images, every other one", torch.randn(4, 1024, 7, 7)[::2], False


@pytest.mark.parametrize("case", list(strided_inputs()), ids=lambda c: c[0])
def test_strided_inputs(case):
    what, x, _ = case
    layer = oc.Conv1x1(1024, 10, activation="gelu")
    assert x.shape[1] == 1024
    check_forward(layer, x, what)


def test_strided_weight_and_bias():
    layer = oc.Conv1x1(256, 10)
    x = channels_last(torch.randn(2, 256, 5, 5))
    w_wide, b_wide = torch.randn(256, 30), torch.randn(30)
    w, b = w_wide[:, ::3], b_wide[::3]  # not dense: the operator copies them
    y = oc.ops.forward(x, w, b, "none")
    z, bound = conv64(x, w, b)
    assert_within(y, z, post_tolerance(None, z, bound), "strided weight and bias")
    assert torch.equal(y, oc.ops.forward(x, w.contiguous(), b.contiguous(), "none"))


def copies_during(fn):
    with profiler.profile() as prof:
        fn()
    return sum(1 for e in prof.function_events if e.name == "orthoconv::copy_to_nhwc")


def test_zero_copy_for_nhwc_and_nchw_one_copy_otherwise():
    layer = oc.Conv1x1(1024, 10)
    x = torch.randn(2, 1024, 7, 7)
    cases = [("NHWC", channels_last(x), False), ("NCHW", x, False)] + list(strided_inputs())
    for what, inp, copied in cases:
        layout = oc.ops.input_layout(inp)
        assert (layout == "strided") == copied, f"{what}: {layout}"
        with torch.no_grad():
            assert copies_during(lambda: layer(inp)) == int(copied), what
        # Training: still at most one copy of the input, in forward or in backward.
        y = None

        def forward():
            nonlocal y
            y = layer(inp)
        assert copies_during(forward) == int(copied), what
        grad = channels_last(torch.ones_like(y))  # a dL/dy read in place
        expected_backward = 1 if layout == "nchw" else 0  # the NHWC copy for dW
        assert copies_during(lambda: y.backward(grad)) == expected_backward, what
    assert oc.ops.input_layout(x) == "nchw" and oc.ops.input_layout(channels_last(x)) == "nhwc"


def test_empty_batch():
    layer = oc.Conv1x1(16, 4)
    y = layer(torch.randn(0, 16, 3, 3))
    assert y.shape == (0, 4, 3, 3)


def test_from_conv2d_and_keras_kernel():
    conv = torch.nn.Conv2d(64, 10, 1)
    layer = oc.Conv1x1.from_conv2d(conv, activation="relu")
    x = torch.randn(2, 64, 4, 4)
    z, bound = conv64(x, layer.weight, layer.bias)
    with torch.no_grad():
        want = torch.relu(conv.double()(x.double()))
        assert_within(layer(x), want, post_tolerance("relu", want, bound), "from_conv2d")
    # A Keras (1, 1, K, N) kernel is W's memory as is.
    keras = torch.randn(1, 1, 64, 10)
    layer.load_keras_kernel(keras.numpy(), bias=torch.zeros(10))
    assert torch.equal(layer.weight, keras[0, 0]) and torch.equal(layer.bias, torch.zeros(10))
    assert torch.equal(layer.to_conv2d().weight, keras[0, 0].t().reshape(10, 64, 1, 1))
    with pytest.raises(ValueError):
        oc.Conv1x1.from_conv2d(torch.nn.Conv2d(64, 10, 3))
    with pytest.raises(ValueError):
        layer.load_keras_kernel(torch.randn(1, 1, 10, 64))


def test_torchscript_uses_the_operator():
    class Head(torch.nn.Module):
        def __init__(self, w, b):
            super().__init__()
            self.w, self.b = torch.nn.Parameter(w), torch.nn.Parameter(b)

        def forward(self, x):
            return torch.ops.orthoconv.forward(x, self.w, self.b, "softmax")

    w, b = torch.randn(32, 10), torch.randn(10)
    scripted = torch.jit.script(Head(w, b))
    x = channels_last(torch.randn(2, 32, 3, 3))
    with torch.no_grad():
        y = scripted(x)
    z, bound = conv64(x, w, b)
    want = act64(z, "softmax")
    assert_within(y, want, post_tolerance("softmax", want, bound), "TorchScript")
    assert "orthoconv::forward" in str(scripted.graph)


def test_the_checker_can_fail():
    layer = oc.Conv1x1(1024, 10)
    x = torch.randn(1, 1024, 7, 7)
    z, bound = conv64(x, layer.weight, layer.bias)
    y = layer(x).detach()
    y[0, 3, 2, 2] += 2e-5 * bound[0, 3, 2, 2].item()  # twice the contract's error
    with pytest.raises(AssertionError):
        assert_within(y, z, post_tolerance(None, z, bound), "perturbed")


def test_packed_weights_follow_every_change():
    # From 32 rows on, forward runs a packed copy of the weights: changed in place,
    # swapped between modules, with and without bias, other activations: always
    # the weights of this call.
    x = channels_last(torch.randn(2, 256, 7, 7))
    a, b = oc.Conv1x1(256, 10), oc.Conv1x1(256, 10, bias=False, activation="sigmoid")
    for step in range(4):
        for layer in (a, b, a):
            check_forward(layer, x, f"packed, step {step}")
        with torch.no_grad():
            a.weight.add_(0.01)       # same tensor, same address, new values
            b.weight.mul_(-1)
            a.bias[3] = float(step)
    with torch.no_grad():
        w = a.weight.detach().clone()
        w[5, 2] = -0.0 if w[5, 2] == 0 else w[5, 2]
        y1 = oc.ops.forward(x, w, None, "none")
        w[7, 1] = float("nan")        # NaN in, NaN out for that filter (never turned into a number)
        y2 = oc.ops.forward(x, w, None, "none")
        assert torch.isnan(y2[:, 1]).all() and not torch.isnan(y1).any()
        assert torch.equal(y2[:, 0], y1[:, 0])
