"""orthogonality_penalty: one regularizer over all filters of a Conv1x1."""
import torch
from torch.autograd.function import once_differentiable

from . import _library
from .conv import Conv1x1, check_mask

_ops = _library.load()

KINDS = ("so", "dso", "mc", "srip", "keras_columns", "mirror_pairs")


class _PenaltyFunction(torch.autograd.Function):
    # One library call gives the value and the gradient; the gradient is kept
    # for backward (K x N floats), so backward is a multiplication.
    @staticmethod
    def forward(ctx, weight, kind, strength, trainable):
        grad = torch.zeros_like(weight, memory_format=torch.contiguous_format)
        value = _ops.regularize(weight, kind, strength, trainable, grad)
        ctx.save_for_backward(grad)
        return value

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_value):
        (grad,) = ctx.saved_tensors
        # Usually the penalty is added to the loss, so grad_value is 1: skip the
        # multiplication (autograd copies a saved tensor before keeping it as .grad).
        if grad_value.item() == 1.0:
            return grad, None, None, None
        return grad * grad_value, None, None, None


def orthogonality_penalty(module, kind="so", strength=1.0):
    """strength * R(W) over all filters of `module` as a differentiable 0-dim
    tensor. Every filter, frozen or not, takes part in R; the gradient goes
    only into the trainable filters (frozen columns get exactly zero).

    kind: "so" ||G - I||_F^2, "dso", "mc", "srip", "keras_columns", "mirror_pairs"
    (G = W^T W; the maths of each is in shared/REFERENCE.md)."""
    if not isinstance(module, Conv1x1):
        raise TypeError(f"orthogonality_penalty takes a Conv1x1, got {type(module).__name__}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    strength = float(strength)
    check_mask(module.trainable, module.out_channels)
    w = module.weight
    if torch.is_grad_enabled() and w.requires_grad:
        # The gradient is computed here, at once: no snapshot of the mask needed.
        return _PenaltyFunction.apply(w, kind, strength, module.trainable)
    return _ops.regularize(w, kind, strength, module.trainable, None)
