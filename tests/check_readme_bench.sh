#!/usr/bin/env bash
# The performance numbers of README.md and bench/README.md are one generated
# text: what bench/compare --markdown makes of the kept summaries in
# bench/results/*/summary.json, between the <!-- bench:begin/end --> lines of
# both files. Hand edits, or a summary added without regenerating, fail here.
set -uo pipefail
top=$1
shopt -s nullglob
sums=("$top"/bench/results/*/summary.json)
[ ${#sums[@]} -gt 0 ] || { echo "no bench/results/*/summary.json"; exit 1; }
python=/usr/bin/python3
[ -x "$python" ] || python=python3
rel=()
for s in "${sums[@]}"; do rel+=("${s#"$top"/}"); done
want=$(cd "$top" && "$python" bench/compare --markdown "${rel[@]}") || { echo "bench/compare failed"; exit 1; }
fail=0
for f in README.md bench/README.md; do
  got=$(sed -n '/^<!-- bench:begin -->$/,/^<!-- bench:end -->$/p' "$top/$f" | sed '1d;$d')
  if [ -z "$got" ]; then
    echo "$f: no <!-- bench:begin --> ... <!-- bench:end --> section"
    fail=1
  elif [ "$got" != "$want" ]; then
    echo "$f: its performance section is not bench/compare --markdown of ${rel[*]}:"
    diff <(echo "$want") <(echo "$got") | head -n 20
    echo "(regenerate: bench/compare --update README.md bench/README.md -- ${rel[*]})"
    fail=1
  fi
done
[ $fail = 0 ] && echo "readme-bench: README.md and bench/README.md carry the generated section of ${#sums[@]} CPU class(es)"
exit $fail
