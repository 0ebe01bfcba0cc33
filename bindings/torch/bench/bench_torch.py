#!/usr/bin/python3
"""The PyTorch binding's targets (issue 13), measured in one run on one thread:

  * Conv1x1 forward, 7x7x1024 -> 10, batch 1, 64, 1024, against torch's own
    conv2d (nn.Conv2d; mkldnn/oneDNN in Debian's build) in both memory formats;
  * a training step (forward, backward with 5 of 10 filters frozen, SO penalty
    over all 10, AdamW) against the pure-torch equivalent: the trainable filters
    a parameter, the frozen ones a buffer, the same loss, penalty and optimizer.

Contenders of a case are timed in random interleaved order, `--reps` times, each
time for at least `--min-time` seconds; the table shows medians per call and
ratios of medians. Pin it to a core yourself (run.sh bench uses taskset -c 1).

usage: PYTHONPATH=build/bindings/torch taskset -c 1 /usr/bin/python3 bindings/torch/bench/bench_torch.py
"""
import argparse
import os
import platform
import random
import statistics
import time

import torch
import torch.nn.functional as F

import orthoconv_torch as oc

K, N = 1024, 10
TRAINABLE = torch.tensor([True] * 5 + [False] * 5)
STRENGTH = 1e-2


def time_call(fn, min_time):
    """Seconds per call: repeat until one run lasts min_time."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return dt / n
        n = max(n + 1, int(n * min(10.0, 1.5 * min_time / max(dt, 1e-9))))


def measure(contenders, reps, min_time):
    """{name: median seconds per call}, contenders interleaved in random order."""
    samples = {name: [] for name in contenders}
    order = list(contenders)
    for _ in range(reps):
        random.shuffle(order)
        for name in order:
            samples[name].append(time_call(contenders[name], min_time))
    return {name: statistics.median(s) for name, s in samples.items()}


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            info = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines() if ":" in line)
        info = {k.strip(): v.strip() for k, v in info.items()}
        return f"{info.get('model name', '?')} (family {info.get('cpu family', '?')} model {info.get('model', '?')})"
    except OSError:
        return platform.processor() or platform.machine()


def us(t):
    return f"{t * 1e6:.1f} us" if t < 1e-2 else f"{t * 1e3:.2f} ms"


# ---------------------------------------------------------------- forward --
def forward_case(batch, reps, min_time):
    conv = torch.nn.Conv2d(K, N, 1)
    layer = oc.Conv1x1.from_conv2d(conv)
    x = torch.randn(batch, K, 7, 7)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        # The timed calls must agree (contract bound against float64) before they count.
        z = F.conv2d(x.double(), conv.weight.double(), conv.bias.double())
        bound = F.conv2d(x.double().abs(), conv.weight.double().abs(), conv.bias.double().abs())
        for name, got in (("ours NHWC", layer(x_cl)), ("ours NCHW", layer(x)),
                          ("torch NHWC", conv(x_cl)), ("torch NCHW", conv(x))):
            err = ((got.double() - z).abs() / bound).max().item()
            if name.startswith("ours"):
                assert err <= 1e-5, f"forward batch {batch}, {name}: error {err:.3g} x (sum of |products|)"
            elif err > 1e-5:
                print(f"   note: {name} at batch {batch} is off by {err:.3g} x (sum of |products|)")
        t = measure({"ours_nhwc": lambda: layer(x_cl), "ours_nchw": lambda: layer(x),
                     "torch_nhwc": lambda: conv(x_cl), "torch_nchw": lambda: conv(x)}, reps, min_time)
    return t


# --------------------------------------------------------------- training --
class PureTorch(torch.nn.Module):
    def __init__(self, w_kn):
        super().__init__()
        self.wt = torch.nn.Parameter(w_kn[:, TRAINABLE].t().reshape(-1, K, 1, 1).clone())
        self.register_buffer("wf", w_kn[:, ~TRAINABLE].t().reshape(-1, K, 1, 1).clone())

    def weight(self):
        return torch.cat([self.wt, self.wf])  # TRAINABLE puts the trainable filters first

    def forward(self, x):
        return F.conv2d(x, self.weight())


def so_penalty(w_nk11):
    w = w_nk11.flatten(1)
    g = w @ w.t()
    return ((g - torch.eye(N)) ** 2).sum()


def training_case(batch, input_grad, reps, min_time, torch_nchw=True):
    layer = oc.Conv1x1(K, N, bias=False, trainable=TRAINABLE)
    ref = PureTorch(layer.weight.detach())
    opt = oc.AdamW(layer.parameters(), lr=1e-3, weight_decay=1e-2)
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=1e-3, weight_decay=1e-2)
    x = torch.randn(batch, K, 7, 7).contiguous(memory_format=torch.channels_last)
    x_nchw = x.contiguous()
    target = torch.randn(batch, N, 7, 7)
    if input_grad:
        x.requires_grad_(), x_nchw.requires_grad_()

    def ours():
        opt.zero_grad(set_to_none=True)
        x.grad = None
        loss = ((layer(x) - target) ** 2).mean() + oc.orthogonality_penalty(layer, "so", STRENGTH)
        loss.backward()
        opt.step()
        return loss

    def theirs(inp):
        ref_opt.zero_grad(set_to_none=True)
        inp.grad = None
        loss = ((ref(inp) - target) ** 2).mean() + STRENGTH * so_penalty(ref.weight())
        loss.backward()
        ref_opt.step()
        return loss

    # One step each from the same weights: same loss, same trainable weights after.
    l1, l2 = ours(), theirs(x)
    assert abs(l1.item() - l2.item()) <= 1e-4 * abs(l2.item()), (l1.item(), l2.item())
    ours_w = layer.weight.detach()[:, TRAINABLE]
    ref_w = ref.wt.detach().flatten(1).t()
    assert (ours_w - ref_w).abs().max() <= 1e-5, "training step: weights differ after one step"
    contenders = {"ours": ours, "torch_nhwc": lambda: theirs(x)}
    if torch_nchw:
        contenders["torch_nchw"] = lambda: theirs(x_nchw)
    frozen = layer.weight.detach()[:, ~TRAINABLE].clone()
    t = measure(contenders, reps, min_time)
    assert torch.equal(layer.weight.detach()[:, ~TRAINABLE], frozen)
    return t


def main():
    ap = argparse.ArgumentParser(description="orthoconv_torch vs torch, one thread")
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--batches", default="1,64,1024", help="forward batches")
    ap.add_argument("--train-batches", default="1,64,1024", help="training-step batches")
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    random.seed(0)
    lines = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    emit(f"== PyTorch binding: {cpu_name()}; torch {torch.__version__}, torch.get_num_threads() = "
         f"{torch.get_num_threads()}, cores allowed {affinity}; orthoconv {oc.__version__} ({oc.ops.cpu_isa()})")
    emit(f"   {args.reps} interleaved repetitions of >= {args.min_time} s, medians per call")
    emit()
    emit("Conv1x1 forward, 7x7x1024 -> 10 with bias, no_grad; NHWC input runs the packed layer's kernel named:")
    emit()
    emit("| batch | orthoconv NHWC in | orthoconv NCHW in (read in place) | torch conv2d NHWC | torch conv2d NCHW "
         "| NHWC vs best torch | NCHW vs torch NCHW | target | kernel (NHWC) |")
    emit("|---|---|---|---|---|---|---|---|---|")
    for b in [int(v) for v in args.batches.split(",") if v]:
        t = forward_case(b, args.reps, args.min_time)
        best = min(t["torch_nhwc"], t["torch_nchw"])
        r = best / t["ours_nhwc"]
        emit(f"| {b} | {us(t['ours_nhwc'])} | {us(t['ours_nchw'])} | {us(t['torch_nhwc'])} | {us(t['torch_nchw'])} "
             f"| {r:.2f}x | {t['torch_nchw'] / t['ours_nchw']:.2f}x | >= 1.3x: {'met' if r >= 1.3 else 'MISSED'} "
             f"| {oc.ops.selected_kernel('layer_forward', b * 49, K, N)} |")
    emit()
    emit("Training step: forward, backward (5 of 10 filters frozen), SO penalty over all 10, AdamW; "
         "no bias, NHWC input; pure torch = trainable filters a parameter, frozen ones a buffer:")
    emit()
    emit("| batch | input grad | orthoconv_torch | pure torch NHWC | pure torch NCHW | vs best torch | target |")
    emit("|---|---|---|---|---|---|---|")
    for b in [int(v) for v in args.train_batches.split(",") if v]:
        for input_grad in (False, True):
            t = training_case(b, input_grad, args.reps, args.min_time)
            best = min(v for k, v in t.items() if k != "ours")
            r = best / t["ours"]
            emit(f"| {b} | {'yes' if input_grad else 'no'} | {us(t['ours'])} | {us(t['torch_nhwc'])} "
                 f"| {us(t['torch_nchw'])} | {r:.2f}x | >= 2x: {'met' if r >= 2 else 'MISSED'} |")
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
