#!/bin/bash
# SPDX-License-Identifier: MIT
# Run every unit test binary and every integration script; print a summary.
# A test passes with exit 0, skips with 77 (it says why), fails otherwise.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
export VPOWERCAP_TOP="$top"
logs="$BUILD/test-logs"
rm -rf "$logs"
mkdir -p "$logs"

passed=0 failed=0 skipped=0
failures=""

run_one() {
	local name=$1; shift
	local log="$logs/${name//\//_}.log" start end rc
	start=$(date +%s.%N)
	timeout --kill-after=10 "${TEST_TIMEOUT:-600}" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	end=$(date +%s.%N)
	local secs
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	case $rc in
	0) passed=$((passed + 1)); printf 'PASS  %-40s %6ss\n' "$name" "$secs" ;;
	77) skipped=$((skipped + 1)); printf 'SKIP  %-40s %6ss  %s\n' "$name" "$secs" "$(tail -n 1 "$log")" ;;
	*) failed=$((failed + 1)); failures="$failures $name"
	   printf 'FAIL  %-40s %6ss  (exit %d)\n' "$name" "$secs" "$rc"
	   sed 's/^/    | /' "$log" | tail -n 60 ;;
	esac
}

filter=${TESTS:-}
for bin in "$BUILD"/tests/test_*; do
	[ -x "$bin" ] || continue
	name=unit/$(basename "$bin")
	[ -n "$filter" ] && [[ $name != *$filter* ]] && continue
	run_one "$name" "$bin"
done
for script in "$top"/tests/integration/t[0-9]*; do
	[ -x "$script" ] || continue
	name=integration/$(basename "$script")
	[ -n "$filter" ] && [[ $name != *$filter* ]] && continue
	run_one "$name" "$script"
done

echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
