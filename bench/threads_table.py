#!/usr/bin/env python3
"""The thread table of ./run.sh bench: ours on 1 and T threads beside every anchor
on T threads, from the one-thread run's JSON and the --ocb_threads=T run's JSON.
  threads_table.py ONE_THREAD.json T_THREADS.json"""
import json
import re
import statistics
import sys


def medians(path):
    doc = json.load(open(path))
    runs = {}
    for b in doc.get("benchmarks", []):
        if b.get("run_type") == "aggregate" or b.get("error_occurred"):
            continue
        runs.setdefault(b["run_name"], []).append(b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3}.get(b.get("time_unit", "ns"), 1e-9))
    # Bytes per second of the read probes from wall time (their BYTES counter is per
    # CPU second of the calling thread, which says nothing on T threads).
    rate = {k: b_ws / statistics.median(v) for k, v in runs.items() for b_ws in [ws(doc, k)] if b_ws}
    return {k: statistics.median(v) for k, v in runs.items()}, rate, doc


def ws(doc, name):
    for b in doc.get("benchmarks", []):
        if b.get("run_name") == name and name.startswith("probe/read/"):
            return b.get("ws_bytes")
    return None


def main():
    one, _, _ = medians(sys.argv[1])
    many, rates, doc = medians(sys.argv[2])
    t = int(doc["context"].get("ocb_threads", "2"))
    probe = next((v for k, v in rates.items() if k.startswith("probe/read/256MiB/threads")), None)
    probe1 = next((v for k, v in medians(sys.argv[1])[1].items() if k == "probe/read/256MiB"), None)
    cases, same1 = {}, {}
    for name, sec in many.items():
        m = re.match(r"^(fwd|fwd_bf16|qfwd|bwd_data|bwd_weights)/([^/]+)/M:(\d+)/K:(\d+)/N:(\d+)(/frozen:0)?/threads:(\d+)/(warm|cold)$", name)
        if not m:
            continue
        op, impl, M, K, N, fz, nt, cache = m.groups()
        key = (op, int(M), int(K), int(N), cache)
        if int(nt) == 1:  # ours without the pool, in this same run
            same1[key] = sec
            continue
        cases.setdefault(key, {})[impl] = (sec, name.replace("/threads:%d" % t, ""))
    print("Threads: %d (pinned to cores 0-%d), medians of interleaved repetitions, microseconds; ours on 1 thread "
          "(no pool) and on %d interleaved in the same run%s." % (t, t - 1, t, "" if same1 else " (1 thread: from the one-core run)"))
    if probe:
        print("Read bandwidth at 256 MiB: %.1f GB/s on %d threads%s." % (probe / 1e9, t, ", %.1f GB/s on one" % (probe1 / 1e9) if probe1 else ""))
    print()
    print("| op | M x K x N | cache | ours, 1 thread | ours, %d threads | scaling | best anchor, %d threads | ours / it |" % (t, t))
    print("|---|---|---|---|---|---|---|---|")
    for key in sorted(cases, key=lambda k: (k[0], k[1], k[4])):
        op, M, K, N, cache = key
        row = cases[key]
        ours_name = "orthoconv"
        if ours_name not in row:
            continue
        sec_t, base_name = row[ours_name]
        sec_1 = same1.get(key, one.get(base_name))
        anchors = {k: v[0] for k, v in row.items() if not k.startswith("orthoconv")}
        best = min(anchors.items(), key=lambda kv: kv[1]) if anchors else None
        extra = ""
        xb = {"fwd": 4.0, "fwd_bf16": 2.0, "qfwd": 1.0}.get(op)
        if xb and M >= 50176 and probe:
            extra = " (X at %.1f GB/s, %.0f%% of the %d-thread probe)" % (xb * M * K / sec_t / 1e9, 100.0 * xb * M * K / sec_t / probe, t)
        print("| %s | %dx%dx%d | %s | %s | %.1f%s | %s | %s | %s |" % (
            op, M, K, N, cache, "%.1f" % (sec_1 * 1e6) if sec_1 else "-", sec_t * 1e6, extra,
            "%.2fx" % (sec_1 / sec_t) if sec_1 else "-",
            "%.1f (%s)" % (best[1] * 1e6, best[0]) if best else "-",
            "%.2fx" % (best[1] / sec_t) if best else "-"))


if __name__ == "__main__":
    main()
