"""Finds and loads liborthoconv_torch.so, which registers torch.ops.orthoconv.*."""
import os

import torch

LIBRARY_NAME = "liborthoconv_torch.so"
ENV_VAR = "ORTHOCONV_TORCH_LIBRARY"


def _registered():
    try:
        torch.ops.orthoconv.forward
    except (AttributeError, RuntimeError):
        return False
    return True


def _library_path():
    # An explicit path wins; otherwise the copy built or installed beside this file.
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return explicit
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), LIBRARY_NAME)


def load():
    """Returns torch.ops.orthoconv, loading the operator library once.

    A second copy of the library must not be loaded: TORCH_LIBRARY(orthoconv)
    may register the namespace only once per process, so an already registered
    namespace (say, by a C++ host that linked the library) is used as is."""
    if not _registered():
        path = _library_path()
        if not os.path.isfile(path):
            raise ImportError(
                f"orthoconv_torch: {path} does not exist. Build it with "
                "`meson setup build -Dtorch=enabled && ninja -C build` and put "
                "build/bindings/torch on PYTHONPATH (the package there has the library "
                f"beside it), or set {ENV_VAR} to the library's path.")
        torch.ops.load_library(path)
    return torch.ops.orthoconv
