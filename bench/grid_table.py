#!/usr/bin/env python3
"""The layer targets of the shape grid (orthoconv-bench --ocb_shapes) as one table:
per K x N x M, our layer and orthoconv_forward beside the fastest anchor of the same
run, the ratios, and whether the target holds (layer >= 1.0x the best anchor,
>= 1.5x where N <= 16, layer never slower than orthoconv_forward).
  grid_table.py RUN.json...   (several files: the medians over all of them)"""
import json
import re
import statistics
import sys

NAME = re.compile(r"^(fwd|bwd_data|bwd_weights)/([^/]+)/M:(\d+)/K:(\d+)/N:(\d+)(/frozen:0)?/(warm|cold)$")
UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def medians(paths):
    runs, anchors = {}, set()
    for p in paths:
        doc = json.load(open(p))
        for b in doc.get("benchmarks", []):
            if b.get("run_type") == "aggregate" or b.get("error_occurred"):
                continue
            m = NAME.match(b["run_name"])
            if not m:
                continue
            op, impl, M, K, N, _, temp = m.groups()
            if b.get("anchor") and not impl.startswith("gcc"):  # gcc -O3: a reference loop, not a library
                anchors.add(impl)
            runs.setdefault((op, int(K), int(N), int(M), temp), {}).setdefault(impl, []).append(
                b["real_time"] * UNIT.get(b.get("time_unit", "ns"), 1e-9))
    return {k: {i: statistics.median(v) for i, v in d.items()} for k, d in runs.items()}, anchors


def main(paths):
    cases, anchors = medians(paths)
    print("| op | K x N | M | cache | layer GFLOP/s | orthoconv_forward | best anchor | layer vs it | layer / forward | target |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    missed = 0
    for (op, K, N, M, temp), t in sorted(cases.items()):
        ours = t.get("orthoconv")
        if ours is None:
            continue
        fl = 2.0 * M * K * N
        an = {i: s for i, s in t.items() if i in anchors}
        best = min(an.items(), key=lambda kv: kv[1]) if an else None
        raw = t.get("orthoconv.unpacked")
        ratio = best[1] / ours if best else None
        need = 1.5 if op == "fwd" and N <= 16 else 1.0
        ok = ratio is None or ratio >= need
        if op == "fwd" and raw is not None and ours > raw * 1.03:  # 3%: the noise of one median
            ok = False
        missed += not ok
        print("| %s | %dx%d | %d | %s | %.1f | %s | %s | %s | %s | %s |" % (
            op, K, N, M, temp, fl / ours / 1e9, "%.1f" % (fl / raw / 1e9) if raw else "-",
            "%s %.1f" % (best[0], fl / best[1] / 1e9) if best else "-", "%.2fx" % ratio if ratio else "-",
            "%.2fx" % (raw / ours) if raw else "-", ("ok" if ok else "**missed**") + " (>= %.1fx)" % need))
    print()
    print("%d of %d points miss their target." % (missed, sum(1 for t in cases.values() if "orthoconv" in t)))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
