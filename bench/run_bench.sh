#!/usr/bin/env bash
# Runs orthoconv-bench pinned to one core, prints the headline table (forward,
# K=1024 N=10, with anchors and roofline) as soon as it is measured, then the
# rest, and writes OUT_ROOT/<cpu-name>/bench-<time>.json (+ bench.json, the
# latest), table-<time>.txt and PNG plots.
#
# usage: bench/run_bench.sh BUILD_DIR OUT_ROOT [--full] [--core N] [--reps N]
#            [--min-time SECONDS] [--filter REGEX] [-- more Google Benchmark flags]
#   --full       every shape, cold runs, activations, frozen variants (longer)
#   --core N     the core to pin to (default 1, or $OCB_CORE; 0 on a one-core machine)
#   --filter RE  only the cases matching RE (Google Benchmark regex), one phase
# ORTHOCONV_PROFILE / ORTHOCONV_ISA are passed through to the library.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '7,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 2 ] || usage
build=$1 root=$2
shift 2
full=0 core=${OCB_CORE:-1} reps="" min_time="" filter="" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    --core) core=$2; shift ;;
    --reps) reps=$2; shift ;;
    --min-time) min_time=$2; shift ;;
    --filter) filter=$2; shift ;;
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
cpu=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo | tr -cs 'A-Za-z0-9' '-' | sed 's/-$//')
[ -n "$cpu" ] || cpu=$(uname -m)
out=$root/$cpu
mkdir -p "$out" || exit 1
stamp=$(date -u +%Y%m%dT%H%M%SZ)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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
  python3 "$here/report.py" table --headline "$tmp/1.json" | tee "$out/table-$stamp.txt"
  echo
  echo "== the other ops$([ $full = 1 ] && echo ' and shapes') ($(( $(date +%s) - t0 )) s so far)"
  run "$tmp/2.json" "$tmp/2.log" "-$headline" || exit 1
  cat "$tmp/2.log" >>"$out/bench-$stamp.log"
  jsons+=("$tmp/2.json")
fi

json=$out/bench-$stamp.json
python3 "$here/report.py" merge "$json" cpu_name="$cpu" core="$core" mode=$([ $full = 1 ] && echo full || echo default) \
  repetitions="$reps" min_time="$min_time" utc="$stamp" profile="${ORTHOCONV_PROFILE:-}" \
  commit="$(git -C "$here" describe --always --dirty 2>/dev/null)" -- "${jsons[@]}" || exit 1
cp "$json" "$out/bench.json"
if [ -n "$filter" ]; then
  python3 "$here/report.py" table "$json" | tee "$out/table-$stamp.txt"
else
  python3 "$here/report.py" table --rest "$tmp/1.json" "$tmp/2.json" | tee -a "$out/table-$stamp.txt"
fi
echo
python3 "$here/report.py" summary "$json" | tee -a "$out/table-$stamp.txt"
python3 "$here/compare" -o "$out" "$json" >/dev/null || echo "(plots not drawn)"
echo
echo "== $(( $(date +%s) - t0 )) s; wrote $json (and bench.json), table-$stamp.txt, $(cd "$out" && ls ./*.png 2>/dev/null | wc -l) PNG(s) in $out"
