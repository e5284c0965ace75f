# SPDX-License-Identifier: MIT
# Shared helpers for integration tests: sourced, not run.
# Each test gets a private temporary directory, removed on exit, and the
# background processes it started are stopped.

set -euo pipefail

TOP=${VPOWERCAP_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
AGENT=$BUILD/vpowercap-agent
ADVANCE=$BUILD/tests/fixture-advance
T=$(mktemp -d "${TMPDIR:-/tmp}/vpowercap-test.XXXXXX")
PIDS=()

cleanup() {
	local rc=$? pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# KEEP=DIR keeps the test's files there, for a look after a failure
	[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp -a "$T" "$KEEP/" 2>/dev/null
	# tests/run.sh keeps a failed test's files where it says they are
	if [ -n "${VPC_KEEP_FAILED:-}" ] && { [ -n "${FAILED:-}" ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ]; }; }; then
		rm -f "$T"/*.img "$T"/*.qcow2 2>/dev/null
		return 0
	fi
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	FAILED=1
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# private_pids: re-run this test from its first line in a PID namespace of
# its own, with its own /proc: the processes of the tests that run beside
# it (their qemu above all) are not seen, and whatever it leaves running
# ends with it.
private_pids() {
	[ -n "${VPC_PRIVATE_PIDS:-}" ] && return 0
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null ||
		skip "a PID namespace of the test's own needs root and unshare (util-linux)"
	rm -rf "$T"
	VPC_PRIVATE_PIDS=1 exec unshare --pid --fork --kill-child --mount --mount-proc --propagation private -- "$0"
}

# make_zone ROOT ID NAME MAX_UJ: a zone directory as the kernel lays it out,
# with the flat link at ROOT and the zone inside its control type.
make_zone() {
	local root=$1 id=$2 name=$3 max=$4 parent dir
	parent=${id%:*}
	if [[ $parent == *:* ]]; then
		dir=$root/intel-rapl/$parent/$id
		ln -s "intel-rapl/$parent/$id" "$root/$id"
	else
		dir=$root/intel-rapl/$id
		ln -s "intel-rapl/$id" "$root/$id"
	fi
	mkdir -p "$dir"
	echo 1 >"$root/intel-rapl/enabled"
	echo "$name" >"$dir/name"
	echo "$max" >"$dir/max_energy_range_uj"
	echo 1 >"$dir/enabled"
	echo 0 >"$dir/energy_uj"
	echo "$dir"
}

# advance ARGS...: start fixture-advance in the background, wait until ready.
# The writer runs at a real-time priority where it may (root, and the
# kernel grants it): each of its rounds (the zones' files, then /proc's)
# is then never cut by a reader's turn on a loaded machine, which would
# show a reader energy without the CPU time that goes with it. Its rounds
# are microseconds a millisecond: it starves no one. A writer of many
# processes (--pids: hundreds or thousands of files a round) stays at the
# normal priority, where its long rounds take no CPU from the readers it
# feeds.
ADVANCE_RT=()
if [ "$(id -u)" = 0 ] && command -v chrt >/dev/null && chrt -f 1 true 2>/dev/null; then
	ADVANCE_RT=(chrt -f 1)
fi
advance() {
	local ready=$T/ready.$RANDOM rt=("${ADVANCE_RT[@]}")
	case " $* " in *" --pids "*) rt=() ;; esac
	"${rt[@]}" "$ADVANCE" --ready "$ready" "$@" &
	PIDS+=($!)
	# a loaded machine may take seconds to start it
	for _ in $(seq 400); do
		[ -e "$ready" ] && return 0
		sleep 0.05
	done
	fail "fixture-advance did not start"
}

DAEMON=$BUILD/vpowercapd
# The daemon drops to this user; it must traverse the test's directory.
chmod 755 "$T"
TEST_USER=nobody

# make_qemu PROC PID NAME UUID VCPUS [UID]: a qemu process's command line as
# libvirt starts it, run as UID (default root; fixture-advance --process
# writes its stat).
make_qemu() {
	local proc=$1 pid=$2 name=$3 uuid=$4 vcpus=$5 uid=${6:-0}
	mkdir -p "$proc/$pid"
	printf 'Name:\tqemu-system-x86\nUid:\t%s\t%s\t%s\t%s\nGid:\t0\t0\t0\t0\n' \
		"$uid" "$uid" "$uid" "$uid" >"$proc/$pid/status"
	printf '%s\0' /usr/bin/qemu-system-x86_64 -name "guest=$name,debug-threads=on" \
		-uuid "$uuid" -smp "$vcpus,sockets=1,cores=$vcpus" -accel tcg >"$proc/$pid/cmdline"
}

# need_fuse: skip (77) where FUSE cannot be mounted here.
need_fuse() {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this machine: FUSE mounts cannot be tested"
	[ "$(id -u)" = 0 ] || skip "not root: the daemon must mount with allow_other"
}

# start_daemon LOG ARGS...: vpowercapd in the background (DAEMON_PID), and
# wait until its tree is mounted at $MNT.
MNT=$T/mnt
start_daemon() {
	local log=$1
	shift
	( exec "$DAEMON" --mountpoint "$MNT" --control-socket "$T/control.sock" --user "$TEST_USER" "$@" ) >>"$log" 2>&1 &
	DAEMON_PID=$!
	PIDS+=("$DAEMON_PID")
	for _ in $(seq 100); do
		if mountpoint -q "$MNT" 2>/dev/null && [ -S "$T/control.sock" ]; then
			# the first snapshot follows at once, if there is any VM
			for _ in $(seq 20); do
				[ -n "$(ls "$MNT" 2>/dev/null)" ] && break
				sleep 0.05
			done
			return 0
		fi
		kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$log"; fail "daemon exited"; }
		sleep 0.05
	done
	cat "$log"
	fail "the tree was not mounted at $MNT"
}

# tree_servers [MOUNTPOINT]: the pids of the tree servers serving $MNT (or
# MOUNTPOINT; one ending in / stands for every mountpoint under it).
# Only those of this test's mount namespace: the tests with a private /run
# beside it may serve a /run/vpowercap of their own.
tree_servers() {
	local m=${1:-$MNT} p ns
	case $m in */) ;; *) m="$m " ;; esac
	ns=$(readlink /proc/self/ns/mnt)
	for p in $(pgrep -f -- "vpowercap-fused --mountpoint $m" || true); do
		[ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "$p"
	done
	return 0
}

# stop_tree_servers MOUNTPOINT: end them (they unmount), or kill them.
stop_tree_servers() {
	local pids
	pids=$(tree_servers "$1")
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null || true
	for _ in $(seq 50); do
		[ -z "$(tree_servers "$1")" ] && return 0
		sleep 0.1
	done
	pids=$(tree_servers "$1")
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
}

# Leave no mount and no tree server behind, whatever happened: the trees
# outlive the daemon by design.
cleanup_mount() {
	local m
	stop_tree_servers "$MNT"
	stop_tree_servers "$T/"
	mountpoint -q "$MNT" 2>/dev/null && umount -l "$MNT" 2>/dev/null
	for m in $(awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo); do
		umount -l "$m" 2>/dev/null || true
	done
	cleanup
}
trap cleanup_mount EXIT
