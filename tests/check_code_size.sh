#!/bin/sh
# The library's code (text of every object in the archive, as `size` counts it:
# read-only data included) within the budget of the architecture issue.
# usage: check_code_size.sh LIB.a MAX_BYTES
lib=$1 max=$2
total=$(size "$lib" | awk 'NR > 1 { t += $1 } END { print t + 0 }')
echo "text of $lib: $total bytes (budget $max)"
[ "$total" -gt 0 ] && [ "$total" -le "$max" ]
