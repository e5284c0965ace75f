#!/bin/bash
# SPDX-License-Identifier: MIT
# measure.sh STEPS LABEL COMMAND...: run COMMAND under GNU time and print
# its CPU time per step and peak RSS; and, sampled from /proc every 50 ms,
# the peak of its private memory (RssAnon) and of the shared library pages
# it has resident (RssFile, shared with every other process using them).
set -euo pipefail
steps=$1 label=$2
shift 2
out=$(mktemp)
/usr/bin/time -f '%U %S %M %e' -o "$out" "$@" >/dev/null &
timer=$!
child=""
for _ in $(seq 200); do
	child=$(pgrep -P "$timer" | head -n 1 || true)
	[ -n "$child" ] && break
	sleep 0.01
done
anon=0 file=0
while [ -n "$child" ] && [ -r "/proc/$child/status" ]; do
	read -r a f < <(awk '/^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } END { print a + 0, f + 0 }' \
		"/proc/$child/status" 2>/dev/null || echo "0 0")
	[ "$a" -gt "$anon" ] && anon=$a
	[ "$f" -gt "$file" ] && file=$f
	sleep 0.05
done
wait "$timer"
read -r user sys rss wall <"$out"
rm -f "$out"
awk -v u="$user" -v s="$sys" -v r="$rss" -v w="$wall" -v n="$steps" -v l="$label" -v a="$anon" -v f="$file" 'BEGIN {
	printf "%s: %d steps in %.1f s wall, CPU %.0f ms total, %.0f us per step, peak RSS %.1f MiB (private %.1f MiB, shared library pages %.1f MiB)\n",
		l, n, w, (u + s) * 1000, (u + s) * 1e6 / n, r / 1024, a / 1024, f / 1024 }'
