"""Gradients: the backward operators against float64 sums, Conv1x1's autograd
against torch autograd of the same formula in float64, frozen filters exactly
zero, and a mask that changes between steps."""
import pytest
import torch

import orthoconv_torch as oc
from oracle import EPS32, act64, assert_within, channels_last, conv64, torch_kernel

MASK = torch.tensor([1, 0, 1, 1, 0, 0, 1, 0, 1, 1], dtype=torch.bool)


def layout(t, kind):
    if kind == "nhwc":
        return channels_last(t)
    if kind == "nchw":
        return t.contiguous()
    # Strided: every other column of a twice-as-wide tensor.
    wide = torch.zeros(t.shape[:3] + (2 * t.shape[3],), dtype=t.dtype)
    wide[..., ::2] = t
    return wide[..., ::2]


def prod(a, b, eq):
    return torch.einsum(eq, a.double(), b.double())


@pytest.mark.parametrize("kind", ["nhwc", "nchw", "strided"])
def test_backward_operators(kind):
    x = layout(torch.randn(3, 1024, 7, 7), kind)
    dz = layout(torch.randn(3, 10, 7, 7), kind)
    w = torch.randn(1024, 10) * 0.03
    dx = oc.ops.backward_data(dz, w)
    assert dx.shape == x.shape
    want = prod(dz, w, "bnhw,kn->bkhw")
    bound = prod(dz.abs(), w.abs(), "bnhw,kn->bkhw")
    assert_within(dx, want, 1e-5 * bound, f"backward_data {kind}")

    dw, db = oc.ops.backward_weights(x, dz, MASK)
    want = prod(x, dz, "bkhw,bnhw->kn")
    bound = prod(x.abs(), dz.abs(), "bkhw,bnhw->kn")
    assert_within(dw[:, MASK], want[:, MASK], 1e-5 * bound[:, MASK], f"backward_weights {kind}")
    assert (dw[:, ~MASK] == 0).all() and (db[~MASK] == 0).all()
    want_b = dz.double().sum(dim=(0, 2, 3))
    assert_within(db[MASK], want_b[MASK], 1e-5 * dz.double().abs().sum(dim=(0, 2, 3))[MASK], "dbias")
    dw_all, _ = oc.ops.backward_weights(x, dz)
    assert torch.equal(dw_all[:, MASK], dw[:, MASK])


def dz_tolerance(activation, r, z64, bound, dz64):
    """How far a float32 dL/dz may be from the float64 one: the forward's
    contract error zerr = 1e-5 * bound moves the activation's slope by at most
    |act''| zerr (<= 0.8 zerr for GELU, less for the others), the float32 output
    it is computed from by at most zerr, plus a few roundings."""
    zerr = 1e-5 * bound
    if activation == "softmax":
        y = torch.softmax(z64, dim=1)
        rmax = r.double().abs().amax(dim=1, keepdim=True)
        return 8 * y * zerr.amax(dim=1, keepdim=True) * rmax + 32 * EPS32 * (dz64.abs() + y * rmax)
    return r.double().abs() * (2 * zerr + 32 * EPS32) + 8 * EPS32 * dz64.abs()


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "gelu", "softmax"])
@pytest.mark.parametrize("kind", ["nhwc", "nchw"])
def test_conv1x1_gradients_match_torch_autograd(activation, kind):
    layer = oc.Conv1x1(512, 10, activation=activation, trainable=MASK)
    x = layout(torch.randn(2, 512, 7, 7), kind).requires_grad_()
    r = torch.randn(2, 10, 7, 7)
    z64, bound = conv64(x, layer.weight, layer.bias)
    if activation == "relu":
        # Compare away from the kink, where a rounding may flip the slope.
        r[z64.abs() <= 1e-3 * bound] = 0
    (layer(x) * r).sum().backward()

    # The same formula in float64 by torch autograd.
    x64 = x.detach().double().requires_grad_()
    w64 = torch_kernel(layer.weight).requires_grad_()
    b64 = layer.bias.detach().double().requires_grad_()
    z = torch.nn.functional.conv2d(x64, w64, b64)
    z.retain_grad()
    (act64(z, activation) * r.double()).sum().backward()
    dz64 = z.grad
    tdz = dz_tolerance(activation, r, z64, bound, dz64)

    w_abs = layer.weight.detach().double().abs()
    tol_x = 1e-5 * prod(dz64.abs(), w_abs, "bnhw,kn->bkhw") + prod(tdz, w_abs, "bnhw,kn->bkhw")
    assert_within(x.grad, x64.grad, tol_x + 4 * EPS32 * x64.grad.abs(), f"dX {activation} {kind}")
    dw64 = w64.grad.flatten(1).t()
    x_abs = x.detach().double().abs()
    tol_w = 1e-5 * prod(x_abs, dz64.abs(), "bkhw,bnhw->kn") + prod(x_abs, tdz, "bkhw,bnhw->kn")
    assert_within(layer.weight.grad[:, MASK], dw64[:, MASK], (tol_w + 4 * EPS32 * dw64.abs())[:, MASK],
                  f"dW {activation} {kind}")
    tol_b = 1e-5 * dz64.abs().sum(dim=(0, 2, 3)) + tdz.sum(dim=(0, 2, 3))
    assert_within(layer.bias.grad[MASK], b64.grad[MASK], tol_b[MASK], f"db {activation} {kind}")
    # Frozen filters: exactly zero (not merely small), with +0.0 bits.
    frozen = layer.weight.grad[:, ~MASK]
    assert (frozen.view(torch.int32) == 0).all() and (layer.bias.grad[~MASK].view(torch.int32) == 0).all()
    assert (layer.weight.grad[:, MASK] != 0).any()


def test_mask_changes_between_steps():
    layer = oc.Conv1x1(64, 10)
    x = torch.randn(2, 64, 3, 3)

    def grads():
        layer.weight.grad = layer.bias.grad = None
        layer(x).square().sum().backward()
        return layer.weight.grad, layer.bias.grad

    def frozen_exactly(mask):
        dw, db = grads()
        assert (dw[:, ~mask] == 0).all() and (db[~mask] == 0).all()
        assert (dw[:, mask] != 0).all(dim=0).all() and (db[mask] != 0).all()

    frozen_exactly(torch.ones(10, dtype=torch.bool))
    layer.set_trainable(MASK)
    frozen_exactly(MASK)
    layer.trainable[0] = False  # in place
    frozen_exactly(layer.trainable.clone())
    layer.trainable = ~MASK  # a new tensor
    frozen_exactly(~MASK)
    layer.set_trainable([False] * 10)
    dw, db = grads()
    assert (dw == 0).all() and (db == 0).all()


def test_mask_of_the_forward_pass_is_the_one_used():
    layer = oc.Conv1x1(64, 10, trainable=MASK)
    y = layer(torch.randn(2, 64, 3, 3))
    layer.set_trainable(None)  # after the forward pass: does not apply to it
    y.square().sum().backward()
    assert (layer.weight.grad[:, ~MASK] == 0).all() and (layer.weight.grad[:, MASK] != 0).all()


def test_only_the_gradients_asked_for():
    layer = oc.Conv1x1(64, 10)
    layer.weight.requires_grad_(False)
    x = torch.randn(2, 64, 3, 3, requires_grad=True)
    layer(x).sum().backward()
    assert layer.weight.grad is None and layer.bias.grad is not None and x.grad is not None
    with torch.no_grad():
        assert layer(x).grad_fn is None
