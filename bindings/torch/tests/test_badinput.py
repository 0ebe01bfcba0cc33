"""Bad input: a clear exception, no crash, nothing written."""
import re

import pytest
import torch

import orthoconv_torch as oc

ops = oc.ops
K, N = 64, 10


def snapshot(*ts):
    return [t.detach().clone() for t in ts]


def unchanged(before, *ts):
    return all(torch.equal(b, t.detach()) for b, t in zip(before, ts))


@pytest.fixture
def tensors():
    return dict(x=torch.randn(2, K, 3, 3), w=torch.randn(K, N), b=torch.randn(N),
                dy=torch.randn(2, N, 3, 3), mask=torch.ones(N, dtype=torch.bool))


def test_forward_rejects(tensors):
    x, w, b = tensors["x"], tensors["w"], tensors["b"]
    cases = [
        ((x.double(), w, b, "none"), "input must be float32"),
        ((x, w.double(), b, "none"), "weight must be float32"),
        ((x, w, b.half(), "none"), "bias must be float32"),
        ((x.to("meta"), w, b, "none"), "input must be on the CPU"),
        ((x, w.to("meta"), b, "none"), "weight must be on the CPU"),
        ((x.to_sparse(), w, b, "none"), "strided"),
        ((x[0], w, b, "none"), "must be \\(batch, channels, height, width\\) or \\(rows, channels\\)"),
        ((x[:, :K - 1], w, b, "none"), "K must equal the input channels"),
        ((x, w.flatten(), b, "none"), "\\(in_channels, out_channels\\)"),
        ((x, w, b[:N - 1], "none"), "bias must be \\(10,\\)"),
        ((x, w, b, "swish"), "unknown activation 'swish'"),
        ((x[:, :0], w[:0], b, "none"), "no channels"),
    ]
    for args, message in cases:
        with pytest.raises(RuntimeError, match=message):
            ops.forward(*args)


def test_module_rejects(tensors):
    layer = oc.Conv1x1(K, N)
    with pytest.raises(RuntimeError, match="float32"):
        layer(tensors["x"].double())
    with pytest.raises(RuntimeError, match="K must equal"):
        layer(torch.randn(2, K + 1, 3, 3))
    with pytest.raises(ValueError, match="activation"):
        oc.Conv1x1(K, N, activation="swish")
    with pytest.raises(ValueError, match="one entry per filter"):
        oc.Conv1x1(K, N, trainable=[True] * (N - 1))
    with pytest.raises(ValueError, match="booleans"):
        oc.Conv1x1(K, N, trainable=[2] * N)
    with pytest.raises(ValueError):
        oc.Conv1x1(0, N)
    # A mask of the wrong length set behind the module's back: caught before any work.
    layer.trainable = torch.ones(N + 1, dtype=torch.bool)
    with pytest.raises(ValueError, match="one entry per filter"):
        layer(tensors["x"].requires_grad_())
    with pytest.raises(ValueError):
        oc.orthogonality_penalty(layer)
    double_layer = oc.Conv1x1(K, N).double()
    with pytest.raises(RuntimeError, match="weight must be float32"):
        double_layer(tensors["x"])


def test_backward_rejects(tensors):
    x, w, dy, mask = tensors["x"], tensors["w"], tensors["dy"], tensors["mask"]
    with pytest.raises(RuntimeError, match="N must match"):
        ops.backward_data(dy[:, :N - 1], w)
    with pytest.raises(RuntimeError, match="grad_output must be float32"):
        ops.backward_data(dy.double(), w)
    with pytest.raises(RuntimeError, match="do not cover the same pixels"):
        ops.backward_weights(x, dy[:, :, :2])
    with pytest.raises(RuntimeError, match="do not cover the same pixels"):
        ops.backward_weights(x, dy.flatten(2).transpose(1, 2).reshape(-1, N))
    with pytest.raises(RuntimeError, match="one entry per filter"):
        ops.backward_weights(x, dy, mask[:N - 1])
    with pytest.raises(RuntimeError, match="bool or uint8"):
        ops.backward_weights(x, dy, mask.float())
    with pytest.raises(RuntimeError, match="CPU"):
        ops.backward_weights(x, dy, mask.to("meta"))


def test_in_place_ops_write_nothing_on_error():
    p, g, buf = torch.randn(K, N), torch.randn(K, N), torch.zeros(K, N)
    m, v = torch.zeros(K, N), torch.zeros(K, N)
    before = snapshot(p, g, buf, m, v)
    bad_calls = [
        (lambda: ops.sgd_step(p, g.double(), buf, None, 0.1, 0.9), "grad must be float32"),
        (lambda: ops.sgd_step(p, g[:, :N - 1], buf, None, 0.1, 0.9), "shape of param"),
        (lambda: ops.sgd_step(p, g, None, None, 0.1, 0.9), "needs a momentum_buffer"),
        (lambda: ops.sgd_step(p, g, buf, torch.ones(N + 1, dtype=torch.bool), 0.1, 0.9), "one entry per filter"),
        (lambda: ops.sgd_step(p, g, buf, None, float("inf"), 0.9), "lr must be finite"),
        (lambda: ops.sgd_step(p, g, buf, None, 1e39, 0.9), "lr must be finite"),
        (lambda: ops.sgd_step(p, g, p, None, 0.1, 0.9), re.escape(ops.strerror(2))),
        (lambda: ops.sgd_step(p, g, buf.t(), None, 0.1, 0.9), "shape of param"),
        (lambda: ops.sgd_step(p, g, buf, None, -0.1, 0.9), re.escape(ops.strerror(1))),
        (lambda: ops.adamw_step(p, g, m, v, None, 0), "counts steps from 1"),
        (lambda: ops.adamw_step(p, g, m, v, None, 1, 1e-3, 1.0), re.escape(ops.strerror(1))),
        (lambda: ops.adamw_step(p, g, m, m, None, 1), re.escape(ops.strerror(2))),
        (lambda: ops.adamw_step(p.to("meta"), g, m, v, None, 1), "param must be on the CPU"),
        (lambda: ops.regularize(p, "so", 1.0, None, g[:, :3]), "shape of param"),
        (lambda: ops.regularize(p, "so", 1.0, None, g.double()), "grad must be float32"),
    ]
    for call, message in bad_calls:
        with pytest.raises(RuntimeError, match=message):
            call()
        assert unchanged(before, p, g, buf, m, v), f"written despite the error ({message})"


def test_library_status_becomes_the_exception_text():
    # Overlapping dense buffers reach the library, whose check is byte-exact.
    store = torch.randn(2 * K * N)
    p, g = store[:K * N].view(K, N), store[5:K * N + 5].view(K, N)
    before = snapshot(store)
    with pytest.raises(RuntimeError, match="orthoconv_sgd_step failed: " + re.escape(ops.strerror(2))):
        ops.sgd_step(p, g, None, None, 0.1)
    assert unchanged(before, store)
    # Disjoint views of one storage are fine.
    ops.sgd_step(store[:K * N].view(K, N), store[K * N:].view(K, N), None, None, 0.1)
    # A strided view sharing storage with another operand is refused.
    with pytest.raises(RuntimeError, match="share storage"):
        ops.sgd_step(store.view(2 * K, N)[::2], store.view(2 * K, N)[1::2], None, None, 0.1)
    assert ops.strerror(1).startswith("invalid argument")


def test_optimizers_write_nothing_when_one_parameter_is_bad():
    head = torch.nn.Linear(4, 4)
    layer = oc.Conv1x1(K, N)
    x = torch.randn(2, K, 3, 3)
    for opt in (oc.SGD(list(head.parameters()) + list(layer.parameters()), lr=0.1, momentum=0.9, weight_decay=0.1),
                oc.AdamW(list(head.parameters()) + list(layer.parameters()))):
        opt.zero_grad()
        layer(x).sum().backward()
        head(torch.randn(1, 4)).sum().backward()
        before = snapshot(head.weight, head.bias, layer.weight, layer.bias)
        layer.trainable = torch.ones(N - 1, dtype=torch.bool)
        with pytest.raises(ValueError, match="one entry per filter"):
            opt.step()
        assert unchanged(before, head.weight, head.bias, layer.weight, layer.bias)
        assert not opt.state  # no state created either
        layer.trainable = torch.ones(N, dtype=torch.bool)
        layer.double()  # the library steps float32 only
        for q in layer.parameters():
            q.grad = torch.ones_like(q)
        with pytest.raises(TypeError, match="must be a dense float32 CPU tensor"):
            opt.step()
        assert unchanged(before, head.weight, head.bias, layer.weight.float(), layer.bias.float())
        layer.float()


def test_optimizer_hyper_parameters():
    params = oc.Conv1x1(K, N).parameters()
    for make in (lambda: oc.SGD(params, lr=-1), lambda: oc.SGD(params, lr=float("nan")),
                 lambda: oc.SGD(params, lr=0.1, nesterov=True), lambda: oc.SGD(params, lr=0.1, momentum=-1),
                 lambda: oc.AdamW(params, betas=(1.0, 0.9)), lambda: oc.AdamW(params, eps=-1),
                 lambda: oc.AdamW(params, weight_decay=float("inf"))):
        with pytest.raises(ValueError):
            make()


def test_in_place_on_strided_views_touches_only_the_view():
    # Canaries: the columns of `store` between those of the view stay as they were.
    store = torch.randn(K, 2 * N)
    p = store[:, ::2]
    before = store.clone()
    g = torch.randn(K, N)
    want = p.clone()
    ops.sgd_step(want, g, None, None, 0.5)
    ops.sgd_step(p, g, None, None, 0.5)
    assert torch.equal(p, want) and torch.equal(store[:, 1::2], before[:, 1::2])
    grad_store = torch.zeros(K, 2 * N)
    ops.regularize(torch.randn(K, N), "so", 1.0, None, grad_store[:, 1::2])
    assert (grad_store[:, ::2] == 0).all() and (grad_store[:, 1::2] != 0).any()
