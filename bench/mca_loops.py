#!/usr/bin/env python3
"""NEON (and x86) kernels on paper: compiles each kernel file to assembly with the
compiler the build uses (-O3, the ISA's flags), finds the hot loop of every
kernel (the innermost loop with the most FMAs), and has llvm-mca estimate its
cycles per iteration on several core models, against the FMA-pipe bound of the
same model (its time for a block of independent FMAs). The bf16 and int8 NEON
kernels likewise, against the model's time for their own multiply-accumulate
instructions (BFDOT, SDOT, USMMLA, ... or the widening kernels' FMLA, SMULL and
SADALP) as a block of independent ones. A model estimate, not a measurement: no
Arm hardware here.

usage: bench/mca_loops.py [--measured RESULT.json] [--update FILE.md ...]
  --measured: a bench summary of this machine; x86 rows then show the measured
              share of the FMA peak of the same variant, the check of the method.
  --update:   rewrite the text between <!-- mca:begin --> and <!-- mca:end -->.
Needs aarch64-linux-gnu-gcc, gcc and llvm-mca (llvm-mca-16 preferred: LLVM 14
models Neoverse N1/V1 and Cortex-A76 with its Cortex-A57 tables)."""
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPS = ("fwd", "bwd_data", "bwd_weights", "gram")
ARM_MODELS = ("neoverse-n1", "neoverse-v1", "apple-m1", "cortex-a76")
X86_MODELS = ("znver3", "znver4")
TARGET = "neoverse-v1"  # issue 12: every hot loop within 85% of its FMA bound there
BEGIN, END = "<!-- mca:begin -->", "<!-- mca:end -->"

FMA_ARM = re.compile(r"^\s*(fmla|fmls)\s+v\d+\.(4s|2s|2d)")
# The bf16 / int8 NEON files, with the flags kernels/meson.build gives them, and
# their multiply-accumulate instructions (each: a template of an independent one).
LP_ARM = (("fwd_bf16/neon_bf16.c", "armv8.2-a+bf16"), ("fwd_bf16/neon_wide.c", "armv8-a"),
          ("fwd_q8/neon_dotprod.c", "armv8.2-a+dotprod"), ("fwd_q8/neon_i8mm.c", "armv8.2-a+i8mm"),
          ("fwd_q8/neon_wide.c", "armv8-a"))
MAC_ARM = {"fmla": "fmla v%d.4s, v30.4s, v31.4s", "bfdot": "bfdot v%d.4s, v30.8h, v31.8h",
           "bfmmla": "bfmmla v%d.4s, v30.8h, v31.8h", "sdot": "sdot v%d.4s, v30.16b, v31.16b",
           "udot": "udot v%d.4s, v30.16b, v31.16b", "smmla": "smmla v%d.4s, v30.16b, v31.16b",
           "usmmla": "usmmla v%d.4s, v30.16b, v31.16b", "ummla": "ummla v%d.4s, v30.16b, v31.16b",
           "smull": "smull v%d.8h, v30.8b, v31.8b", "smull2": "smull2 v%d.8h, v30.16b, v31.16b",
           "sadalp": "sadalp v%d.4s, v30.8h"}
MAC_ARM_RE = re.compile(r"^\s*(%s)\s+v\d+\.(4s|8h)" % "|".join(MAC_ARM))
FMA_X86 = re.compile(r"^\s*vf(n)?m(add|sub)\d+ps\s+.*%([xyz])mm")
BRANCH_ARM = re.compile(r"^\s*(b\.?(?:eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)|cbn?z|tbn?z|b)\s+(?:[^,]+,\s*)*(\.L\w+)\s*$")
BRANCH_X86 = re.compile(r"^\s*j\w+\s+(\.L\w+)\s*$")
LABEL = re.compile(r"^(\.L\w+):")
FUNC = re.compile(r"^([A-Za-z_][\w.]*):")


def mca_binary():
    for b in ("llvm-mca-16", "llvm-mca"):
        if shutil.which(b):
            return b
    return None


def compile_asm(job):
    src, cc, flags, conf = job
    r = subprocess.run([cc, "-O3", "-std=c11", "-S", "-o", "-", "-I", conf] +
                       ["-I" + os.path.join(TOP, d) for d in ("include", "kernels", "kernels/common", "dispatch", ".")] +
                       flags + [src], capture_output=True, text=True)
    return src, r.stdout if r.returncode == 0 else None, r.stderr[-500:]


def loops(asm, arm, work=None):
    """{function: [(n_fma, lanes, body lines)]} of the innermost loops (a label and
    a later branch back to it, no other back edge inside); work: the regex of the
    instructions counted (default: the FMAs)."""
    func, labels, out = None, {}, {}
    lines = asm.splitlines()
    fma = work or (FMA_ARM if arm else FMA_X86)
    br = BRANCH_ARM if arm else BRANCH_X86
    edges = []
    for i, ln in enumerate(lines):
        m = FUNC.match(ln)
        if m and not ln.startswith(".L"):
            func, labels = m.group(1), {}
            continue
        m = LABEL.match(ln)
        if m:
            labels[m.group(1)] = i
            continue
        m = br.match(ln)
        if m and func:
            target = m.group(m.lastindex)
            if target in labels:
                edges.append((labels[target], i, func))
    for s, e, f in edges:
        if any(s < s2 and e2 <= e and (s2, e2) != (s, e) for s2, e2, _ in edges):
            continue  # not innermost
        body = [ln for ln in lines[s + 1:e + 1] if ln.strip() and not ln.lstrip().startswith((".", "//", "#"))
                and not LABEL.match(ln)]
        n = 0
        lanes = 4
        for ln in body:
            m = fma.match(ln)
            if m:
                n += 1
                if not work:
                    lanes = ({"4s": 4, "2s": 2, "2d": 2}[m.group(2)] if arm else {"x": 4, "y": 8, "z": 16}[m.group(3)])
        if n:
            out.setdefault(f, []).append((n, lanes, body))
    return out


def mca(binary, triple, cpu, body):
    r = subprocess.run([binary, "-mtriple=" + triple, "-mcpu=" + cpu, "-iterations=200"], input="\n".join(body) + "\n",
                       capture_output=True, text=True)
    it = re.search(r"Iterations:\s+(\d+)", r.stdout)
    cyc = re.search(r"Total Cycles:\s+(\d+)", r.stdout)
    if r.returncode != 0 or not it or not cyc:
        return None
    return int(cyc.group(1)) / int(it.group(1))


def why(binary, triple, cpu, body, fma, what="the FMAs"):
    """What else the loop spends its issue slots on, and the model's bottleneck:
    the reason a loop stays under its FMA bound."""
    counts = {}
    for ln in body:
        op = ln.split()[0]
        if not fma.match(ln):
            counts[op] = counts.get(op, 0) + 1
    mix = ", ".join("%d %s" % (n, op) for op, n in sorted(counts.items(), key=lambda kv: -kv[1])[:4])
    r = subprocess.run([binary, "-mtriple=" + triple, "-mcpu=" + cpu, "-iterations=100", "-bottleneck-analysis"],
                       input="\n".join(body) + "\n", capture_output=True, text=True).stdout
    dep = re.search(r"Data Dependencies:\s+\[\s*([\d.]+)%", r)
    res = re.findall(r"- (\w+)\s+\[\s*([\d.]+)%", r)
    top = max(res, key=lambda x: float(x[1]))[0] if res else None
    tail = []
    if top:
        tail.append("pressure on %s" % top)
    if dep and float(dep.group(1)) > 20:
        tail.append("dependencies %s%%" % dep.group(1).split(".")[0])
    return "%d instructions, besides %s %s%s" % (len(body), what, mix, "; " + ", ".join(tail) if tail else "")


def fma_rate(binary, triple, cpu, arm, reg):
    """FMAs per cycle of the model: 12 independent ones."""
    body = ["fmla v%d.4s, v30.4s, v31.4s" % i for i in range(12)] if arm else \
        ["vfmadd231ps %%%s14, %%%s15, %%%s%d" % (reg, reg, reg, i) for i in range(12)]
    c = mca(binary, triple, cpu, body)
    return 12 / c if c else None


def mac_bound(binary, cpu, body):
    """The model's cycles for the loop's multiply-accumulates alone, each into its
    own register (no dependence between them): the pipes' bound of the loop, or
    None where the model lacks one of them."""
    ops = [MAC_ARM_RE.match(ln).group(1) for ln in body if MAC_ARM_RE.match(ln)]
    return mca(binary, "aarch64-linux-gnu", cpu, [MAC_ARM[o] % (i % 28) for i, o in enumerate(ops)]) if ops else None


def family(name):
    return re.sub(r"(_\d+x\d+|_\d+)+$", "", name)


def hot_loops(per_file):
    """Per family of functions (tiles differing only in their size suffix), the
    member whose hottest loop has the most FMAs: the full tile of the kernel."""
    rows = []
    for src, funcs in per_file:
        best = {}
        for f, ls in funcs.items():
            n, lanes, body = max(ls, key=lambda x: x[0])
            if n < 4:
                continue
            fam = family(f)
            if fam not in best or n > best[fam][1]:
                best[fam] = (f, n, lanes, body)
        for fam in sorted(best):
            rows.append((os.path.relpath(src, TOP),) + best[fam])
    return rows


def measured_share(summary, variants):
    """The best measured share of the FMA peak of its ISA among the variants of a
    kernel file (warm cases: the data in cache, the closest to FMA-bound)."""
    if not summary:
        return None
    best = None
    peaks = summary["probes"]["fma_flops"]
    for name, c in summary["cases"].items():
        parts = name.split("/")
        if len(parts) > 2 and parts[1][2:] in variants and c.get("FLOPS") and name.endswith("/warm"):
            share = c["FLOPS"] / peaks.get("avx512" if "avx512" in parts[1] else "avx2", float("inf"))
            best = share if best is None or share > best else best
    return best


def main(argv):
    measured, update = None, []
    i = 0
    while i < len(argv):
        if argv[i] == "--measured":
            measured = argv[i + 1]
            i += 1
        elif argv[i] == "--update":
            while i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                update.append(argv[i + 1])
                i += 1
        else:
            sys.exit(__doc__)
        i += 1
    binary = mca_binary()
    if not binary:
        sys.exit("mca_loops: no llvm-mca (Debian: llvm-16 or llvm)")
    summary = None
    if measured:
        with open(measured) as f:
            summary = json.load(f)
    conf = tempfile.mkdtemp()
    with open(os.path.join(conf, "orthoconv_config.h"), "w") as f:
        f.write("#define ORTHOCONV_HAVE_AVX2 1\n#define ORTHOCONV_HAVE_AVX512 1\n#define ORTHOCONV_HAVE_NEON 1\n"
                "#define ORTHOCONV_VERSION_STRING \"mca\"\n")
    jobs = []
    have_arm = shutil.which("aarch64-linux-gnu-gcc")
    for op in OPS:
        if have_arm:
            jobs.append((os.path.join(TOP, "kernels", op, "neon.c"), "aarch64-linux-gnu-gcc", ["-march=armv8-a"], conf))
        for src in sorted(os.listdir(os.path.join(TOP, "kernels", op))):
            isa = "avx512" if src.startswith("avx512") else "avx2" if src.startswith("avx2") else None
            if isa and src.endswith(".c"):
                flags = ["-mavx2", "-mfma"] + (["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl"] if isa == "avx512" else [])
                jobs.append((os.path.join(TOP, "kernels", op, src), "gcc", flags, conf))
    for src, march in LP_ARM if have_arm else ():
        jobs.append((os.path.join(TOP, "kernels", src), "aarch64-linux-gnu-gcc", ["-march=" + march, "-ffp-contract=off"], conf))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        compiled = list(ex.map(compile_asm, jobs))
    shutil.rmtree(conf, ignore_errors=True)
    arm_files, lp_files, x86_files, variants = [], [], [], {}
    lp_srcs = {os.path.join(TOP, "kernels", src) for src, _ in LP_ARM}
    for (src, asm, err), job in zip(compiled, jobs):
        if asm is None:
            print("mca_loops: %s did not compile: %s" % (src, err), file=sys.stderr)
            continue
        arm = job[1].startswith("aarch64")
        if src in lp_srcs:
            lp_files.append((src, loops(asm, True, MAC_ARM_RE)))
            continue
        (arm_files if arm else x86_files).append((src, loops(asm, arm)))
        variants[src] = set(re.findall(r"^orthoconv_\w+?_ukernel_(\w+):", asm, re.M))
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    version = re.search(r"LLVM version ([\d.]+)", version)
    gccv = {}
    for cc in ("aarch64-linux-gnu-gcc", "gcc"):
        if shutil.which(cc):
            gccv[cc] = subprocess.run([cc, "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
    out = ["<!-- generated by: bench/mca_loops.py (a model estimate, not a measurement) -->", ""]
    out.append("**Model estimate** (llvm-mca %s on the assembly of gcc %s -O3; no Arm hardware here): per kernel, "
               "its hot loop (the innermost loop with the most FMAs, of its largest tile), cycles per iteration "
               "in each core model and, in brackets, the loop's FMA-pipe bound in that model over that estimate "
               "(100%% = FMA-bound). A model's FMA rate is its own time for independent FMAs; LLVM models "
               "some of these cores with another core's tables (see the rates)." %
               (version.group(1) if version else "?", gccv.get("aarch64-linux-gnu-gcc", "?")))
    out.append("")
    rates = {m: fma_rate(binary, "aarch64-linux-gnu", m, True, None) for m in ARM_MODELS}
    out.append("FMAs (128-bit FMLA) per cycle in each model: " +
               ", ".join("%s %s" % (m, "%.1f" % r if r else "-") for m, r in rates.items()) + ".")
    out.append("")
    out.append("| kernel file | hot loop in | FMLA per iteration | " + " | ".join(ARM_MODELS) + " | under 85%% in %s: why |" % TARGET)
    out.append("|---|---|---|" + "---|" * len(ARM_MODELS) + "---|")
    below = []
    for src, f, n, lanes, body in hot_loops(arm_files):
        cells, reason = [], ""
        for m in ARM_MODELS:
            c = mca(binary, "aarch64-linux-gnu", m, body)
            if c is None or not rates[m]:
                cells.append("-")
                continue
            eff = n / rates[m] / c
            cells.append("%.1f (%.0f%%)" % (c, 100 * eff))
            if m == TARGET and eff < 0.85:
                below.append("%s %s (%.0f%%)" % (os.path.basename(os.path.dirname(src)), f, 100 * eff))
                reason = why(binary, "aarch64-linux-gnu", m, body, FMA_ARM)
        out.append("| %s | `%s` | %d | %s | %s |" % (src, f, n, " | ".join(cells), reason))
    out.append("")
    out.append("The bf16 and int8 kernels (the widening ones run on any NEON core): cycles per iteration and, in "
               "brackets, the model's time for the loop's multiply-accumulate instructions alone (independent) "
               "over that estimate; - where the model lacks the instructions.")
    out.append("")
    out.append("| kernel file | hot loop in | multiply-accumulates per iteration | " + " | ".join(ARM_MODELS) +
               " | under 85%% in %s: why |" % TARGET)
    out.append("|---|---|---|" + "---|" * len(ARM_MODELS) + "---|")
    for src, f, n, lanes, body in hot_loops(lp_files):
        cells, reason = [], ""
        mix = collections.Counter(m.group(1) for m in map(MAC_ARM_RE.match, body) if m)
        for m in ARM_MODELS:
            c, bound = mca(binary, "aarch64-linux-gnu", m, body), mac_bound(binary, m, body)
            if c is None or bound is None:
                cells.append("-")
                continue
            cells.append("%.1f (%.0f%%)" % (c, 100 * bound / c))
            if m == TARGET and bound / c < 0.85:
                below.append("%s %s (%.0f%%)" % (os.path.basename(os.path.dirname(src)), f, 100 * bound / c))
                reason = why(binary, "aarch64-linux-gnu", m, body, MAC_ARM_RE, "the multiply-accumulates")
        out.append("| %s | `%s` | %s | %s | %s |" % (src, f, " + ".join("%d %s" % (k, o) for o, k in sorted(mix.items())),
                                                    " | ".join(cells), reason))
    out.append("")
    out.append("Below 85%% of their bound in the %s model: %s." % (TARGET, ", ".join(below) if below else "none"))
    out += ["", "The same method on the x86 kernels (gcc %s), against this machine's measurements when a bench "
            "summary is given: the measured share is the best warm case of the file's variants over the FMA peak "
            "probe of its ISA (whole calls, not only their inner loops)." % gccv.get("gcc", "?"), ""]
    xr = {m: {reg: fma_rate(binary, "x86_64", m, False, reg) for reg in ("ymm", "zmm")} for m in X86_MODELS}
    out.append("FMAs per cycle in each model: " + ", ".join(
        "%s %s ymm / %s zmm" % (m, "%.1f" % r["ymm"] if r["ymm"] else "-", "%.1f" % r["zmm"] if r["zmm"] else "-")
        for m, r in xr.items()) + ".")
    out.append("")
    out.append("| kernel file | hot loop in | FMA per iteration | " + " | ".join(X86_MODELS) + " | measured, best of the file |")
    out.append("|---|---|---|" + "---|" * len(X86_MODELS) + "---|")
    for src, f, n, lanes, body in hot_loops(x86_files):
        reg = "zmm" if lanes == 16 else "ymm"
        cells = []
        for m in X86_MODELS:
            c = mca(binary, "x86_64", m, body)
            r = xr[m][reg]
            cells.append("-" if c is None or not r else "%.1f (%.0f%%)" % (c, 100 * n / r / c))
        share = measured_share(summary, variants.get(os.path.join(TOP, src), set()))
        out.append("| %s | `%s` | %d %s | %s | %s |" % (src, f, n, reg, " | ".join(cells),
                                                       "%.0f%%" % (100 * share) if share else "-"))
    text = "\n".join(out)
    print(text)
    for fn in update:
        with open(fn) as f:
            doc = f.read()
        if BEGIN not in doc or END not in doc:
            sys.exit("%s: no %s ... %s lines to replace" % (fn, BEGIN, END))
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        with open(fn + ".tmp", "w") as f:
            f.write(head + BEGIN + "\n" + text + "\n" + END + tail)
        os.replace(fn + ".tmp", fn)


if __name__ == "__main__":
    main(sys.argv[1:])
