#!/usr/bin/env bash
# The two entry points of the README. Each installs the Debian packages it needs
# (only those missing), builds, and runs:
#   ./run.sh bench   build (build-bench/), quick-tune this machine, headline table vs anchors and roofline
#   ./run.sh test    build and run every test: native, ASan+UBSan, emulated x86 CPUs, AArch64,
#                    ThreadSanitizer, and each libFuzzer harness for a few seconds
#   ./run.sh fuzz [SECONDS]  each libFuzzer harness for SECONDS (default 300)
set -uo pipefail
cd "$(dirname "$0")"
top=$(pwd)

base_pkgs=(meson ninja-build pkgconf gcc g++ binutils libsleef-dev libbenchmark-dev)
test_pkgs=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross libsleef-dev:arm64 libpthreadpool-dev)
# clang and libFuzzer: the harnesses of tests/fuzz.
fuzz_pkgs=(clang libclang-rt-14-dev libfuzzer-14-dev)
# The PyTorch binding (bindings/torch): libtorch to build it, Debian's torch and
# pytest for /usr/bin/python3 to test it.
torch_pkgs=(libtorch-dev python3-torch python3-pytest)
# llvm-16 (llvm-mca with Neoverse N2 / Zen 4 tables; llvm: the fallback) and the
# AArch64 compiler: bench/mca_loops.py, the NEON loops on paper.
bench_pkgs=(libopenblas-dev libblis-dev libdnnl-dev libxnnpack-dev libxsmm-dev gnuplot-nox util-linux
  llvm llvm-16 gcc-aarch64-linux-gnu libpthreadpool-dev)

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
# everywhere but in the SIMD kernel files, which get ASan alone (with coverage too,
# clang needs many minutes for UBSan on their unrolled tiles; the clang sanitizer
# suite has UBSan there).
build_fuzz() {
  CC=clang setup_only build-fuzz "${fuzz_harnesses[@]/#/tests/fuzz/}" tests/fuzz/profile_seeds -- \
    -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
    "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" \
    -Dkernel_args=-fno-sanitize=undefined,-fno-sanitize=fuzzer-no-link -Dfuzz=true -Dbench=disabled -Dtools=false -Dtorch=disabled
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
run_fuzzers() { # seconds [libFuzzer flags...]
  local secs=$1 h seeds log execs rate regress
  shift
  local more=("$@")
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
    if TMPDIR=$tmp "build-fuzz/tests/fuzz/$h" -max_total_time="$secs" "${more[@]}" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 \
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
  ensure_pkgs "${base_pkgs[@]}" "${test_pkgs[@]}" "${torch_pkgs[@]}" "${fuzz_pkgs[@]}" || { echo "package installation failed"; exit 1; }
  # A profile or ISA cap of the user's own must not steer what the tests select.
  unset ORTHOCONV_PROFILE ORTHOCONV_ISA
  export XDG_CACHE_HOME="$top/build-test-cache"
  mkdir -p "$XDG_CACHE_HOME"
  local arch
  arch=$(uname -m)
  echo "== build (native, release, with the PyTorch binding)"
  setup build -Dbuildtype=release -Dtorch=enabled || { echo "native build failed"; exit 1; }
  mtest "native suite" -C build

  # With clang, whose UBSan must stay silent, kernels included (the fuzz build
  # keeps them out of UBSan). gcc's UBSan still runs on the AArch64 suite below.
  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer, clang)"
  if CC=clang setup build-asan-clang -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
      -Dc_args=-fno-sanitize-recover=all -Dbench=disabled -Dtorch=disabled; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 mtest "sanitizer suite" -C build-asan-clang
  else
    bad_steps+=("sanitizer build") failed=$((failed + 1))
  fi

  if [ "$arch" = x86_64 ]; then
    # Real CPUID answers from an emulated CPU: dispatch must pick exactly that ISA.
    # (Not the torch suite: Python and libtorch under qemu would take far too long.
    # Not the kernels and forced-isa suites: they force each ISA the CPU has by
    # itself, so the native run of the same binary covers all they would, at full
    # speed; under an emulated Haswell they were 6 of the step's 12 minutes of tests.)
    # ORTHOCONV_EXPECT_EXTS: the ISA extensions (bf16, VNNI) detection must find: none there.
    # ORTHOCONV_TEST_EMULATED (here and in the AArch64 runs): tests keep to small shapes.
    ORTHOCONV_TEST_EMULATED=1 ORTHOCONV_EXPECT_ISA=avx2 ORTHOCONV_EXPECT_EXTS= mtest "emulated Haswell (AVX2, no AVX-512)" -C build --no-rebuild \
      --no-suite package --no-suite torch --no-suite kernels --no-suite forced-isa --wrapper 'qemu-x86_64 -cpu Haswell' --timeout-multiplier 4
    ORTHOCONV_TEST_EMULATED=1 ORTHOCONV_EXPECT_ISA=scalar ORTHOCONV_EXPECT_EXTS= mtest "emulated Nehalem (no AVX)" -C build --no-rebuild \
      --no-suite package --no-suite torch --no-suite kernels --no-suite forced-isa --wrapper 'qemu-x86_64 -cpu Nehalem' --timeout-multiplier 4
  fi

  if [ -f cross/aarch64-linux-gnu.ini ] && [ "$arch" != aarch64 ]; then
    echo "== build (AArch64 cross, run under qemu-aarch64)"
    if setup build-aarch64 --cross-file cross/aarch64-linux-gnu.ini -Dbuildtype=release -Dbench=disabled -Dtorch=disabled; then
      # qemu-aarch64's default CPU is "max": every extension (dot product, bf16, i8mm).
      ORTHOCONV_TEST_EMULATED=1 ORTHOCONV_EXPECT_ISA=neon ORTHOCONV_EXPECT_EXTS="asimddp bf16 i8mm" mtest "AArch64 suite under qemu-aarch64" \
        -C build-aarch64 --timeout-multiplier 4
      # Cores without them: the bf16 and int8 paths and dispatch must not use them.
      QEMU_CPU=cortex-a57 ORTHOCONV_EXPECT_ISA=neon ORTHOCONV_EXPECT_EXTS= mtest "AArch64 Cortex-A57 (no dotprod, bf16, i8mm)" \
        -C build-aarch64 --no-rebuild --suite lowprec --suite dispatch --timeout-multiplier 4
      QEMU_CPU=neoverse-n1 ORTHOCONV_EXPECT_ISA=neon ORTHOCONV_EXPECT_EXTS=asimddp mtest "AArch64 Neoverse-N1 (dotprod only)" \
        -C build-aarch64 --no-rebuild --suite lowprec --suite dispatch --timeout-multiplier 4
    else
      bad_steps+=("aarch64 build") failed=$((failed + 1))
    fi
    # The NEON kernels under UndefinedBehaviorSanitizer too (UBSan alone: the
    # x86 sanitizer build above cannot see them).
    echo "== build (AArch64 cross, UndefinedBehaviorSanitizer)"
    if setup build-aarch64-ubsan --cross-file cross/aarch64-linux-gnu.ini -Dbuildtype=debugoptimized \
        -Db_sanitize=undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all -Dbench=disabled -Dtools=false; then
      ORTHOCONV_TEST_EMULATED=1 ORTHOCONV_EXPECT_ISA=neon mtest "AArch64 UBSan suite under qemu-aarch64" -C build-aarch64-ubsan \
        --no-suite package --timeout-multiplier 4
    else
      bad_steps+=("aarch64 ubsan build") failed=$((failed + 1))
    fi
  fi

  # ThreadSanitizer (gcc: it builds the kernels in seconds where clang takes minutes):
  # only the tests that run threads, so only they are built.
  echo "== build (ThreadSanitizer, the threaded tests)"
  if setup_only build-tsan tests/test_concurrency tests/threads/test_threads tests/profile/test_profile_threads tests/test_dispatch -- \
      -Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false -Dbench=disabled -Dtools=false -Dtorch=disabled; then
    TSAN_OPTIONS=halt_on_error=1 mtest "ThreadSanitizer" -C build-tsan --no-rebuild concurrency threads profile-threads dispatch
  else
    bad_steps+=("tsan build") failed=$((failed + 1))
  fi

  echo "== build (libFuzzer harnesses, clang)"
  if build_fuzz && fuzz_seeds; then
    run_fuzzers 25 -seed=1 # the same mutations on every run: a test, not a search
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
  # Its own build directory, configured only now that the anchors are installed:
  # the test run's "build" may have been configured before, and Meson keeps a
  # "not found" across reconfigures. No test suite here: less to compile.
  local dir=build-bench opts=(-Dbuildtype=release -Dbench=enabled -Dtests=false)
  echo "== build (native, release, benchmarks) in $dir"
  setup "$dir" "${opts[@]}" || exit 1
  if ! bench/anchor_check.sh "$dir" >/dev/null; then
    echo "== $dir lacks an anchor whose package is installed (a cached Meson 'not found'): re-probing from scratch"
    { meson setup --wipe "$dir" "${opts[@]}" >/dev/null && ninja -C "$dir" >/dev/null; } || exit 1
  fi
  local cpu out
  cpu=$(bench/cpu_class.sh)
  out="$top/results/$cpu"
  mkdir -p "$out"
  if [ -x "$dir/tune/cli/orthoconv-tune" ]; then
    echo "== quick tune of this machine -> $out/profile.txt"
    "$dir/tune/cli/orthoconv-tune" --quick -o "$out/profile.txt" || echo "(tuning failed: benchmarks use the built-in defaults)"
  fi
  [ -f "$out/profile.txt" ] && export ORTHOCONV_PROFILE="$out/profile.txt"
  if [ -x bench/run_bench.sh ]; then
    bench/run_bench.sh "$dir" results "$@" || exit 1
  else
    echo "bench/run_bench.sh is missing"
    exit 1
  fi
  # The kernels' hot loops in llvm-mca's core models (NEON: no Arm hardware
  # here), the x86 ones beside this machine's measurements as a check.
  echo
  echo "== hot loops on paper (llvm-mca model estimate) -> bench/results/mca.md"
  local kept="bench/results/$cpu/summary.json"
  mkdir -p bench/results
  /usr/bin/python3 bench/mca_loops.py $([ -f "$kept" ] && echo --measured "$kept") >bench/results/mca.md.tmp &&
    mv bench/results/mca.md.tmp bench/results/mca.md && cat bench/results/mca.md
  run_torch_bench "$out" "$dir"
}

# The PyTorch binding's table (issue 13), when torch is installed: built by the
# bench's build (-Dtorch=auto finds libtorch-dev), else by the test run's, and
# importable by Debian's python.
run_torch_bench() { # output folder, bench build dir
  local bdir=$2
  [ -f "$bdir/bindings/torch/orthoconv_torch/liborthoconv_torch.so" ] || bdir=build
  local lib=$bdir/bindings/torch/orthoconv_torch/liborthoconv_torch.so
  if [ ! -f "$lib" ] || ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "== PyTorch binding: not benchmarked (needs libtorch-dev and python3-torch)"
    return 0
  fi
  local pin=() core=${OCB_CORE:-1}
  [ "$core" -lt "$(nproc)" ] || core=0
  command -v taskset >/dev/null && pin=(taskset -c "$core")
  echo
  PYTHONPATH="$top/$bdir/bindings/torch" OMP_NUM_THREADS=1 "${pin[@]}" /usr/bin/python3 \
    bindings/torch/bench/bench_torch.py --out "$1/torch-$(date -u +%Y%m%dT%H%M%SZ).md"
}

case "${1:-}" in
  test) shift; run_tests "$@" ;;
  bench) shift; run_bench "$@" ;;
  fuzz) shift; run_fuzz "$@" ;;
  *) echo "usage: $0 bench|test|fuzz [SECONDS]"; exit 2 ;;
esac
