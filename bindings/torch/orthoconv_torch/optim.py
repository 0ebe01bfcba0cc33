"""SGD and AdamW with torch.optim's semantics that run the library's steps for
every Conv1x1 weight and bias, so that frozen filters and their optimizer state
are not written at all (torch's own optimizers would still move them through
weight decay and momentum). Other parameters follow torch's rule."""
import math

import torch
from torch.optim import Optimizer

from . import _library
from .conv import check_mask, filter_owner

_ops = _library.load()


def _check_hyper(name, value, low=0.0, high=None):
    # Checked here, before any parameter moves, rather than by the library mid-step.
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or abs(value) > 3.4e38:
        raise ValueError(f"Invalid {name}: {value} (must be finite in float32)")
    if value < low or (high is not None and value >= high):
        raise ValueError(f"Invalid {name}: {value}")


def _library_mask(p):
    """The filter mask for p if it belongs to a Conv1x1 (checked), else None."""
    owner = filter_owner(p)
    if owner is None:
        return None
    module, role = owner
    check_mask(module.trainable, module.out_channels, f"{type(module).__name__}.trainable")
    g = p.grad
    if p.dtype != torch.float32 or p.device.type != "cpu" or p.layout != torch.strided:
        raise TypeError(f"a Conv1x1 {role} must be a dense float32 CPU tensor to be stepped "
                        f"by orthoconv, got {p.dtype} on {p.device}")
    if g.dtype != torch.float32 or g.device.type != "cpu" or g.layout != torch.strided or g.shape != p.shape:
        raise TypeError(f"the gradient of a Conv1x1 {role} must be a dense float32 CPU tensor "
                        f"of shape {tuple(p.shape)}, got {g.dtype} {tuple(g.shape)} on {g.device}")
    return module.trainable


class _MaskedOptimizer(Optimizer):
    def _plan(self):
        # Every check first: a bad parameter must not leave the others half stepped.
        plan = []
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                plan.append((group, p, _library_mask(p)))
        return plan

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group, p, mask in self._plan():
            self._step_one(group, p, self.state[p], mask)
        return loss


class SGD(_MaskedOptimizer):
    """torch.optim.SGD (dampening 0): g' = g + wd w; v = momentum v + g';
    d = nesterov ? g' + momentum v : v; w -= lr d. State: "momentum_buffer"."""

    def __init__(self, params, lr, momentum=0, weight_decay=0, nesterov=False):
        _check_hyper("learning rate", lr)
        _check_hyper("momentum value", momentum)
        _check_hyper("weight_decay value", weight_decay)
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      nesterov=bool(nesterov)))

    def _step_one(self, group, p, state, mask):
        lr, momentum, wd, nesterov = group["lr"], group["momentum"], group["weight_decay"], group["nesterov"]
        if mask is not None:
            buf = state.get("momentum_buffer")
            if momentum != 0 and buf is None:
                # v starts at zero: momentum * 0 + g' is torch's first-step clone of g'.
                buf = state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            _ops.sgd_step(p, p.grad, buf if momentum != 0 else None, mask, lr, momentum, wd, nesterov)
            return
        d_p = p.grad
        if wd != 0:
            d_p = d_p.add(p, alpha=wd)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = torch.clone(d_p).detach()
            else:
                buf.mul_(momentum).add_(d_p)
            d_p = d_p.add(buf, alpha=momentum) if nesterov else buf
        p.add_(d_p, alpha=-lr)


class AdamW(_MaskedOptimizer):
    """torch.optim.AdamW (amsgrad off): w -= lr wd w; m = b1 m + (1 - b1) g;
    v = b2 v + (1 - b2) g^2; w -= lr m_hat / (sqrt(v_hat) + eps).
    State: "step" (a float tensor, as torch keeps it), "exp_avg", "exp_avg_sq"."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        _check_hyper("learning rate", lr)
        _check_hyper("epsilon value", eps)
        betas = tuple(betas)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair, got {betas}")
        _check_hyper("beta parameter at index 0", betas[0], 0.0, 1.0)
        _check_hyper("beta parameter at index 1", betas[1], 0.0, 1.0)
        _check_hyper("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _step_one(self, group, p, state, mask):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = torch.tensor(0.0)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        step_t += 1
        step = int(step_t.item())
        if mask is not None:
            _ops.adamw_step(p, p.grad, exp_avg, exp_avg_sq, mask, step, lr, beta1, beta2, eps, wd)
            return
        grad = p.grad
        p.mul_(1 - lr * wd)
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(eps)
        p.addcdiv_(exp_avg, denom, value=-(lr / bias_correction1))
