"""orthogonality_penalty against the same formula in float64 under torch
autograd, for every kind; frozen filters take part in the value but get exactly
zero gradient; the seed's known answer."""
import math

import pytest
import torch

import orthoconv_torch as oc

MASK = torch.tensor([1, 1, 0, 1, 0, 1, 1, 0, 1, 1], dtype=torch.bool)


def formula(kind, w):
    """R(W) in float64 exactly as shared/REFERENCE.md states it (DSO literally, with W W^T)."""
    K, N = w.shape
    g = w.t() @ w
    eye = torch.eye(N, dtype=w.dtype)
    if kind == "so":
        return ((g - eye) ** 2).sum()
    if kind == "dso":
        return ((g - eye) ** 2).sum() + ((w @ w.t() - torch.eye(K, dtype=w.dtype)) ** 2).sum()
    if kind == "mc":
        return (g - eye).abs().max()
    if kind == "srip":
        return torch.linalg.eigvalsh(g - eye).abs().max()
    if kind == "keras_columns":
        wn = w / torch.sqrt(torch.clamp((w * w).sum(dim=0), min=1e-12))
        c = wn.t() @ wn
        off = c - torch.diag(torch.diagonal(c))
        return off.abs().sum() / (N * (N - 1)) if N > 1 else off.sum() * 0
    return (w * w.flip(1)).sum()


def near_orthonormal(K, N):
    # The regime the penalties are for: columns of norm about 1, small mutual angles.
    w = (torch.rand(K, N) * 2 - 1) * math.sqrt(3.0 / K)
    w[torch.arange(N), torch.arange(N)] += 0.5
    return w


@pytest.mark.parametrize("kind", oc.KINDS)
@pytest.mark.parametrize("K,N", [(256, 10), (1024, 10), (64, 17)])
def test_value_and_gradient(kind, K, N):
    mask = MASK if N == 10 else torch.arange(N) % 3 != 1
    strength = 0.37
    layer = oc.Conv1x1(K, N, bias=False, trainable=mask)
    with torch.no_grad():
        layer.weight.copy_(near_orthonormal(K, N))
    p = oc.orthogonality_penalty(layer, kind, strength)
    assert p.shape == () and p.requires_grad
    p.backward()

    w64 = layer.weight.detach().double().requires_grad_()
    r = formula(kind, w64)
    r.backward()
    # G's float32 error is about 1e-5 K max|w|^2 per entry; R is at most quadratic in it
    # (the bounds of the C suite's test_regularize).
    assert abs(p.item() - strength * r.item()) <= 2e-4 * strength * (1 + abs(r.item())) + 1e-6
    want = strength * w64.grad
    scale = want.abs().max().item()
    got = layer.weight.grad.double()
    assert ((got - want).abs()[:, mask] <= 1e-4 * scale + 1e-6 * want.abs()[:, mask]).all(), \
        f"{kind}: gradient off by {(got - want).abs()[:, mask].max().item():.3g} (scale {scale:.3g})"
    assert (got[:, ~mask] == 0).all()
    # The value does not depend on which filters are frozen.
    with torch.no_grad():
        assert torch.equal(oc.orthogonality_penalty(layer, kind, strength), p.detach())
    layer.set_trainable(None)
    assert torch.equal(oc.orthogonality_penalty(layer, kind, strength).detach(), p.detach())


def test_penalty_gradient_adds_to_the_data_gradient():
    layer = oc.Conv1x1(128, 10, bias=False, trainable=MASK)
    x = torch.randn(2, 128, 3, 3)
    layer(x).square().sum().backward()
    data_grad = layer.weight.grad.clone()
    oc.orthogonality_penalty(layer, "so", 0.5).backward()
    total = layer.weight.grad
    w64 = layer.weight.detach().double().requires_grad_()
    (0.5 * formula("so", w64)).backward()
    diff = (total.double() - data_grad.double() - w64.grad)[:, MASK]
    assert diff.abs().max() <= 1e-4 * (w64.grad.abs().max() + data_grad.abs().max())
    assert (total[:, ~MASK] == 0).all()


def test_seed_answer_mirror_pairs():
    # The seed's reduce_sum(K * K[..., ::-1]): the gradient of filter 0 is 2 x filter 9, bit for bit.
    layer = oc.Conv1x1(1024, 10, bias=False)
    oc.orthogonality_penalty(layer, "mirror_pairs").backward()
    assert torch.equal(layer.weight.grad[:, 0], 2 * layer.weight.detach()[:, 9])
    layer.weight.grad = None
    layer.set_trainable([False] + [True] * 9)
    oc.orthogonality_penalty(layer, "mirror_pairs").backward()
    assert (layer.weight.grad[:, 0] == 0).all()
    assert torch.equal(layer.weight.grad[:, 9], 2 * layer.weight.detach()[:, 0])


def test_gram_operator():
    w = torch.randn(1024, 10)
    g = oc.ops.gram(w)
    want = w.double().t() @ w.double()
    bound = w.double().abs().t() @ w.double().abs()
    assert ((g.double() - want).abs() <= 1e-5 * bound).all()


def test_bad_kind_and_module():
    layer = oc.Conv1x1(16, 4)
    with pytest.raises(ValueError, match="kind"):
        oc.orthogonality_penalty(layer, "orthogonal")
    with pytest.raises(TypeError):
        oc.orthogonality_penalty(torch.nn.Conv2d(16, 4, 1))
    with pytest.raises(RuntimeError, match="unknown regularizer"):
        oc.ops.regularize(layer.weight.detach(), "nope", 1.0, None, None)
    with pytest.raises(RuntimeError, match="finite"):
        oc.ops.regularize(layer.weight.detach(), "so", float("nan"), None, None)


def test_gradient_follows_the_outer_scale_and_survives_retain_graph():
    layer = oc.Conv1x1(64, 10, bias=False, trainable=MASK)
    p = oc.orthogonality_penalty(layer, "dso", 0.5)
    p.backward(retain_graph=True)
    once = layer.weight.grad.clone()
    layer.weight.grad.zero_()  # in place on .grad must not reach the saved gradient
    (-3 * p).backward()
    assert torch.equal(layer.weight.grad, -3 * once)
