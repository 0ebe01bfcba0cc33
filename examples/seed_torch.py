#!/usr/bin/python3
"""The seed's model rebuilt with orthoconv_torch (shared/seed/: a Keras model
ending in a 1x1 convolution 7x7x1024 -> 10, whose owner wanted one orthogonality
penalty over all 10 filters while some of them stay frozen, and could only get
it by splitting the layer into 10 layers).

Here it is one layer: filters 5-9 frozen, an SO penalty over all 10, AdamW with
weight decay, a few dozen steps on random data. It prints the loss per step and
checks at the end that the frozen filters are bit-identical to where they
started. Run from a build tree:

    PYTHONPATH=build/bindings/torch /usr/bin/python3 examples/seed_torch.py
"""
import argparse
import sys

import torch
import torch.nn.functional as F

import orthoconv_torch as oc

FROZEN = [5, 6, 7, 8, 9]


def train(steps=40, batch=8, seed=0, strength=1e-2, lr=1e-2, log=print):
    torch.manual_seed(seed)
    trainable = [n not in FROZEN for n in range(10)]
    # The seed's layer: Conv2D(10, (1, 1)) without bias on a 7x7x1024 NHWC input.
    layer = oc.Conv1x1(1024, 10, bias=False, trainable=trainable)
    opt = oc.AdamW(layer.parameters(), lr=lr, weight_decay=1e-2)
    start = layer.weight.detach().clone()
    # Random data in the Keras layout: NHWC memory (channels_last), read in place.
    x = torch.randn(batch, 1024, 7, 7).contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (batch,))
    history = []
    for step in range(1, steps + 1):
        opt.zero_grad()
        logits = layer(x).mean(dim=(2, 3))  # global average pool -> (batch, 10)
        data_loss = F.cross_entropy(logits, labels)
        penalty = oc.orthogonality_penalty(layer, "so", strength)  # over all 10 filters
        loss = data_loss + penalty
        loss.backward()
        opt.step()
        history.append((loss.item(), data_loss.item(), penalty.item()))
        log(f"step {step:3d}  loss {loss.item():.6f}  (data {data_loss.item():.6f}, SO penalty {penalty.item():.6f})")
    return layer, start, history


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    layer, start, history = train(args.steps, args.batch, args.seed)
    w = layer.weight.detach()
    frozen_same = torch.equal(w[:, FROZEN], start[:, FROZEN])
    moved = (w - start).abs().amax(dim=0)
    print(f"largest change per filter: " + " ".join(f"{m:.2e}" for m in moved.tolist()))
    print(f"frozen filters {FROZEN[0]}-{FROZEN[-1]} bit-identical after {args.steps} steps: "
          f"{'yes' if frozen_same else 'NO'}")
    print(f"loss {history[0][0]:.6f} -> {history[-1][0]:.6f}; the penalty saw all 10 filters, "
          "the update touched filters 0-4 only")
    return 0 if frozen_same else 1


if __name__ == "__main__":
    sys.exit(main())
