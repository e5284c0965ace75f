#!/bin/bash
# SPDX-License-Identifier: MIT
# Run every unit test binary and every integration script, several at a
# time; print one line per test in a stable order, then a summary.
# A test passes with exit 0, skips with 77 (it says why), fails otherwise.
#
#   tests/run.sh [-j N]     N tests at once (default JOBS, or the number
#                           of CPUs plus 2: most tests wait on ticks)
#   TESTS=word              only the tests whose name holds word
#
# Each test runs with a temporary directory of its own ($TMPDIR), removed
# after it passes. A script with a line '# alone: REASON' runs after the
# others, with the machine to itself; scripts with a line
# '# exclusive: GROUP REASON' run beside others but never two of one GROUP
# at a time (the tests with real guests: each takes the CPUs it needs).
# Grouped tests start first: their chain is the longest; then scripts with
# a line '# long: REASON' (minutes of CPU: best begun early). Under the
# sanitizers (SANITIZED=1, make check), scripts with a line
# '# sanitizers: no REASON' (they build and run a tree of their own) are
# left out, and named.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
export VPOWERCAP_TOP="$top"
# a failed test leaves its files (its logs, a guest's consoles) in its directory
export VPC_KEEP_FAILED=1

jobs=${JOBS:-$(($(nproc) + 2))}
while [ $# -gt 0 ]; do
	case $1 in
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	*) echo "usage: $0 [-j N]" >&2; exit 2 ;;
	esac
done
case $jobs in '' | *[!0-9]* | 0) echo "$0: -j wants a positive number" >&2; exit 2 ;; esac

logs="$BUILD/test-logs"
rm -rf "$logs"
mkdir -p "$logs"
# short paths: a test's sockets live in its directory (108 bytes at most)
tmproot=$(mktemp -d /tmp/vpowercap-run.XXXXXX)
chmod 755 "$tmproot"  # the daemons under test drop to another user

names=() cmds=() alone=() group=() long=() notrun=""
add() {  # NAME COMMAND
	[ -n "${TESTS:-}" ] && [[ $1 != *$TESTS* ]] && return 0
	names+=("$1")
	cmds+=("$2")
}
for bin in "$BUILD"/tests/test_*; do
	[ -x "$bin" ] && add "unit/$(basename "$bin")" "$bin"
done
# the tests that want the machine alone come last, in their own order
for pass in shared alone; do
	for script in "$top"/tests/integration/t[0-9]*; do
		[ -x "$script" ] || continue
		# under the sanitizers (make check), a test that builds and runs
		# its own tree says so: it would only repeat make test's run
		if [ -n "${SANITIZED:-}" ] && grep -q '^# sanitizers: no ' "$script"; then
			[ "$pass" = shared ] && notrun="$notrun $(basename "$script")"
			continue
		fi
		if grep -q '^# alone: ' "$script"; then a=alone; else a=shared; fi
		[ "$a" = "$pass" ] || continue
		n=${#names[@]}
		add "integration/$(basename "$script")" "$script"
		if [ "${#names[@]}" -gt "$n" ]; then
			alone[n]=$a
			group[n]=$(sed -n 's/^# exclusive: \([^ ]*\).*/\1/p' "$script" | head -n 1)
			grep -q '^# long: ' "$script" && long[n]=1
		fi
	done
done
total=${#names[@]}
# the order they start in: grouped ones first (their chains are the
# longest), then those that say they are long, then the list's
order=()
for ((i = 0; i < total; i++)); do [ -n "${group[i]:-}" ] && [ "${alone[i]:-}" != alone ] && order+=("$i"); done
for ((i = 0; i < total; i++)); do [ -z "${group[i]:-}" ] && [ -n "${long[i]:-}" ] && [ "${alone[i]:-}" != alone ] && order+=("$i"); done
for ((i = 0; i < total; i++)); do
	{ [ -z "${group[i]:-}" ] && [ -z "${long[i]:-}" ]; } || [ "${alone[i]:-}" = alone ] && order+=("$i")
done

# reap_leftovers DIR: stop every process a test with temporary directory
# DIR left behind (its environment names DIR: children inherit TMPDIR, and
# qemu's command line names its files there) and unmount what it left
# mounted under DIR. False, after saying what, when there was any.
reap_leftovers() {
	local dir=$1 p left="" m mounts="" tries
	for tries in 1 2 3 4 5 6; do
		# two greps over every process: no fork per process
		left=$({ grep -lsxzF "TMPDIR=$dir" /proc/[0-9]*/environ; grep -lsF "$dir/" /proc/[0-9]*/cmdline; } |
			sed -n 's|^/proc/\([0-9]*\)/.*|\1|p' | sort -un | grep -vx "$$" | tr '\n' ' ')
		[ -z "$left" ] && break
		[ "$tries" = 1 ] && for p in $left; do
			echo "LEFT RUNNING: $p $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-200)"
		done
		# shellcheck disable=SC2086
		if [ "$tries" -lt 5 ]; then kill $left 2>/dev/null; else kill -KILL $left 2>/dev/null; fi
		sleep 0.5
	done
	while read -r m; do
		echo "LEFT MOUNTED: $m"
		mounts="$mounts $m"
		umount -l "$m" 2>/dev/null
	done < <(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	[ -z "$left" ] && [ -z "$mounts" ] && [ "$tries" = 1 ]
}

# run_one I: the test's exit status and wall time in $logs/NAME.{rc,secs}
run_one() {
	local i=$1 name=${names[$1]} base tmp start end rc
	base=$logs/${name//\//_}
	tmp=$tmproot/$(basename "$name" | cut -d- -f1)
	mkdir -p "$tmp" && chmod 755 "$tmp"
	start=$(date +%s.%N)
	TMPDIR=$tmp timeout --kill-after=10 "${TEST_TIMEOUT:-600}" "${cmds[$i]}" >"$base.log" 2>&1 </dev/null
	rc=$?
	end=$(date +%s.%N)
	# a test leaves nothing running and nothing mounted: what it left is
	# stopped, and it fails for it (the leak is a bug)
	if ! reap_leftovers "$tmp" >>"$base.log"; then
		[ "$rc" = 0 ] && rc=1
	fi
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", b - a }' >"$base.secs"
	# when each test ran, from the suite's start: where the wall time goes
	awk -v n="$name" -v s="$started" -v a="$start" -v b="$end" \
		'BEGIN { printf "%7.1f %7.1f %s\n", a - s, b - s, n }' >>"$logs/timeline"
	# a test's temporary files go with it, unless it failed
	[ "$rc" = 0 ] || [ "$rc" = 77 ] && rm -rf "$tmp"
	echo "$rc" >"$base.rc.tmp" && mv "$base.rc.tmp" "$base.rc"
}

passed=0 failed=0 skipped=0 failures="" printed=0
# report: print every finished test whose turn has come, in list order
report() {
	local name base rc secs
	while [ "$printed" -lt "$total" ]; do
		name=${names[$printed]}
		base=$logs/${name//\//_}
		[ -e "$base.rc" ] || return 0
		rc=$(cat "$base.rc") secs=$(cat "$base.secs")
		case $rc in
		0) passed=$((passed + 1)); printf 'PASS  %-40s %6ss\n' "$name" "$secs" ;;
		77) skipped=$((skipped + 1)); printf 'SKIP  %-40s %6ss  %s\n' "$name" "$secs" "$(tail -n 1 "$base.log")" ;;
		*) failed=$((failed + 1)); failures="$failures $name"
		   printf 'FAIL  %-40s %6ss  (exit %d)\n' "$name" "$secs" "$rc"
		   sed 's/^/    | /' "$base.log" ;;
		esac
		printed=$((printed + 1))
	done
}

started=$(date +%s.%N)
declare -A busy=() pid_of=()
running=0
# reap: wait for one test to end, free its group, print what may be
reap() {
	local pid
	wait -n -p pid
	running=$((running - 1))
	[ -n "${pid_of[$pid]:-}" ] && unset "busy[${group[${pid_of[$pid]}]:-none}]"
	unset "pid_of[$pid]"
	report
}
pending=("${order[@]}")
while [ "${#pending[@]}" -gt 0 ]; do
	next=-1
	for k in "${!pending[@]}"; do
		i=${pending[k]}
		if [ "${alone[i]:-}" = alone ]; then
			# the machine to itself: the others end first
			[ "$running" -eq 0 ] && next=$k
			break
		fi
		g=${group[i]:-}
		if [ -z "$g" ] || [ -z "${busy[$g]:-}" ]; then next=$k; break; fi
	done
	if [ "$next" -lt 0 ] || [ "$running" -ge "$jobs" ]; then
		reap
		continue
	fi
	i=${pending[next]}
	unset "pending[next]"
	pending=("${pending[@]}")
	if [ "${alone[i]:-}" = alone ]; then
		run_one "$i"
		report
		continue
	fi
	run_one "$i" &
	pid_of[$!]=$i
	[ -n "${group[i]:-}" ] && busy[${group[i]}]=1
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do reap; done
report
rmdir "$tmproot" 2>/dev/null || echo "the failed tests' files are in $tmproot"

echo
[ -n "$notrun" ] && echo "not run under the sanitizers (their own builds, run by make test):$notrun"
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped in $(awk -v a="$started" -v b="$(date +%s.%N)" \
	'BEGIN { printf "%.0f", b - a }') s ($jobs at a time)"
[ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
