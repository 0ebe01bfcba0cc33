#!/usr/bin/env python3
"""Two builds of orthoconv-bench (say, before and after a change) on the same cases,
interleaved: ROUNDS rounds, each running A then B with Google Benchmark's random
interleaving, pinned to one core. Prints the median time of every case in each
build and the ratio A/B (above 1: B is faster).
  ab_builds.py BUILD_A BUILD_B FILTER [--rounds 3] [--core 1] [--reps 5] [--shapes 1]
--shapes 1: the cases of --ocb_shapes (the shape grid) as well.
BUILD_x: a build directory holding bench/orthoconv-bench. The library inside each
uses its own built-in defaults unless ORTHOCONV_PROFILE is set."""
import json
import os
import statistics
import subprocess
import sys
import tempfile

UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def run(build, flt, core, reps, out, shapes):
    exe = os.path.join(build, "bench", "orthoconv-bench")
    cmd = ["taskset", "-c", str(core), exe] + (["--ocb_shapes"] if shapes else []) + ["--benchmark_filter=" + flt, "--benchmark_repetitions=%d" % reps,
           "--benchmark_enable_random_interleaving=true", "--benchmark_min_time=0.05",
           "--benchmark_out=" + out, "--benchmark_out_format=json"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = {}
    for b in json.load(open(out))["benchmarks"]:
        if b.get("run_type") == "iteration" and not b.get("error_occurred"):
            times.setdefault(b["run_name"], []).append(b["real_time"] * UNIT.get(b.get("time_unit", "ns"), 1e-9))
    return times


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    a, b, flt = argv[:3]
    opts = dict(zip(argv[3::2], argv[4::2]))
    rounds, core, reps = int(opts.get("--rounds", 3)), int(opts.get("--core", 1)), int(opts.get("--reps", 5))
    shapes = opts.get("--shapes", "0") != "0"
    ta, tb = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for build, acc, tag in ((a, ta, "a"), (b, tb, "b")):
                for k, v in run(build, flt, core, reps, os.path.join(tmp, "%s%d.json" % (tag, r)), shapes).items():
                    acc.setdefault(k, []).extend(v)
    print("A = %s, B = %s; %d rounds x %d repetitions each, core %d; medians in microseconds" % (a, b, rounds, reps, core))
    print()
    print("| case | A | B | A / B |")
    print("|---|---|---|---|")
    for k in sorted(set(ta) & set(tb)):
        ma, mb = statistics.median(ta[k]), statistics.median(tb[k])
        print("| %s | %.2f | %.2f | %.3f |" % (k, ma * 1e6, mb * 1e6, ma / mb))


if __name__ == "__main__":
    main(sys.argv[1:])
