"""Runs one pytest file for meson; exit 77 (meson: skipped) if Debian's torch or
pytest is missing for this interpreter, saying which."""
import sys

try:
    import pytest
    import torch  # noqa: F401
except ImportError as e:
    print(f"skipped: {sys.executable} cannot import {e.name} (python3-torch, python3-pytest)")
    sys.exit(77)

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-W", "error::pytest.PytestUnraisableExceptionWarning"]
                     + sys.argv[1:]))
