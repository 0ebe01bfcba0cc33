"""The package's SGD and AdamW against torch.optim over 100 steps, on a torch
model in which only the trainable filters are parameters: the same trajectory
up to float32 drift, and frozen filters and their optimizer state bit-identical."""
import copy

import pytest
import torch
import torch.nn.functional as F

import orthoconv_torch as oc

K, N = 256, 10
MASK = torch.tensor([1] * 5 + [0] * 5, dtype=torch.bool)  # the seed's filters 5-9 frozen
STEPS = 100


class SplitModel(torch.nn.Module):
    """The pure-torch equivalent: trainable filters are parameters, frozen ones a buffer."""

    def __init__(self, w0, b0, dtype):
        super().__init__()
        self.wt = torch.nn.Parameter(w0[:, MASK].to(dtype))
        self.bt = torch.nn.Parameter(b0[MASK].to(dtype))
        self.register_buffer("wf", w0[:, ~MASK].to(dtype))
        self.register_buffer("bf", b0[~MASK].to(dtype))

    def weight(self):
        return torch.cat([self.wt, self.wf], dim=1)  # MASK puts the trainable ones first

    def forward(self, x):
        w = self.weight()
        return F.conv2d(x, w.t().reshape(N, K, 1, 1), torch.cat([self.bt, self.bf]))


def so_penalty(w):
    g = w.t() @ w
    return ((g - torch.eye(w.shape[1], dtype=w.dtype)) ** 2).sum()


def loss_of(y, target):
    return ((y - target) ** 2).mean()


def batches():
    gen = torch.Generator().manual_seed(99)
    for _ in range(STEPS):
        yield torch.randn(2, K, 7, 7, generator=gen), torch.randn(2, N, 7, 7, generator=gen)


def run(make_ours, make_torch, strength=1e-2):
    w0 = torch.randn(K, N) / 16
    b0 = torch.randn(N) / 16
    layer = oc.Conv1x1(K, N, trainable=MASK)
    with torch.no_grad():
        layer.weight.copy_(w0), layer.bias.copy_(b0)
    ref32, ref64 = SplitModel(w0, b0, torch.float32), SplitModel(w0, b0, torch.float64)
    opt = make_ours(layer.parameters())
    opt32, opt64 = make_torch(ref32.parameters()), make_torch(ref64.parameters())
    frozen_w, frozen_b = layer.weight.detach()[:, ~MASK].clone(), layer.bias.detach()[~MASK].clone()
    for x, target in batches():
        opt.zero_grad()
        (loss_of(layer(x), target) + oc.orthogonality_penalty(layer, "so", strength)).backward()
        opt.step()
        for model, o, dt in ((ref32, opt32, torch.float32), (ref64, opt64, torch.float64)):
            o.zero_grad()
            (loss_of(model(x.to(dt)), target.to(dt)) + strength * so_penalty(model.weight())).backward()
            o.step()
        # Frozen filters: the very same bits after every step.
        assert torch.equal(layer.weight.detach()[:, ~MASK], frozen_w)
        assert torch.equal(layer.bias.detach()[~MASK], frozen_b)
    # float32 drift: we stay as close to the float64 trajectory as torch's own
    # float32 run does (within 4x, or a floor of 4 ulps of the weights).
    for ours, t32, t64 in ((layer.weight.detach()[:, MASK], ref32.wt.detach(), ref64.wt.detach()),
                           (layer.bias.detach()[MASK], ref32.bt.detach(), ref64.bt.detach())):
        ours_err = (ours.double() - t64).abs().max().item()
        torch_err = (t32.double() - t64).abs().max().item()
        floor = 4 * 2.0 ** -23 * t64.abs().max().item()
        print(f"drift from float64: ours {ours_err:.3g}, torch float32 {torch_err:.3g}, floor {floor:.3g}")
        assert ours_err <= 4 * torch_err + floor, f"drift {ours_err:.3g} vs torch float32 {torch_err:.3g}"
    # The trainable filters did move, and far more than the drift.
    assert (layer.weight.detach()[:, MASK] - w0[:, MASK]).abs().max() > 1e3 * (ours_err + floor)
    return layer, opt


@pytest.mark.parametrize("momentum,nesterov,weight_decay", [(0, False, 0), (0.9, False, 0.01),
                                                            (0.9, True, 0.05), (0.5, False, 0)])
def test_sgd_matches_torch(momentum, nesterov, weight_decay):
    kw = dict(lr=0.05, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    layer, opt = run(lambda p: oc.SGD(p, **kw), lambda p: torch.optim.SGD(p, **kw))
    if momentum:
        buf = opt.state[layer.weight]["momentum_buffer"]
        assert (buf[:, ~MASK] == 0).all() and (buf[:, MASK] != 0).any()
        assert (opt.state[layer.bias]["momentum_buffer"][~MASK] == 0).all()


def test_the_comparison_can_fail():
    # A learning rate 0.1% off is far outside the drift allowed above.
    with pytest.raises(AssertionError, match="drift"):
        run(lambda p: oc.SGD(p, lr=0.05 * 1.001, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9))


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adamw_matches_torch(weight_decay):
    kw = dict(lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=weight_decay)
    layer, opt = run(lambda p: oc.AdamW(p, **kw), lambda p: torch.optim.AdamW(p, **kw))
    st = opt.state[layer.weight]
    assert st["step"].item() == STEPS
    for name in ("exp_avg", "exp_avg_sq"):
        assert (st[name][:, ~MASK] == 0).all() and (st[name][:, MASK] != 0).any()
        assert (opt.state[layer.bias][name][~MASK] == 0).all()


@pytest.mark.parametrize("make", [
    (lambda p: oc.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)),
    (lambda p: oc.AdamW(p, lr=0.01, weight_decay=0.1), lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
], ids=["sgd", "adamw"])
def test_other_parameters_follow_torch_bit_for_bit(make):
    ours, theirs = torch.nn.Linear(20, 7), torch.nn.Linear(20, 7)
    theirs.load_state_dict(ours.state_dict())
    o, t = make[0](ours.parameters()), make[1](theirs.parameters())
    for _ in range(20):
        x = torch.randn(5, 20)
        for model, opt in ((ours, o), (theirs, t)):
            opt.zero_grad()
            model(x).square().sum().backward()
            opt.step()
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)


def test_param_groups_mask_change_and_deepcopy():
    layer = oc.Conv1x1(32, N, trainable=MASK)
    head = torch.nn.Linear(3, 3)
    opt = oc.AdamW([{"params": layer.parameters()}, {"params": head.parameters(), "lr": 0.1}], weight_decay=0.5)
    x = torch.randn(2, 32, 2, 2)

    def step(model):
        opt.zero_grad()
        model(x).square().sum().backward()
        head(torch.randn(1, 3)).sum().backward()
        opt.step()

    before = layer.weight.detach().clone()
    step(layer)
    assert torch.equal(layer.weight[:, ~MASK], before[:, ~MASK]) and not torch.equal(layer.weight, before)
    layer.set_trainable(~MASK)  # the other half now trains, the first half is frozen
    before = layer.weight.detach().clone()
    m_before = opt.state[layer.weight]["exp_avg"].clone()
    step(layer)
    assert torch.equal(layer.weight[:, MASK], before[:, MASK])
    assert torch.equal(opt.state[layer.weight]["exp_avg"][:, MASK], m_before[:, MASK])
    assert not torch.equal(layer.weight[:, ~MASK], before[:, ~MASK])

    twin = copy.deepcopy(layer)  # a copy's parameters are found as Conv1x1 parameters too
    opt2 = oc.SGD(twin.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    before = twin.weight.detach().clone()
    twin(x).sum().backward()
    opt2.step()
    assert torch.equal(twin.weight[:, MASK], before[:, MASK])


def test_state_dict_round_trip():
    layer = oc.Conv1x1(32, N, trainable=MASK)
    opt = oc.AdamW(layer.parameters())
    x = torch.randn(2, 32, 2, 2)
    layer(x).sum().backward()
    opt.step()
    twin = copy.deepcopy(layer)
    opt2 = oc.AdamW(twin.parameters())
    opt2.load_state_dict(opt.state_dict())
    for model, o in ((layer, opt), (twin, opt2)):
        o.zero_grad()
        model(x).sum().backward()
        o.step()
    assert torch.equal(layer.weight, twin.weight) and torch.equal(layer.bias, twin.bias)
