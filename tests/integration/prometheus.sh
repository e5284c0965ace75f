# SPDX-License-Identifier: MIT
# Helpers for the Prometheus exporter tests (t5xx): sourced after lib.sh.

PROM_PY=$TOP/tests/integration/prometheus_lib.py
export PYTHONPATH=$TOP/tests/integration${PYTHONPATH:+:$PYTHONPATH}

# need_tools COMMAND PACKAGE...: install the Debian packages whose commands
# are missing (apt-get, as root), or skip (77) saying why it cannot.
need_tools() {
	local missing=() log=$T/apt.log
	while [ $# -ge 2 ]; do
		command -v "$1" >/dev/null 2>&1 || missing+=("$2")
		shift 2
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || skip "needs Debian packages ${missing[*]}: not root, cannot install them"
	command -v apt-get >/dev/null || skip "needs ${missing[*]} and there is no apt-get to install them"
	echo "installing ${missing[*]} (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
		apt-get update -qq >>"$log" 2>&1 || true
		if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
			tail -n 5 "$log"
			skip "cannot install ${missing[*]} with apt-get (no package archive reachable?)"
		fi
	fi
}

# start_exporter LOG N COMMAND...: run COMMAND (an agent or daemon with the
# prometheus exporter) in the background, wait until it serves on its N
# listen addresses, and set EXPORTER_PID, PORT4 (127.0.0.1) and PORT6 (::1)
# from what it logged.
start_exporter() {
	local log=$1 n=$2
	shift 2
	( exec "$@" ) >"$log" 2>&1 &
	EXPORTER_PID=$!
	PIDS+=("$EXPORTER_PID")
	for _ in $(seq 200); do
		[ "$(grep -c 'serving https\?://' "$log")" -ge "$n" ] && break
		kill -0 "$EXPORTER_PID" 2>/dev/null || { cat "$log"; fail "$1 exited before serving"; }
		sleep 0.05
	done
	[ "$(grep -c 'serving https\?://' "$log")" -ge "$n" ] || { cat "$log"; fail "$1 did not start serving"; }
	PORT4=$(sed -n 's|.*serving https\?://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$log" | head -n 1)
	PORT6=$(sed -n 's|.*serving https\?://\[::1\]:\([0-9]*\)/metrics.*|\1|p' "$log" | head -n 1)
}

# stop_exporter PID LOG: SIGTERM, and the program must exit 0 (under the
# sanitizers: no error, no leak), within ten seconds.
stop_exporter() {
	local pid=$1 log=$2 rc=0
	kill "$pid" 2>/dev/null || { cat "$log"; fail "$log: the program was gone before being stopped"; }
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && { cat "$log"; fail "$log: still running 10 s after SIGTERM"; }
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || { cat "$log"; fail "$log: exit status $rc after SIGTERM"; }
}

# wait_reports HOST PORT N: wait until the exporter has published N reports.
wait_reports() {
	python3 -c 'import sys, prometheus_lib as p; p.wait_reports(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))' "$@" ||
		fail "no $3 reports from $1:$2"
}

# need_ipv6: skip where ::1 is missing.
need_ipv6() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
		skip "no IPv6 loopback (::1) on this machine"
}

# The fixture host shared by the tests: two zones, three fake qemu VMs, and
# for the agent three processes in cgroups. make_fixture sets pc, proc.
make_fixture() {
	pc=$T/powercap proc=$T/proc
	mkdir -p "$pc" "$proc"
	p0=$(make_zone "$pc" intel-rapl:0 package-0 262143328850)
	d0=$(make_zone "$pc" intel-rapl:0:1 dram 262143328850)
	make_qemu "$proc" 1001 web aaaaaaaa-0000-0000-0000-000000000001 2
	make_qemu "$proc" 1002 db aaaaaaaa-0000-0000-0000-000000000002 4
	make_qemu "$proc" 1003 idle aaaaaaaa-0000-0000-0000-000000000003 2
	for pid in 1001 1002 1003; do mkdir -p "$proc/$pid"; done
	printf '0::/machine.slice/machine-qemu\\x2d1\\x2dweb.scope\n' >"$proc/1001/cgroup"
	printf '1:name=systemd:/machine.slice/db.scope\n0::/machine.slice/db.scope\n' >"$proc/1002/cgroup"
	printf '0::/machine.slice/idle.scope\n' >"$proc/1003/cgroup"
	# 8 CPUs; busy: web 1.5, db 1.0, idle 0, and 0.5 of host work
	advance --zone "$p0=60" --zone "$d0=12" --proc "$proc" --ncpu 8 \
		--process 1001:qemu-system-x86:1.5 --process 1002:qemu-system-x86:1.0 \
		--process 1003:qemu-system-x86:0 --other-busy 0.5
}
