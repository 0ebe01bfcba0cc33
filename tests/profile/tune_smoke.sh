#!/usr/bin/env bash
# The tools end to end, on ops without M at a small K (seconds, also under qemu):
# orthoconv-tune writes a profile, the library accepts it, orthoconv-info reports
# it in force and agrees with orthoconv_selected_kernel. Nothing here reads a rate.
set -euo pipefail
tune=$1 info=$2 dir=$3/tune-smoke
rm -rf "$dir" && mkdir -p "$dir"
${MESON_EXE_WRAPPER:-} "$tune" --quick --no-pin --op gram --op sgd --op adamw --K 64 --N 10 -o "$dir/sub/profile.txt" > "$dir/tune.log"
grep -q '^choice gram K<=256,N<=12 ' "$dir/sub/profile.txt" || { echo "no gram record"; cat "$dir/sub/profile.txt"; exit 1; }
grep -q '^why:' "$dir/tune.log" || { echo "no explanation table"; exit 1; }
ORTHOCONV_PROFILE="$dir/sub/profile.txt" ${MESON_EXE_WRAPPER:-} "$info" > "$dir/info.log"
grep -q "^profile: *profile $dir/sub/profile.txt" "$dir/info.log" || { echo "profile not in force:"; cat "$dir/info.log"; exit 1; }
grep -Eq '^gram +K<=256,N<=12 +[0-9x]+ +profile ' "$dir/info.log" || { echo "gram not from the profile:"; cat "$dir/info.log"; exit 1; }
# A damaged copy is refused and explained.
sed 's/^choice gram/choice  gram/' "$dir/sub/profile.txt" > "$dir/bad.txt"
# (Into a file first: grep -q would stop reading early, and under pipefail the
# SIGPIPE of a still-writing orthoconv-info would fail the check.)
ORTHOCONV_PROFILE="$dir/bad.txt" ${MESON_EXE_WRAPPER:-} "$info" > "$dir/info-bad.log" || true
grep -q 'last load failed: .*checksum mismatch' "$dir/info-bad.log" || { echo "damaged profile not refused"; cat "$dir/info-bad.log"; exit 1; }
echo "tune-smoke: all checks passed"
