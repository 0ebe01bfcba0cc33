#!/usr/bin/env bash
# Which anchors BUILD_DIR's orthoconv-bench has, against the Debian packages
# installed now. Prints one word per anchor, name=package:state (state: installed,
# absent or unknown) and exits 1 when an anchor whose package is installed is
# missing from the build: Meson caches a "not found" across reconfigures, so a
# build directory configured before the package was installed never sees it.
# usage: bench/anchor_check.sh BUILD_DIR
set -uo pipefail
exe=$1/bench/orthoconv-bench
declare -A pkg=([openblas]=libopenblas-dev [blis]=libblis-dev [onednn]=libdnnl-dev
  [xnnpack]=libxnnpack-dev [libxsmm]=libxsmm-dev)
says=$("$exe" --ocb_anchors 2>/dev/null) || says=""
stale=0 words=()
for a in openblas blis onednn xnnpack libxsmm; do
  if ! command -v dpkg-query >/dev/null; then
    state=unknown
  elif dpkg-query -W -f='${Status}' "${pkg[$a]}" 2>/dev/null | grep -q 'install ok installed'; then
    state=installed
  else
    state=absent
  fi
  words+=("$a=${pkg[$a]}:$state")
  line=$(grep "^anchor $a: " <<<"$says")
  if [ "$state" = installed ] && { [ -z "$line" ] || [[ $line == *"MISSING: not found by Meson"* ]]; }; then
    stale=1
  fi
done
echo "${words[*]}"
exit $stale
