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


# The ops each anchor answers (the anchor modules register these); an anchor that is
# missing gets a MISSING row in those groups instead of silently no row.
ANCHOR_OPS = {"openblas": ("fwd", "bwd_data", "bwd_weights", "reg"), "blis": ("fwd", "bwd_data", "bwd_weights", "reg"),
              "onednn": ("fwd",), "xnnpack": ("fwd",), "libxsmm": ("fwd",)}


def anchor_states(doc):
    """{name: (present, message)} from what the bench said about each anchor
    (context ocb_anchor_NAME), with the Debian package state run_bench.sh saw
    (orthoconv.anchor_pkgs "name=package:state ...") added to a missing one's reason."""
    pkgs = {}
    for item in str(doc.get("orthoconv", {}).get("anchor_pkgs", "")).split():
        name, _, rest = item.partition("=")
        pkgs[name] = rest.split(":", 1) if ":" in rest else (rest, "")
    out = {}
    for k, v in doc.get("context", {}).items():
        if not k.startswith("ocb_anchor_"):
            continue
        name = k[len("ocb_anchor_"):]
        state, _, msg = str(v).partition(": ")
        if state != "ok":
            pkg, st = pkgs.get(name, ("", ""))
            if st == "installed":
                msg = "STALE BUILD: %s is installed now, but %s" % (pkg, msg)
            elif st:
                msg = "%s is not installed (%s); %s" % (pkg, st, msg)
        out[name] = (state == "ok", msg)
    return out


def missing_anchors(doc):
    return {n: m for n, (ok, m) in anchor_states(doc).items() if not ok}


def missing_lines(doc, width=0):
    """The loud note printed above and below tables when an anchor is absent."""
    miss = missing_anchors(doc)
    if not miss:
        return []
    lines = ["!! %d ANCHOR(S) MISSING from this run: %s. 'vs best anchor' compares with the others only." %
             (len(miss), ", ".join(sorted(miss)))]
    for n in sorted(miss):
        lines.append("!! %s MISSING: %s" % (n, miss[n]))
    return lines


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


def case_table(cs, select=lambda c: True, missing=None):
    """Grouped by shape; within a group ours first (fastest first), then the anchors,
    then a MISSING row for each absent anchor that answers this op (missing: name -> why)."""
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
        for name in sorted(missing or {}):
            if op in ANCHOR_OPS.get(name, ()) and (op != "reg" or "reg:SO" in extra):
                lines.append("  %-26s %11s  MISSING: not in this run (why: see the !! lines)" % (name, "-"))
    return lines


LP_OPS = ("fwd", "fwd_bf16", "qfwd")


def is_headline(c):
    """The forward at K=1024 N=10, in fp32, bf16 and int8."""
    return c.get("op") in LP_OPS and c.get("K") == 1024 and c.get("N") == 10 and not c.get("extra")


def summary_table(cs, missing=None):
    """The headline in one matrix: rows M x cache state, GFLOP/s per implementation
    (our API, our fastest variant, each anchor), then %roof and ratio of the API.
    A missing anchor keeps its column, every cell MISSING, and a line below says why."""
    rows = {}
    anchors = [n for n in sorted(missing or {})]
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
            v = fmt_rate(c.get("FLOPS")) if c else "**MISSING**" if col in (missing or {}) else "-"
            cells.append(v + (" (%s)" % c["impl"][2:] if col == "best k:" and c else ""))
        api = by.get("orthoconv", {})
        roof = "%.0f%%" % api["roof"] if api.get("roof") is not None else "-"
        ratio = "%.2fx" % api["ratio"] if "ratio" in api else "-"
        lines.append("| %d | %s | %s | %s | %s |" % (M, "cold" if cold else "warm", " | ".join(cells), roof, ratio))
    if missing and rows:
        lines.append("")
        lines.append("**Anchor(s) MISSING from this run: %s** (the ratio is to the others only)." % ", ".join(sorted(missing)))
        for n in sorted(missing):
            lines.append("- **%s**: %s" % (n, missing[n]))
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


# ---------------------------------------------------------------- summaries --
# bench/results/<cpu>/summary.json: what the README's performance section is
# made of, small enough to keep in the repository (the medians, not the runs).

SUMMARY_KEYS = ("time", "spread", "reps", "FLOPS", "BYTES", "ws_bytes", "isa", "anchor", "label", "roof", "ratio",
                "best_anchor", "error")


def summary_doc(doc):
    """The small summary of one merged run document (after cases + annotate)."""
    cs = cases(doc)
    pr = annotate(cs)
    ctx, oc = doc.get("context", {}), doc.get("orthoconv", {})
    return {
        "format": "orthoconv-bench-summary-1",
        "cpu_class": oc.get("cpu_name", ""),
        "cpu": {k[4:]: v for k, v in ctx.items() if k.startswith("ocb_") and not k.startswith("ocb_anchor_")},
        "run": {k: oc.get(k, "") for k in ("utc", "commit", "mode", "core", "repetitions", "min_time", "profile")},
        "probes": {"fma_flops": pr["fma"], "read_bytes_per_s": [[sz, bw] for sz, bw in pr["read"]]},
        "anchors": {n: {"present": ok, "message": m} for n, (ok, m) in anchor_states(doc).items()},
        "cases": {n: {k: c[k] for k in SUMMARY_KEYS if k in c} for n, c in sorted(cs.items())},
    }


def load_summary_or_run(path):
    """(cpu class, cases with roof and ratio, probes, missing anchors, summary) from
    either a summary.json or a full bench JSON."""
    with open(path) as f:
        d = json.load(f)
    if d.get("format", "").startswith("orthoconv-bench-summary"):
        sm = d
    else:
        sm = summary_doc(load([path]))
    cs = {}
    for name, c in sm["cases"].items():
        c = dict(c, name=name)
        m = NAME.match(name)
        if m:
            c.update(op=m["op"], impl=m["impl"], M=int(m["M"]), K=int(m["K"]), N=int(m["N"]), extra=m["extra"],
                     temp=m["temp"])
        cs[name] = c
    pr = {"fma": sm["probes"]["fma_flops"], "read": [tuple(x) for x in sm["probes"]["read_bytes_per_s"]]}
    miss = {n: a["message"] for n, a in sm.get("anchors", {}).items() if not a["present"]}
    return sm.get("cpu_class") or sm["cpu"].get("cpu_brand", path), cs, pr, miss, sm


def fmt_size(size):
    size = int(size)
    return "%d MiB" % (size >> 20) if size >= 1 << 20 else "%d KiB" % (size >> 10)


def roofline_line(pr):
    fma = ", ".join("%s %.0f" % (k, v / 1e9) for k, v in sorted(pr["fma"].items(), key=lambda kv: -kv[1]))
    bw = ", ".join("%s %.0f" % (fmt_size(sz), b / 1e9) for sz, b in pr["read"])
    return "FMA peak (GFLOP/s): %s; read bandwidth (GB/s): %s" % (fma, bw)


def training_rows(cs):
    """Our public API on every op but the forward, with the fastest anchor of the
    same job (all filters: a BLAS cannot skip frozen ones) and, for frozen
    filters, the fraction of our all-trainable time."""
    ours = [c for c in cs.values() if c.get("impl") == "orthoconv" and c.get("op") not in (None,) + LP_OPS and "time" in c]
    order = {"bwd_data": 1, "bwd_weights": 2, "gram": 3, "reg": 4, "sgd": 6, "adamw": 7}
    regs = ["SO", "DSO", "MC", "SRIP", "KERAS_COLUMNS", "MIRROR_PAIRS"]

    def key(c):
        r = re.search(r"reg:(\w+)", c["extra"])
        fz = re.search(r"frozen:(\d+)", c["extra"])
        return (order.get(c["op"], 9), c["M"], regs.index(r.group(1)) if r else 0, int(fz.group(1)) if fz else 0)

    rows = ["| op | M | orthoconv (us) | GFLOP/s | fastest anchor (us) | ratio | note |", "|---|---|---|---|---|---|---|"]
    for c in sorted(ours, key=key):
        fz = re.search(r"frozen:(\d+)", c["extra"])
        nf = int(fz.group(1)) if fz else 0
        what = c["op"].replace("_", " ") + re.sub(r"/frozen:\d+", "", c["extra"]).replace("/reg:", " ").replace("/", " ")
        if nf:
            what += ", %d of %d frozen" % (nf, c["N"])
        notes = []
        if nf:
            base = cs.get(c["name"].replace("frozen:%d" % nf, "frozen:0"))
            if base and "time" in base:
                notes.append("%.2fx of all-trainable" % (c["time"] / base["time"]))
        if c.get("spread", 0) > NOISY:
            notes.append("noisy (spread %.0f%%)" % (100 * c["spread"]))
        anchor = "%.2f (%s)" % (c["time"] * c["ratio"] * 1e6, c["best_anchor"]) if "ratio" in c else "-"
        rows.append("| %s | %s | %.2f | %s | %s | %s | %s |" % (
            what, c["M"] if c["op"] in ("bwd_data", "bwd_weights") else "-", c["time"] * 1e6, fmt_rate(c.get("FLOPS")),
            anchor, "%.2fx" % c["ratio"] if "ratio" in c else "-", "; ".join(notes)))
    return rows


def markdown(paths):
    """The README's performance section: the headline of every CPU class side by
    side, then per class its roofline, every anchor and the training ops."""
    runs = [load_summary_or_run(p) for p in paths]
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shown = " ".join(os.path.relpath(os.path.abspath(p), top) for p in paths)
    out = ["<!-- generated by: bench/compare --markdown %s (do not edit by hand) -->" % shown, ""]
    out.append("Forward Y = X W, K = 1024, N = 10, one core: GFLOP/s of `orthoconv_layer_forward`, its ratio to "
               "the fastest anchor of the same run, and its share of that CPU's roofline.")
    out.append("")
    heads = {}
    for cpu, cs, _, _, _ in runs:
        for c in cs.values():
            if is_headline(c) and c["op"] == "fwd" and c["impl"] == "orthoconv" and "time" in c:
                heads.setdefault((c["temp"] != "warm", c["M"]), {})[cpu] = c
    out.append("| M | cache | " + " | ".join(cpu for cpu, *_ in runs) + " |")
    out.append("|---|---|" + "---|" * len(runs))
    for (cold, M), by in sorted(heads.items()):
        cells = []
        for cpu, *_ in runs:
            c = by.get(cpu)
            cells.append("-" if not c else "%s GFLOP/s, %s, %s roof" % (
                fmt_rate(c.get("FLOPS")), "%.2fx %s" % (c["ratio"], c["best_anchor"]) if "ratio" in c else "no anchor",
                "%.0f%%" % c["roof"] if c.get("roof") is not None else "-"))
        out.append("| %d | %s | %s |" % (M, "cold" if cold else "warm", " | ".join(cells)))
    for cpu, cs, pr, miss, sm in runs:
        c = sm["cpu"]
        run = sm["run"]
        out += ["", "#### %s" % cpu, ""]
        out.append("%s (%s), family/model/stepping %s, L1d/L2/L3 %s KiB, ISAs %s. Run %s, commit %s, %s mode, "
                   "%s interleaved repetitions, core %s%s; profile: %s." % (
                       c.get("cpu_brand", "?"), c.get("cpu_vendor", "?"), c.get("cpu_family_model_stepping", "?"),
                       c.get("cache_kib_l1d_l2_l3", "?"), c.get("cpu_isas", "?"), run.get("utc", "?"),
                       run.get("commit", "?"), run.get("mode", "?"), run.get("repetitions", "?"), run.get("core", "?"),
                       ", big buffers " + c["big_buffers"] if c.get("big_buffers") else "",
                       os.path.relpath(run["profile"], top) if run.get("profile", "").startswith(top) else
                       run.get("profile") or "built-in defaults"))
        out += ["", "Roofline of this run: " + roofline_line(pr) + ".", ""]
        out += summary_table(cs, miss)
        lp = summary_lp_table(cs, pr)
        if lp:
            out += ["", "The same forward in bf16 and int8 (`orthoconv_layer_forward_bf16`, `orthoconv_qlayer_forward`; "
                    "GFLOP/s count 2 M K N in every precision), same run:", ""] + lp
        out += ["", "Training ops (K = 1024, N = 10), same run:", ""]
        out += training_rows(cs)
    return out
