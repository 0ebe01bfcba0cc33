#!/usr/bin/env bash
# The static library as a linker sees it: every external symbol carries the
# orthoconv_ prefix (anything else can collide inside an inference engine), and
# nothing in it prints or starts threads.
set -euo pipefail
lib=$1
nm_tool=${NM:-nm}
defined=$("$nm_tool" -g --defined-only "$lib" | awk 'NF==3 {print $3}')
[ -n "$defined" ] || { echo "no symbols read from $lib"; exit 1; }
bad=$(grep -v '^orthoconv_' <<<"$defined" || true)
if [ -n "$bad" ]; then echo "external symbols without the orthoconv_ prefix:"; echo "$bad"; exit 1; fi
undefined=$("$nm_tool" -g --undefined-only "$lib" | awk '{print $NF}' | sort -u)
forbidden=$(grep -E '^(printf|fprintf|vfprintf|puts|fputs|putchar|fwrite|perror|pthread_create|abort|exit|_exit)(@.*)?$' <<<"$undefined" || true)
if [ -n "$forbidden" ]; then echo "the library calls what it promises not to:"; echo "$forbidden"; exit 1; fi
echo "$(wc -l <<<"$defined") external symbols, all orthoconv_; no prints, threads or exits"
echo "symbols: 1 passed, 0 failed"
