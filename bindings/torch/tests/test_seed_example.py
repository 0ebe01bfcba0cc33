"""examples/seed_torch.py runs to the end, and its frozen filters are bit-identical."""
import importlib.util
import os
import subprocess
import sys

import torch

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "seed_torch.py")


def test_runs_to_the_end():
    out = subprocess.run([sys.executable, EXAMPLE, "--steps", "30"], capture_output=True, text=True,
                         env=dict(os.environ), timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert sum(line.startswith("step ") for line in lines) == 30
    assert "frozen filters 5-9 bit-identical after 30 steps: yes" in out.stdout


def test_frozen_filters_bit_identical_and_the_rest_trained():
    spec = importlib.util.spec_from_file_location("seed_torch", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    layer, start, history = example.train(steps=30, log=lambda _line: None)
    w = layer.weight.detach()
    frozen, trained = example.FROZEN, [n for n in range(10) if n not in example.FROZEN]
    assert (w[:, frozen].view(torch.int32) == start[:, frozen].view(torch.int32)).all()
    assert ((w[:, trained] - start[:, trained]).abs().amax(dim=0) > 1e-3).all()
    assert history[-1][0] < history[0][0]  # the loss went down
    assert all(p > 0 for _, _, p in history)  # the penalty was part of it at every step
