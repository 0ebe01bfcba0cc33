#!/usr/bin/env bash
# Runs orthoconv-bench pinned to one core, prints the headline table (forward,
# K=1024 N=10, with anchors and roofline) as soon as it is measured, then the
# rest, and writes OUT_ROOT/<cpu-class>/bench-<time>.json (+ bench.json, the
# latest), table-<time>.txt and PNG plots; a default run (no --full, no
# --filter) also keeps bench/results/<cpu-class>/summary.json and table.md.
#
# usage: bench/run_bench.sh BUILD_DIR OUT_ROOT [--full] [--core N] [--reps N]
#            [--min-time SECONDS] [--filter REGEX] [--threads T] [-- more Google Benchmark flags]
#   --full       every shape, cold runs, activations, frozen variants (longer)
#   --core N     the core to pin to (default 1, or $OCB_CORE; 0 on a one-core machine)
#   --filter RE  only the cases matching RE (Google Benchmark regex), one phase
#   --threads T  the thread table's pool size (default 2; 1 = no thread table)
# ORTHOCONV_PROFILE / ORTHOCONV_ISA are passed through to the library.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '8,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 2 ] || usage
build=$1 root=$2
shift 2
full=0 core=${OCB_CORE:-1} reps="" min_time="" filter="" extra=() threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    --core) core=$2; shift ;;
    --reps) reps=$2; shift ;;
    --min-time) min_time=$2; shift ;;
    --filter) filter=$2; shift ;;
    --threads) threads=$2; shift ;;
    --) shift; extra=("$@"); break ;;
    *) usage ;;
  esac
  shift
done
# Repetitions are interleaved at random, so a slow spell of the machine hits
# every contender alike; medians are reported.
[ -n "$reps" ] || reps=$([ $full = 1 ] && echo 7 || echo 5)
[ -n "$min_time" ] || min_time=$([ $full = 1 ] && echo 0.1 || echo 0.04)

exe=$build/bench/orthoconv-bench
if [ ! -x "$exe" ]; then
  echo "no $exe: the benchmarks were not built (Google Benchmark missing? meson setup -Dbench=enabled)"
  exit 1
fi
command -v python3 >/dev/null || { echo "python3 is needed for the tables"; exit 1; }

# Same folder name as run.sh gives the tuning profile.
cpu=$("$here/cpu_class.sh")
out=$root/$cpu
mkdir -p "$out" || exit 1
stamp=$(date -u +%Y%m%dT%H%M%SZ)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Which anchors this build has, against the packages installed now: a missing one
# is named in every table, with the reason.
anchor_pkgs=$("$here/anchor_check.sh" "$build") || echo "!! $build was configured before an installed anchor package: its tables will say MISSING (./run.sh bench re-probes; or meson setup --wipe $build)"

ncpu=$(nproc 2>/dev/null || echo 1)
[ "$core" -lt "$ncpu" ] || core=$((ncpu - 1))
pin=()
if command -v taskset >/dev/null; then
  pin=(taskset -c "$core")
  echo "== pinned to core $core (taskset); every library single-threaded"
else
  echo "== NOT pinned: taskset is missing (util-linux); numbers will be noisier"
fi
# Belt and braces: each anchor is also told 1 thread through its own API.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 BLIS_NUM_THREADS=1 GOTO_NUM_THREADS=1
[ -n "${ORTHOCONV_PROFILE:-}" ] && echo "== tuning profile: $ORTHOCONV_PROFILE"

run() { # json, log, filter
  local args=(--benchmark_filter="$3" --benchmark_repetitions="$reps"
    --benchmark_enable_random_interleaving=true --benchmark_min_time="$min_time"
    --benchmark_out="$1" --benchmark_out_format=json)
  [ $full = 1 ] && args+=(--ocb_full)
  "${pin[@]}" "$exe" "${args[@]}" "${extra[@]}" >"$2" 2>&1
  local rc=$?
  grep -E '^(anchor|orthoconv|profile)' "$2" | sort -u | sed 's/^/   /'
  [ $rc -eq 0 ] || { echo "orthoconv-bench failed (exit $rc); its output:"; tail -n 30 "$2"; }
  return $rc
}

headline='^probe/|^(fwd|fwd_bf16|qfwd)/[^/]+/M:[0-9]+/K:1024/N:10/(warm|cold)$'
jsons=()
t0=$(date +%s)
if [ -n "$filter" ]; then
  echo "== cases matching $filter, $reps repetitions"
  run "$tmp/1.json" "$out/bench-$stamp.log" "^probe/|$filter" || exit 1
  jsons+=("$tmp/1.json")
else
  echo "== headline: forward K=1024 N=10 (fp32, bf16, int8) + roofline probes, $reps interleaved repetitions"
  run "$tmp/1.json" "$out/bench-$stamp.log" "$headline" || exit 1
  jsons+=("$tmp/1.json")
  python3 "$here/report.py" merge "$tmp/1h.json" anchor_pkgs="$anchor_pkgs" -- "$tmp/1.json" || exit 1
  python3 "$here/report.py" table --headline "$tmp/1h.json" | tee "$out/table-$stamp.txt"
  echo
  echo "== the other ops$([ $full = 1 ] && echo ' and shapes') ($(( $(date +%s) - t0 )) s so far)"
  run "$tmp/2.json" "$tmp/2.log" "-$headline" || exit 1
  cat "$tmp/2.log" >>"$out/bench-$stamp.log"
  jsons+=("$tmp/2.json")
fi

json=$out/bench-$stamp.json
# Paths inside the checkout are kept relative to it: the kept summary (and the
# README generated from it) must not depend on where the clone lives.
repo=$(cd "$here/.." && pwd)
profile_rel=${ORTHOCONV_PROFILE:-}
profile_rel=${profile_rel#"$repo"/}
python3 "$here/report.py" merge "$json" cpu_name="$cpu" core="$core" mode=$([ $full = 1 ] && echo full || echo default) \
  repetitions="$reps" min_time="$min_time" utc="$stamp" profile="$profile_rel" anchor_pkgs="$anchor_pkgs" \
  commit="$(git -C "$here" describe --always --dirty 2>/dev/null)" -- "${jsons[@]}" || exit 1
cp "$json" "$out/bench.json"
if [ -n "$filter" ]; then
  python3 "$here/report.py" table "$json" | tee "$out/table-$stamp.txt"
else
  python3 "$here/report.py" table --rest "$json" | tee -a "$out/table-$stamp.txt"
fi
echo
python3 "$here/report.py" summary "$json" | tee -a "$out/table-$stamp.txt"
python3 "$here/compare" -o "$out" "$json" >/dev/null || echo "(plots not drawn)"
if [ -z "$filter" ] && [ $full = 0 ]; then
  # The small files of this CPU class, kept in the repository: the README's
  # performance section is bench/compare --markdown over all of them.
  python3 "$here/report.py" keep "$here/results/$cpu" "$json" &&
    echo "== kept $here/results/$cpu/summary.json and table.md; README sections: bench/compare --update README.md bench/README.md -- bench/results/*/summary.json"
fi
# The thread table: ours (the _mt calls on a pthreadpool) and every anchor that
# can use threads, on T threads pinned to cores 0..T-1; single-threaded-only
# anchors (libxsmm here) are named as missing from it.
if [ -z "$filter" ] && [ "$ncpu" -ge 2 ] && [ "$threads" -ge 2 ]; then
  [ "$threads" -le "$ncpu" ] || threads=$ncpu
  echo
  echo "== thread table: $threads threads (cores 0-$((threads - 1)))"
  tpin=()
  command -v taskset >/dev/null && tpin=(taskset -c "0-$((threads - 1))")
  if "${tpin[@]}" "$exe" --ocb_threads="$threads" --benchmark_filter='^(probe/read/256MiB|fwd/|fwd_bf16/|qfwd/|bwd_data/|bwd_weights/)' \
      --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true --benchmark_min_time="$min_time" \
      --benchmark_out="$tmp/3.json" --benchmark_out_format=json >"$tmp/3.log" 2>&1; then
    grep -E '^anchor' "$tmp/3.log" | sed 's/^/   /'
    cp "$tmp/3.json" "$out/threads-$stamp.json"
    python3 "$here/threads_table.py" "$json" "$tmp/3.json" >"$tmp/threads.md" && tee -a "$out/table-$stamp.txt" <"$tmp/threads.md"
    if [ $full = 0 ] && [ -s "$tmp/threads.md" ]; then
      cp "$tmp/threads.md" "$here/results/$cpu/threads.md" && echo "== kept $here/results/$cpu/threads.md (the thread table)"
    fi
  else
    echo "thread run failed; its output:"
    tail -n 20 "$tmp/3.log"
  fi
fi
echo
echo "== $(( $(date +%s) - t0 )) s; wrote $json (and bench.json), table-$stamp.txt, $(cd "$out" && ls ./*.png 2>/dev/null | wc -l) PNG(s) in $out"
