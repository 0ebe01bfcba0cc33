"""Conv1x1: the 1x1 convolution as an nn.Module, with per-filter freezing."""
import math
import weakref

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from . import _library

_ops = _library.load()

ACTIVATIONS = ("none", "relu", "sigmoid", "tanh", "gelu", "softmax")

# Which Conv1x1 owns a parameter, and as what ("weight" or "bias"): the
# optimizers look a parameter up here to find its filter mask. Kept outside the
# Parameter (a weak reference in its __dict__ would make the module unpicklable)
# and keyed by id, checked against a weak reference to the parameter itself.
_owners = {}


def _register(param, module, role):
    key = id(param)
    _owners[key] = (weakref.ref(param, lambda _ref, key=key: _owners.pop(key, None)),
                    weakref.ref(module), role)


def filter_owner(param):
    """(module, role) if param is the weight or bias of a live Conv1x1, else None."""
    entry = _owners.get(id(param))
    if entry is None or entry[0]() is not param:
        return None
    module = entry[1]()
    if module is None or getattr(module, entry[2], None) is not param:
        return None
    return module, entry[2]


def check_mask(mask, n_filters, what="trainable"):
    """Raises ValueError unless mask is a CPU bool/uint8 tensor of n_filters entries."""
    if type(mask) is torch.Tensor and mask.dtype is torch.bool and mask.is_cpu and mask.shape == (n_filters,):
        return  # the usual case, checked in a fraction of the time of the rest
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"{what} must be a tensor, got {type(mask).__name__}")
    if mask.dtype not in (torch.bool, torch.uint8) or mask.device.type != "cpu":
        raise ValueError(f"{what} must be a CPU bool (or uint8) tensor, got {mask.dtype} on {mask.device}")
    if mask.shape != (n_filters,):
        raise ValueError(f"{what} must have one entry per filter ({n_filters}), got shape {tuple(mask.shape)}")


def _as_mask(trainable, n_filters):
    if trainable is None:
        return torch.ones(n_filters, dtype=torch.bool)
    mask = torch.as_tensor(trainable)
    if mask.dtype != torch.bool:
        if mask.is_floating_point() or mask.is_complex():
            raise ValueError("trainable must hold booleans (or 0/1 integers)")
        if ((mask != 0) & (mask != 1)).any():
            raise ValueError("trainable must hold booleans (or 0/1 integers)")
        mask = mask != 0
    mask = mask.to("cpu").clone()
    check_mask(mask, n_filters)
    return mask


def _activation_backward(grad, saved, activation):
    # dL/d(pre-activation) from dL/dy; `saved` is y, except for GELU, whose
    # derivative needs the pre-activation z.
    if activation == "none":
        return grad
    if activation == "relu":
        return torch.ops.aten.threshold_backward(grad, saved, 0)
    if activation == "sigmoid":
        return torch.ops.aten.sigmoid_backward(grad, saved)
    if activation == "tanh":
        return torch.ops.aten.tanh_backward(grad, saved)
    if activation == "gelu":
        return torch.ops.aten.gelu_backward(grad, saved)
    # Softmax over channels. Not aten._softmax_backward_data: in torch 1.13 it
    # returns wrong values when the output is channels_last (as ours is).
    return saved * (grad - (grad * saved).sum(dim=1, keepdim=True))


class _Conv1x1Function(torch.autograd.Function):
    """y = act(x W + b) with the library's backward operators: dX = dZ W^T and
    dW = X^T dZ (frozen filters: exactly zero, their work skipped)."""

    @staticmethod
    def forward(ctx, x, weight, bias, activation, trainable):
        # NHWC and NCHW inputs are read in place (NCHW ones are copied to NHWC in
        # backward, when the weights need their gradient); any other layout is
        # copied to NHWC once, here, and the copy kept for backward.
        if not x.is_contiguous(memory_format=torch.channels_last) and _ops.input_layout(x) == "strided":
            x = _ops.nhwc(x)
        if activation == "gelu":
            z = _ops.forward(x, weight, bias, "none")
            y = torch.nn.functional.gelu(z)
            saved = z
        else:
            y = _ops.forward(x, weight, bias, activation)
            saved = y if activation != "none" else None
        ctx.activation = activation
        # The mask as it was at this forward pass, whatever happens to the buffer
        # later (a plain attribute: autograd need not track a bool tensor).
        ctx.trainable = trainable.clone()
        ctx.save_for_backward(x, weight, saved)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_y):
        x, weight, saved = ctx.saved_tensors
        trainable = ctx.trainable
        # One NHWC copy of dz at most, shared by both operators (grad_y may be
        # NCHW or broadcast, e.g. the gradient of y.sum()).
        dz = _ops.nhwc(_activation_backward(grad_y, saved, ctx.activation))
        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            dx = _ops.backward_data(dz, weight)
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            dw, db = _ops.backward_weights(x, dz, trainable)
            dw = dw if ctx.needs_input_grad[1] else None
            db = db if ctx.needs_input_grad[2] else None
        return dx, dw, db, None, None


class Conv1x1(nn.Module):
    """A 1x1 convolution in_channels -> out_channels run by orthoconv.

    Input (B, C, H, W) in torch's logical order, output (B, N, H, W) in the
    input's memory format, as torch's conv2d does. An input in
    torch.channels_last memory format (NHWC, the Keras layout) is read in place,
    and so is a contiguous NCHW one (each image is then a K x HW matrix, and
    the forward pass is W^T X per image; training copies it to NHWC once, in
    backward, for the weight gradient). Any other layout is copied to NHWC once.
    A (rows, C) matrix gives a (rows, N) one.

    weight: (K, N) = (in_channels, out_channels), the Keras kernel layout.
    bias: (N,) or None.
    activation: None, "relu", "sigmoid", "tanh", "gelu" or "softmax" (over channels).
    trainable: bool buffer of N entries; frozen filters (False) get exactly zero
      gradient, and this package's SGD/AdamW leave them and their state untouched.
      It may be changed between steps (in place, with set_trainable, or by
      assigning a new tensor).
    """

    def __init__(self, in_channels, out_channels, bias=True, activation=None, trainable=None):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        act = "none" if activation is None else activation
        if act not in ACTIVATIONS:
            raise ValueError(f"activation must be None or one of {ACTIVATIONS[1:]}, got {activation!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.activation = activation
        self._act = act
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.register_buffer("trainable", _as_mask(trainable, out_channels))
        self.reset_parameters()

    def reset_parameters(self):
        # The distribution of nn.Conv2d's default initialisation (fan_in = K).
        bound = 1.0 / math.sqrt(self.in_channels)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    # -- keeping the optimizers' parameter -> module lookup current ----------
    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name in ("weight", "bias") and isinstance(value, torch.Tensor):
            _register(value, self, name)

    def __setstate__(self, state):  # pickle and copy.deepcopy
        super().__setstate__(state)
        self._register_parameters()

    def _apply(self, *args, **kwargs):  # .to(), .float(), ... may swap parameters
        result = super()._apply(*args, **kwargs)
        self._register_parameters()
        return result

    def _register_parameters(self):
        for role in ("weight", "bias"):
            p = self._parameters.get(role)
            if p is not None:
                _register(p, self, role)

    # -------------------------------------------------------------------------
    def set_trainable(self, trainable):
        """Replaces the mask (in place) with N booleans; None = every filter trains."""
        mask = _as_mask(trainable, self.out_channels)
        current = self.trainable
        if isinstance(current, torch.Tensor) and current.dtype == torch.bool and current.shape == mask.shape:
            current.copy_(mask)
        else:
            self.trainable = mask
        return self

    def forward(self, x):
        w, b = self.weight, self.bias
        if torch.is_grad_enabled() and (x.requires_grad or w.requires_grad or
                                        (b is not None and b.requires_grad)):
            check_mask(self.trainable, self.out_channels)
            return _Conv1x1Function.apply(x, w, b, self._act, self.trainable)
        return _ops.forward(x, w, b, self._act)

    @classmethod
    def from_conv2d(cls, conv, activation=None, trainable=None):
        """A Conv1x1 with the weights of a 1x1 nn.Conv2d (or of a torch (N, K, 1, 1) kernel tensor)."""
        if isinstance(conv, nn.Conv2d):
            if (tuple(conv.kernel_size) != (1, 1) or tuple(conv.stride) != (1, 1) or
                    tuple(conv.dilation) != (1, 1) or conv.groups != 1 or
                    conv.padding not in ((0, 0), "valid")):
                raise ValueError("from_conv2d needs a 1x1 Conv2d with stride 1, no padding, "
                                 f"no dilation and groups=1; got {conv}")
            kernel, bias = conv.weight, conv.bias
        elif isinstance(conv, torch.Tensor):
            kernel, bias = conv, None
        else:
            raise TypeError(f"from_conv2d takes an nn.Conv2d or a (N, K, 1, 1) tensor, got {type(conv).__name__}")
        if kernel.dim() != 4 or kernel.shape[2:] != (1, 1):
            raise ValueError(f"a torch 1x1 kernel is (N, K, 1, 1), got shape {tuple(kernel.shape)}")
        n, k = kernel.shape[0], kernel.shape[1]
        module = cls(k, n, bias=bias is not None, activation=activation, trainable=trainable)
        with torch.no_grad():
            module.weight.copy_(kernel.detach().reshape(n, k).t())
            if bias is not None:
                module.bias.copy_(bias.detach())
        return module

    def load_keras_kernel(self, kernel, bias=None):
        """Copies a Keras/TensorFlow (1, 1, K, N) kernel (numpy array or tensor;
        (K, N) is accepted too) and optionally an (N,) bias into this module."""
        k = torch.as_tensor(kernel).detach()
        want = (self.in_channels, self.out_channels)
        if tuple(k.shape) not in ((1, 1) + want, want):
            raise ValueError(f"a Keras kernel for this layer is (1, 1, {want[0]}, {want[1]}), "
                             f"got shape {tuple(k.shape)}")
        b = None
        if bias is not None:
            b = torch.as_tensor(bias).detach()
            if self.bias is None or tuple(b.shape) != (self.out_channels,):
                raise ValueError(f"bias must be ({self.out_channels},) and the layer must have one")
        with torch.no_grad():
            self.weight.copy_(k.reshape(want))
            if b is not None:
                self.bias.copy_(b)
        return self

    def to_conv2d(self):
        """An equivalent nn.Conv2d (without the activation), e.g. for export."""
        conv = nn.Conv2d(self.in_channels, self.out_channels, 1, bias=self.bias is not None)
        with torch.no_grad():
            conv.weight.copy_(self.weight.t().reshape(self.out_channels, self.in_channels, 1, 1))
            if self.bias is not None:
                conv.bias.copy_(self.bias)
        return conv

    def extra_repr(self):
        frozen = (~self.trainable.bool()).nonzero().flatten().tolist()
        return (f"{self.in_channels}, {self.out_channels}, bias={self.bias is not None}, "
                f"activation={self.activation!r}, frozen={frozen}")
