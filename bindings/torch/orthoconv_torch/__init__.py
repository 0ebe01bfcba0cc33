"""orthoconv for PyTorch: a 1x1 convolution whose filters can be frozen one by
one, an orthogonality penalty over all of them, and optimizers that leave the
frozen ones (and their state) bit-identical.

    import orthoconv_torch as oc
    layer = oc.Conv1x1(1024, 10, bias=False, trainable=[True] * 5 + [False] * 5)
    opt = oc.AdamW(layer.parameters(), lr=1e-3)
    loss = criterion(layer(x)) + oc.orthogonality_penalty(layer, "so", 1e-3)

The operators are also reachable as torch.ops.orthoconv.* (see ops)."""
from . import _library

ops = _library.load()

from .conv import ACTIVATIONS, Conv1x1  # noqa: E402
from .optim import SGD, AdamW  # noqa: E402
from .penalty import KINDS, orthogonality_penalty  # noqa: E402

__version__ = ops.version()
__all__ = ["Conv1x1", "orthogonality_penalty", "SGD", "AdamW", "ops", "ACTIVATIONS", "KINDS"]
