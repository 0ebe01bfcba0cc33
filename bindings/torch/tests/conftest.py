import os
import sys

import pytest
import torch

# The tests import the package from the build tree (meson passes PYTHONPATH);
# oracle.py sits beside this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _seeded():
    # Same inputs every run; one thread so results do not depend on the machine.
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    yield
