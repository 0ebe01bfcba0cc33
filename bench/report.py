#!/usr/bin/env python3
"""Prints the tables of one run and writes its JSON. Used by run_bench.sh:
  report.py table [--headline|--rest] RUN.json...  print the tables (the probes
      come from whichever file has them; --rest: all but the headline, no probes)
  report.py summary RUN.json...                 the headline as one Markdown matrix
  report.py merge OUT.json KEY=VALUE... -- RUN.json...   one JSON: Google Benchmark's
      format plus an "orthoconv" block (CPU identity, probe medians, run facts).
  report.py keep DIR RUN.json     the small files kept per CPU class in the repository:
      DIR/summary.json (medians, roofline, anchors, CPU) and DIR/table.md (its
      section of the README, as bench/compare --markdown prints it)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ocb_report as R  # noqa: E402


def table(args):
    paths = [a for a in args if not a.startswith("--")]
    doc = R.load(paths)
    cs = R.cases(doc)
    pr = R.annotate(cs)
    loud = R.missing_lines(doc)
    if loud:
        print("\n".join(loud))
    if "--rest" not in args:
        print("\n".join(R.probe_table(pr)))
    sel = R.is_headline if "--headline" in args else (lambda c: not R.is_headline(c)) if "--rest" in args else (lambda c: True)
    print("\n".join(R.case_table(cs, sel, R.missing_anchors(doc))))
    if loud:
        print("\n" + "\n".join(loud))
    errors = [c for c in cs.values() if "error" in c and sel(c)]
    if errors:
        print("\n%d case(s) did not run (see notes above)." % len(errors))


def merge(args):
    out, rest = args[0], args[1:]
    sep = rest.index("--")
    facts = dict(kv.split("=", 1) for kv in rest[:sep])
    doc = R.load(rest[sep + 1:])
    cs = R.cases(doc)
    pr = R.annotate(cs)
    ctx = doc["context"]
    doc["orthoconv"] = dict(facts, cpu={k[4:]: v for k, v in ctx.items() if k.startswith("ocb_")},
                            probes={"fma_flops": pr["fma"], "read_bytes_per_s": [[s, b] for s, b in pr["read"]]})
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(out + ".tmp", out)


def summary(args):
    doc = R.load(args)
    cs = R.cases(doc)
    pr = R.annotate(cs)
    rows = R.summary_table(cs, R.missing_anchors(doc))
    if len(rows) <= 2:
        return  # no headline case in these files
    fma = ", ".join("%s %.0f" % kv for kv in sorted(((k, v / 1e9) for k, v in pr["fma"].items()), key=lambda kv: -kv[1]))
    bw = ", ".join("%s %.0f" % ("%d MiB" % (int(s) >> 20) if s >= 1 << 20 else "%d KiB" % (int(s) >> 10), b / 1e9)
                   for s, b in pr["read"])
    print("Forward K=1024 N=10, GFLOP/s (median). Probes: FMA peak GFLOP/s %s; read GB/s %s." % (fma, bw))
    print()
    print("\n".join(rows))
    lp = R.summary_lp_table(cs, pr)
    if lp:
        print()
        print("Forward K=1024 N=10 in bf16 and int8 beside fp32 (our layers; GFLOP/s = 2 M K N / time, medians):")
        print()
        print("\n".join(lp))


def keep(args):
    out, run = args[0], args[1]
    os.makedirs(out, exist_ok=True)
    sm = R.summary_doc(R.load([run]))
    path = os.path.join(out, "summary.json")
    with open(path + ".tmp", "w") as f:
        json.dump(sm, f, indent=0, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("\n".join(R.markdown([path])) + "\n")


if __name__ == "__main__":
    cmds = {"table": table, "merge": merge, "summary": summary, "keep": keep}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])
