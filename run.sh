#!/usr/bin/env bash
# The two entry points of the README. Each installs the Debian packages it needs
# (only those missing), builds, and runs:
#   ./run.sh bench   build, quick-tune this machine, headline table vs anchors and roofline
#   ./run.sh test    build and run every test: native, ASan+UBSan, emulated x86 CPUs, AArch64,
#                    ThreadSanitizer, and each libFuzzer harness for a few seconds
#   ./run.sh fuzz [SECONDS]  each libFuzzer harness for SECONDS (default 300)
set -uo pipefail
cd "$(dirname "$0")"
top=$(pwd)

base_pkgs=(meson ninja-build pkgconf gcc g++ binutils libsleef-dev libbenchmark-dev)
test_pkgs=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross libsleef-dev:arm64)
fuzz_pkgs=(clang libclang-rt-14-dev libfuzzer-14-dev)
bench_pkgs=(libopenblas-dev libblis-dev libdnnl-dev libxnnpack-dev libxsmm-dev gnuplot-nox util-linux)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

ensure_pkgs() {
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if printf '%s\n' "${missing[@]}" | grep -q ':arm64$' && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
  fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup() { # dir, meson options...
  local dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null; else meson setup "$dir" "$@" >/dev/null; fi || return 1
  ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

# Like setup, but builds only the named targets: dir target... -- meson options...
setup_only() {
  local dir=$1 targets=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do targets+=("$1"); shift; done
  shift
  if [ -f "$dir/build.ninja" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null; else meson setup "$dir" "$@" >/dev/null; fi || return 1
  ninja -C "$dir" "${targets[@]}" >/dev/null || ninja -C "$dir" "${targets[@]}"
}

fuzz_harnesses=(fuzz_api fuzz_profile fuzz_profile_signed)

# The libFuzzer harnesses (tests/fuzz), built with clang: ASan, UBSan and coverage
# everywhere but in the SIMD kernel files, which get ASan alone (clang needs many
# minutes for UBSan on their unrolled tiles; the gcc sanitizer suite has UBSan there).
build_fuzz() {
  CC=clang setup_only build-fuzz "${fuzz_harnesses[@]/#/tests/fuzz/}" tests/fuzz/profile_seeds -- \
    -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
    "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" \
    -Dkernel_args=-fno-sanitize=undefined,-fno-sanitize=fuzzer-no-link -Dfuzz=true -Dbench=disabled -Dtools=false
}

# Seeds: the API harness's from the repository; the profile harnesses' written now by
# the library itself (orthoconv-tune of the native build, then each of its profiles
# loaded and saved again, and the defaults saved after a reset), so that they follow
# the profile format whatever it is.
fuzz_seeds() {
  local s=build-fuzz/fuzz-seeds tune=build/tune/cli/orthoconv-tune
  rm -rf "$s" && mkdir -p "$s/fuzz_api" "$s/profile" || return 1
  cp tests/fuzz/seeds/fuzz_api/* "$s/fuzz_api/" || return 1
  "$tune" --quick --no-pin --op gram --op sgd --op adamw --op reg_grad --K 64 --N 10 -o "$s/profile/tuned-1.txt" >/dev/null &&
    "$tune" --quick --no-pin --op forward --op backward_weights --K 16 --N 10 -o "$s/profile/tuned-2.txt" >/dev/null &&
    build-fuzz/tests/fuzz/profile_seeds "$s/profile" "$s/profile"/tuned-*.txt
}

# Each harness: its regression inputs (tests/fuzz/regress/<harness>) once, then
# `seconds` of fuzzing from its seeds and its corpus (kept in build-fuzz/fuzz-corpus
# between runs). Prints executions and their rate; counts each harness as a test.
run_fuzzers() { # seconds
  local secs=$1 h seeds log execs rate regress
  local tmp=/tmp
  [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm # the profile harnesses write a file per input
  mkdir -p build-fuzz/fuzz-artifacts
  for h in "${fuzz_harnesses[@]}"; do
    seeds=build-fuzz/fuzz-seeds/profile
    [ "$h" = fuzz_api ] && seeds=build-fuzz/fuzz-seeds/fuzz_api
    mkdir -p "build-fuzz/fuzz-corpus/$h"
    log=build-fuzz/fuzz-artifacts/$h.log
    regress=()
    [ -d "tests/fuzz/regress/$h" ] && regress=(tests/fuzz/regress/$h/*)
    if [ ${#regress[@]} -gt 0 ] && ! TMPDIR=$tmp "build-fuzz/tests/fuzz/$h" "${regress[@]}" > "$log" 2>&1; then
      echo "== $h: a regression input fails (log: $log)"
      grep -E 'FAIL|ERROR|runtime error' "$log" | head -n 20
      failed=$((failed + 1)) bad_steps+=("$h regressions")
      continue
    fi
    if TMPDIR=$tmp "build-fuzz/tests/fuzz/$h" -max_total_time="$secs" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 \
        -artifact_prefix="build-fuzz/fuzz-artifacts/$h-" "build-fuzz/fuzz-corpus/$h" "$seeds" > "$log" 2>&1; then
      execs=$(awk '/stat::number_of_executed_units/{print $2}' "$log")
      rate=$(awk '/stat::average_exec_per_sec/{print $2}' "$log")
      echo "== $h: ${execs:-?} executions in ${secs} s (${rate:-?}/s), ${#regress[@]} regression inputs, clean"
      passed=$((passed + 1))
    else
      echo "== $h: FAILED (log: $log; the input is build-fuzz/fuzz-artifacts/$h-*: copy it to tests/fuzz/regress/$h/)"
      grep -E 'FAIL|ERROR|runtime error|SUMMARY' "$log" | head -n 20
      failed=$((failed + 1)) bad_steps+=("$h")
    fi
  done
}

passed=0 failed=0 skipped=0 bad_steps=()
# Runs `meson test` with the given arguments and adds its counts to the totals.
mtest() { # label, meson test args...
  local label=$1 out rc
  shift
  echo "== $label"
  out=$(meson test --print-errorlogs "$@" 2>&1)
  rc=$?
  printf '%s\n' "$out" | grep -E '^ *[0-9]+/[0-9]+ ' | sed 's/^/   /'
  local ok fl sk to
  ok=$(printf '%s\n' "$out" | awk '/^Ok:/{print $2}')
  fl=$(printf '%s\n' "$out" | awk '/^Fail:/{print $2}')
  sk=$(printf '%s\n' "$out" | awk '/^Skipped:/{print $2}')
  to=$(printf '%s\n' "$out" | awk '/^Timeout:/{print $2}')
  passed=$((passed + ${ok:-0})) failed=$((failed + ${fl:-0} + ${to:-0})) skipped=$((skipped + ${sk:-0}))
  if [ $rc -ne 0 ] || [ -z "$ok" ]; then
    printf '%s\n' "$out" | sed -n '/Summary of Failures/,$p;/stdout ---/,/^====/p' | head -n 80
    bad_steps+=("$label")
    [ -n "$ok" ] || failed=$((failed + 1))
  fi
}

run_tests() {
  ensure_pkgs "${base_pkgs[@]}" "${test_pkgs[@]}" "${fuzz_pkgs[@]}" || { echo "package installation failed"; exit 1; }
  # A profile or ISA cap of the user's own must not steer what the tests select.
  unset ORTHOCONV_PROFILE ORTHOCONV_ISA
  export XDG_CACHE_HOME="$top/build-test-cache"
  mkdir -p "$XDG_CACHE_HOME"
  local arch
  arch=$(uname -m)
  echo "== build (native, release)"
  setup build -Dbuildtype=release || { echo "native build failed"; exit 1; }
  mtest "native suite" -C build

  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  if setup build-asan -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
      -Dc_args=-fno-sanitize-recover=all -Dbench=disabled; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 mtest "sanitizer suite" -C build-asan
  else
    bad_steps+=("sanitizer build") failed=$((failed + 1))
  fi

  if [ "$arch" = x86_64 ]; then
    # Real CPUID answers from an emulated CPU: dispatch must pick exactly that ISA.
    ORTHOCONV_EXPECT_ISA=avx2 mtest "emulated Haswell (AVX2, no AVX-512)" -C build --no-rebuild \
      --no-suite package --wrapper 'qemu-x86_64 -cpu Haswell' --timeout-multiplier 4
    ORTHOCONV_EXPECT_ISA=scalar mtest "emulated Nehalem (no AVX)" -C build --no-rebuild \
      --no-suite package --wrapper 'qemu-x86_64 -cpu Nehalem' --timeout-multiplier 4
  fi

  if [ -f cross/aarch64-linux-gnu.ini ] && [ "$arch" != aarch64 ]; then
    echo "== build (AArch64 cross, run under qemu-aarch64)"
    if setup build-aarch64 --cross-file cross/aarch64-linux-gnu.ini -Dbuildtype=release -Dbench=disabled; then
      ORTHOCONV_EXPECT_ISA=neon mtest "AArch64 suite under qemu-aarch64" -C build-aarch64 --timeout-multiplier 4
    else
      bad_steps+=("aarch64 build") failed=$((failed + 1))
    fi
    # The NEON kernels under UndefinedBehaviorSanitizer too (UBSan alone: the
    # x86 sanitizer build above cannot see them).
    echo "== build (AArch64 cross, UndefinedBehaviorSanitizer)"
    if setup build-aarch64-ubsan --cross-file cross/aarch64-linux-gnu.ini -Dbuildtype=debugoptimized \
        -Db_sanitize=undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all -Dbench=disabled -Dtools=false; then
      ORTHOCONV_EXPECT_ISA=neon mtest "AArch64 UBSan suite under qemu-aarch64" -C build-aarch64-ubsan \
        --no-suite package --timeout-multiplier 4
    else
      bad_steps+=("aarch64 ubsan build") failed=$((failed + 1))
    fi
  fi

  # ThreadSanitizer (gcc: it builds the kernels in seconds where clang takes minutes):
  # only the tests that run threads, so only they are built.
  echo "== build (ThreadSanitizer, the threaded tests)"
  if setup_only build-tsan tests/test_concurrency tests/profile/test_profile_threads tests/test_dispatch -- \
      -Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false -Dbench=disabled -Dtools=false; then
    TSAN_OPTIONS=halt_on_error=1 mtest "ThreadSanitizer" -C build-tsan --no-rebuild concurrency profile-threads dispatch
  else
    bad_steps+=("tsan build") failed=$((failed + 1))
  fi

  echo "== build (libFuzzer harnesses, clang)"
  if build_fuzz && fuzz_seeds; then
    run_fuzzers 25
  else
    bad_steps+=("fuzz build or seeds") failed=$((failed + 1))
  fi

  echo
  [ ${#bad_steps[@]} -eq 0 ] || echo "failed steps: ${bad_steps[*]}"
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ] && [ ${#bad_steps[@]} -eq 0 ]
}

run_fuzz() { # seconds per harness
  local secs=${1:-300}
  ensure_pkgs "${base_pkgs[@]}" "${fuzz_pkgs[@]}" || { echo "package installation failed"; exit 1; }
  unset ORTHOCONV_PROFILE ORTHOCONV_ISA
  echo "== build (native, release: orthoconv-tune writes the profile seeds)"
  setup build -Dbuildtype=release || { echo "native build failed"; exit 1; }
  echo "== build (libFuzzer harnesses, clang)"
  build_fuzz && fuzz_seeds || { echo "fuzz build or seeds failed"; exit 1; }
  run_fuzzers "$secs"
  echo
  [ ${#bad_steps[@]} -eq 0 ] || echo "failed: ${bad_steps[*]}"
  echo "$passed clean, $failed failed"
  [ "$failed" -eq 0 ]
}

run_bench() {
  ensure_pkgs "${base_pkgs[@]}" "${bench_pkgs[@]}" || { echo "package installation failed"; exit 1; }
  echo "== build (native, release)"
  setup build -Dbuildtype=release -Dbench=enabled || exit 1
  local cpu out
  cpu=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo | tr -cs 'A-Za-z0-9' '-' | sed 's/-$//')
  [ -n "$cpu" ] || cpu=$(uname -m)
  out="$top/results/$cpu"
  mkdir -p "$out"
  if [ -x build/tune/cli/orthoconv-tune ]; then
    echo "== quick tune of this machine -> $out/profile.txt"
    build/tune/cli/orthoconv-tune --quick -o "$out/profile.txt" || echo "(tuning failed: benchmarks use the built-in defaults)"
  fi
  [ -f "$out/profile.txt" ] && export ORTHOCONV_PROFILE="$out/profile.txt"
  if [ -x bench/run_bench.sh ]; then
    bench/run_bench.sh build results "$@"
  else
    echo "bench/run_bench.sh is missing"
    exit 1
  fi
}

case "${1:-}" in
  test) shift; run_tests "$@" ;;
  bench) shift; run_bench "$@" ;;
  fuzz) shift; run_fuzz "$@" ;;
  *) echo "usage: $0 bench|test|fuzz [SECONDS]"; exit 2 ;;
esac
