#!/usr/bin/env bash
# What an inference engine does: install into a fresh prefix, then build the
# README's example out of tree with `pkg-config --static` alone, and run it.
set -euo pipefail
build=$1 readme=$2 cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/root" >/dev/null
pc=$(dirname "$(find "$tmp/root" -name orthoconv.pc | head -n 1)")
[ -f "$pc/orthoconv.pc" ] || { echo "orthoconv.pc was not installed"; exit 1; }
# The example is the first C block after the '## Example' heading of the README.
awk '/^## Example/{f=1} f&&/^```c$/{p=1;next} p&&/^```$/{exit} p' "$readme" > "$tmp/example.c"
[ -s "$tmp/example.c" ] || { echo "no C example found in $readme"; exit 1; }
prefix=$(PKG_CONFIG_PATH="$pc" pkg-config --variable=prefix orthoconv)
flags=$(PKG_CONFIG_PATH="$pc" pkg-config --define-variable=prefix="$tmp/root$prefix" --static --cflags --libs orthoconv)
echo "cc example.c $flags"
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/example" "$tmp/example.c" $flags
"$tmp/example"
n=1
# The thread-pool example, with the installed adapter header, where pthreadpool is.
if [ -f /usr/include/pthreadpool.h ]; then
  ex=$(dirname "$0")/../examples/threads_pthreadpool.c
  # shellcheck disable=SC2086
  "$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/threads" "$ex" $flags -lpthreadpool
  "$tmp/threads"
  n=2
fi
echo "consumer: $n passed, 0 failed"
