"""Reads orthoconv-bench JSON (Google Benchmark's format) and makes the tables:
medians of the repetitions, the roofline from the probes of the same run, the
ratio to the best anchor. Python 3 standard library only."""
import json
import os
import re
import statistics

UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# Spread (max - min) / median of the repetition times above which a case is flagged.
NOISY = float(os.environ.get("OCB_NOISY", "0.20"))
NAME = re.compile(r"^(?P<op>[^/]+)/(?P<impl>[^/]+)/M:(?P<M>\d+)/K:(?P<K>\d+)/N:(?P<N>\d+)(?P<extra>(/[^/]+)*?)/(?P<temp>warm|cold)$")


def load(paths):
    """One merged document from several bench JSON files (later files add cases)."""
    doc = {"context": {}, "benchmarks": [], "orthoconv": {}}
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        doc["context"].update(d.get("context", {}))
        doc["orthoconv"].update(d.get("orthoconv", {}))
        doc["benchmarks"].extend(d.get("benchmarks", []))
    return doc


def cases(doc):
    """name -> dict with the medians and the spread of the repetitions."""
    reps = {}
    for b in doc["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue
        reps.setdefault(b.get("run_name", b["name"]), []).append(b)
    out = {}
    for name, rs in reps.items():
        c = {"name": name, "reps": len(rs)}
        errs = [r for r in rs if r.get("error_occurred")]
        if errs:
            c["error"] = errs[0].get("error_message", "error")
            out[name] = c
            continue
        times = [r["cpu_time"] * UNIT[r.get("time_unit", "ns")] for r in rs]
        c["time"] = statistics.median(times)
        c["spread"] = (max(times) - min(times)) / c["time"] if c["time"] > 0 else 0
        for k in ("FLOPS", "BYTES", "ws_bytes", "isa", "anchor"):
            vals = [r[k] for r in rs if k in r]
            if vals:
                c[k] = statistics.median(vals)
        c["label"] = rs[0].get("label", "")
        m = NAME.match(name)
        if m:
            c.update(op=m["op"], impl=m["impl"], M=int(m["M"]), K=int(m["K"]), N=int(m["N"]),
                     extra=m["extra"], temp=m["temp"])
        out[name] = c
    return out


def probes(cs):
    """{'fma': {isa: flops/s}, 'read': [(bytes, bytes/s) ascending]} from the probe cases."""
    fma, read = {}, []
    isa_names = {0: "scalar", 1: "avx2", 2: "avx512", 3: "neon"}
    for name, c in cs.items():
        if "time" not in c:
            continue
        if name.startswith("probe/fma/"):
            fma[isa_names.get(int(c.get("isa", 0)), name.split("/")[2])] = c["FLOPS"]
        elif name.startswith("probe/read/"):
            read.append((c["ws_bytes"], c["BYTES"]))
    return {"fma": fma, "read": sorted(read)}


def bandwidth(pr, ws):
    """Read bandwidth for a working set: the smallest probe that holds it; 0 = cold (DRAM)."""
    if not pr["read"]:
        return None
    if ws <= 0:
        return pr["read"][-1][1]
    for size, bw in pr["read"]:
        if size >= ws:
            return bw
    return pr["read"][-1][1]


def roofline(pr, c):
    """Percent of min(FMA peak of the case's ISA, bandwidth at its working set x flops/byte)."""
    isa_names = {0: "scalar", 1: "avx2", 2: "avx512", 3: "neon"}
    bw = bandwidth(pr, c.get("ws_bytes", 0))
    if bw is None or "BYTES" not in c:
        return None
    if not c.get("FLOPS"):
        return 100.0 * c["BYTES"] / bw
    isa = int(c.get("isa", -1))
    peak = pr["fma"].get(isa_names.get(isa)) if isa >= 0 else None
    if peak is None and pr["fma"]:
        peak = max(pr["fma"].values())
    # bf16 and int8: the dot-product instructions (vdpbf16ps, vpdpbusd) issue at the
    # FMA rate here with 2 and 4 products a lane; a widening variant's own roof is lower.
    if peak and c.get("op") in ("fwd_bf16", "qfwd"):
        peak *= 2 if c["op"] == "fwd_bf16" else 4
    intensity = c["FLOPS"] / c["BYTES"]
    roof = min(peak, bw * intensity) if peak else bw * intensity
    return 100.0 * c["FLOPS"] / roof


def group_key(c):
    """Cases that compete: same op, shape, options and cache state. Frozen filters
    do not change the anchors' bar (they cannot skip them)."""
    extra = re.sub(r"/frozen:\d+", "", c.get("extra", ""))
    return (c["op"], c["K"], c["N"], c["M"], extra, c["temp"])


def annotate(cs):
    """Adds roof (%), ratio (best anchor time / this time) to every case."""
    pr = probes(cs)
    best = {}
    for c in cs.values():
        if "op" in c and "time" in c and c.get("anchor") == 1:
            k = group_key(c)
            if k not in best or c["time"] < best[k][0]:
                best[k] = (c["time"], c["impl"])
    for c in cs.values():
        if "op" not in c or "time" not in c:
            continue
        c["roof"] = roofline(pr, c)
        b = best.get(group_key(c))
        if b:
            c["ratio"], c["best_anchor"] = b[0] / c["time"], b[1]
    return pr


def fmt_rate(v, unit=1e9):
    return "-" if v is None else "%.1f" % (v / unit)


def probe_table(pr):
    lines = ["Roofline probes (this core, this run; medians):"]
    for isa, v in sorted(pr["fma"].items(), key=lambda kv: -kv[1]):
        lines.append("  FMA peak %-7s %8.1f GFLOP/s" % (isa, v / 1e9))
    for size, bw in pr["read"]:
        size = int(size)
        s = "%d MiB" % (size >> 20) if size >= 1 << 20 else "%d KiB" % (size >> 10)
        lines.append("  read %-8s     %8.1f GB/s" % (s, bw / 1e9))
    return lines


def case_table(cs, select=lambda c: True):
    """Grouped by shape; within a group ours first (fastest first), then the anchors."""
    groups = {}
    for c in cs.values():
        if "op" in c and select(c):
            groups.setdefault(group_key(c), []).append(c)
    order = {"fwd": 0, "fwd_bf16": 0.1, "qfwd": 0.2, "bwd_data": 1, "bwd_weights": 2, "gram": 3, "reg": 4, "reg_grad": 5,
             "sgd": 6, "adamw": 7}
    lines = []
    hdr = "  %-26s %11s %9s %8s %7s %9s  %s" % ("implementation", "time (us)", "GFLOP/s", "GB/s", "%roof", "vs best", "notes")
    for k in sorted(groups, key=lambda k: (order.get(k[0], 9), k[1] != 1024, k[1], k[2], k[3], k[4], k[5])):
        op, K, N, M, extra, temp = k
        lines.append("")
        shape = "%s K=%d N=%d" % (op, K, N) + ("" if op in ("gram", "reg", "reg_grad", "sgd", "adamw") else " M=%d" % M)
        lines.append("%s%s [%s]" % (shape, extra.replace("/", " "), temp))
        lines.append(hdr)
        rows = sorted(groups[k], key=lambda c: (c.get("anchor", 0), c.get("time", 1e99)))
        for c in rows:
            fz = re.search(r"frozen:(\d+)", c.get("extra", ""))
            impl = c["impl"] + (" frozen:" + fz.group(1) if fz and fz.group(1) != "0" else "")
            if "error" in c:
                lines.append("  %-26s %s" % (impl, c["error"]))
                continue
            notes = []
            if c["spread"] > NOISY:
                notes.append("NOISY (spread %.0f%% over %d reps)" % (100 * c["spread"], c["reps"]))
            if c.get("label"):
                notes.append("ran " + c["label"].replace("orthoconv_", "").replace("_ukernel_", ":"))
            if c.get("anchor") == 2:
                notes.append("baseline, not an anchor")
            ratio = "%.2fx" % c["ratio"] if "ratio" in c else "-"
            roof = "%.0f" % c["roof"] if c.get("roof") is not None else "-"
            lines.append("  %-26s %11.2f %9s %8s %7s %9s  %s" % (
                impl, c["time"] * 1e6, fmt_rate(c.get("FLOPS")), fmt_rate(c.get("BYTES")), roof, ratio, "; ".join(notes)))
    return lines


LP_OPS = ("fwd", "fwd_bf16", "qfwd")


def is_headline(c):
    """The forward at K=1024 N=10, in fp32, bf16 and int8."""
    return c.get("op") in LP_OPS and c.get("K") == 1024 and c.get("N") == 10 and not c.get("extra")


def summary_table(cs):
    """The headline in one matrix: rows M x cache state, GFLOP/s per implementation
    (our API, our fastest variant, each anchor), then %roof and ratio of the API."""
    rows = {}
    anchors = []
    for c in cs.values():
        if not is_headline(c) or c["op"] != "fwd" or "time" not in c:
            continue
        rows.setdefault((c["temp"] != "warm", c["M"]), []).append(c)
        if c.get("anchor") and c["impl"] not in anchors:
            anchors.append(c["impl"])
    anchors.sort(key=lambda a: (a.startswith("gcc"), a))
    cols = ["orthoconv", "best k:"] + anchors
    lines = ["| M | cache | " + " | ".join(cols) + " | orthoconv %roof | orthoconv vs best anchor |",
             "|---" * (len(cols) + 4) + "|"]
    for (cold, M), cs_ in sorted(rows.items()):
        by = {c["impl"]: c for c in cs_}
        ks = [c for c in cs_ if c["impl"].startswith("k:")]
        bestk = max(ks, key=lambda c: c.get("FLOPS", 0)) if ks else None
        cells = []
        for col in cols:
            c = bestk if col == "best k:" else by.get(col)
            v = fmt_rate(c.get("FLOPS")) if c else "-"
            cells.append(v + (" (%s)" % c["impl"][2:] if col == "best k:" and c else ""))
        api = by.get("orthoconv", {})
        roof = "%.0f%%" % api["roof"] if api.get("roof") is not None else "-"
        ratio = "%.2fx" % api["ratio"] if "ratio" in api else "-"
        lines.append("| %d | %s | %s | %s | %s |" % (M, "cold" if cold else "warm", " | ".join(cells), roof, ratio))
    return lines


def summary_lp_table(cs, pr):
    """bf16 and int8 beside fp32 at the headline shape: our layers' GFLOP/s (2 M K N
    flops a call), their speed-up over our fp32 layer, the best anchor of each
    precision and our ratio to it, and how fast each reads X (bytes of X / s)
    against the DRAM probe."""
    rows = {}
    for c in cs.values():
        if is_headline(c) and "time" in c:
            rows.setdefault((c["temp"] != "warm", c["M"]), {}).setdefault(c["op"], []).append(c)
    if not any("fwd_bf16" in r or "qfwd" in r for r in rows.values()):
        return []
    dram = pr["read"][-1][1] if pr["read"] else None
    lines = ["| M | cache | fp32 | bf16 | int8 | bf16/fp32 | int8/fp32 | best fp32 anchor | best bf16 anchor | bf16 vs it "
             "| best int8 anchor | int8 vs it | X GB/s fp32 / bf16 / int8 (DRAM probe %s) |" % (
                 "%.0f" % (dram / 1e9) if dram else "-"),
             "|---" * 13 + "|"]

    def ours(lst):
        return next((c for c in lst if c["impl"] == "orthoconv"), None)

    def best_anchor(lst):
        a = [c for c in lst if c.get("anchor") == 1]
        return min(a, key=lambda c: c["time"]) if a else None

    def xrate(c, e):
        return "-" if not c else "%.1f" % (c["M"] * c["K"] * e / c["time"] / 1e9)

    for (cold, M), by in sorted(rows.items()):
        f, b, q = ours(by.get("fwd", [])), ours(by.get("fwd_bf16", [])), ours(by.get("qfwd", []))
        af, ab, aq = best_anchor(by.get("fwd", [])), best_anchor(by.get("fwd_bf16", [])), best_anchor(by.get("qfwd", []))

        def g(c):
            return fmt_rate(c.get("FLOPS")) if c else "-"

        def ratio(a, b_):
            return "%.2fx" % (b_["time"] / a["time"]) if a and b_ else "-"

        def named(c):
            return "%s %s" % (c["impl"], g(c)) if c else "-"

        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s |" % (
            M, "cold" if cold else "warm", g(f), g(b), g(q), ratio(b, f), ratio(q, f), named(af), named(ab), ratio(b, ab),
            named(aq), ratio(q, aq), xrate(f, 4), xrate(b, 2), xrate(q, 1)))
    return lines
