#!/bin/bash
# SPDX-License-Identifier: MIT
# measure.sh STEPS LABEL COMMAND...: run COMMAND under GNU time and print
# its CPU time per step and peak RSS.
set -euo pipefail
steps=$1 label=$2
shift 2
out=$(mktemp)
/usr/bin/time -f '%U %S %M %e' -o "$out" "$@" >/dev/null
read -r user sys rss wall <"$out"
rm -f "$out"
awk -v u="$user" -v s="$sys" -v r="$rss" -v w="$wall" -v n="$steps" -v l="$label" 'BEGIN {
	printf "%s: %d steps in %.1f s wall, CPU %.0f ms total, %.0f us per step, peak RSS %.1f MiB\n",
		l, n, w, (u + s) * 1000, (u + s) * 1e6 / n, r / 1024 }'
