#!/usr/bin/env bash
# The two entry points of the README. Each installs the Debian packages it needs
# (only those missing), builds, and runs:
#   ./run.sh bench   build, quick-tune this machine, headline table vs anchors and roofline
#   ./run.sh test    build and run every test: native, ASan+UBSan, emulated x86 CPUs, AArch64
set -uo pipefail
cd "$(dirname "$0")"
top=$(pwd)

base_pkgs=(meson ninja-build pkgconf gcc g++ binutils libsleef-dev libbenchmark-dev)
test_pkgs=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross libsleef-dev:arm64 libpthreadpool-dev)
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
  ensure_pkgs "${base_pkgs[@]}" "${test_pkgs[@]}" || { echo "package installation failed"; exit 1; }
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
    # ORTHOCONV_EXPECT_EXTS: the ISA extensions (bf16, VNNI) detection must find: none there.
    ORTHOCONV_EXPECT_ISA=avx2 ORTHOCONV_EXPECT_EXTS= mtest "emulated Haswell (AVX2, no AVX-512)" -C build --no-rebuild \
      --no-suite package --wrapper 'qemu-x86_64 -cpu Haswell' --timeout-multiplier 4
    ORTHOCONV_EXPECT_ISA=scalar ORTHOCONV_EXPECT_EXTS= mtest "emulated Nehalem (no AVX)" -C build --no-rebuild \
      --no-suite package --wrapper 'qemu-x86_64 -cpu Nehalem' --timeout-multiplier 4
  fi

  if [ -f cross/aarch64-linux-gnu.ini ] && [ "$arch" != aarch64 ]; then
    echo "== build (AArch64 cross, run under qemu-aarch64)"
    if setup build-aarch64 --cross-file cross/aarch64-linux-gnu.ini -Dbuildtype=release -Dbench=disabled; then
      # qemu-aarch64's default CPU is "max": every extension (dot product, bf16, i8mm).
      ORTHOCONV_EXPECT_ISA=neon ORTHOCONV_EXPECT_EXTS="asimddp bf16 i8mm" mtest "AArch64 suite under qemu-aarch64" \
        -C build-aarch64 --timeout-multiplier 4
      # Cores without them: the bf16 and int8 paths and dispatch must not use them.
      QEMU_CPU=cortex-a57 ORTHOCONV_EXPECT_ISA=neon ORTHOCONV_EXPECT_EXTS= mtest "AArch64 Cortex-A57 (no dotprod, bf16, i8mm)" \
        -C build-aarch64 --no-rebuild --suite lowprec --suite dispatch --timeout-multiplier 4
      QEMU_CPU=neoverse-n1 ORTHOCONV_EXPECT_ISA=neon ORTHOCONV_EXPECT_EXTS=asimddp mtest "AArch64 Neoverse-N1 (dotprod only)" \
        -C build-aarch64 --no-rebuild --suite lowprec --suite dispatch --timeout-multiplier 4
    else
      bad_steps+=("aarch64 build") failed=$((failed + 1))
    fi
  fi

  echo
  [ ${#bad_steps[@]} -eq 0 ] || echo "failed steps: ${bad_steps[*]}"
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ] && [ ${#bad_steps[@]} -eq 0 ]
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
  *) echo "usage: $0 bench|test"; exit 2 ;;
esac
