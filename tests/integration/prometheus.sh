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
	"$TOP/tests/deps.sh" "${missing[@]}" >"$log" 2>&1 || {
		tail -n 5 "$log"
		skip "cannot install ${missing[*]} with apt-get (no package archive reachable?)"
	}
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

# fixture_container: after make_fixture, db's process (1002) in a Docker
# container (systemd driver, cgroup v2), for the agent's --containers;
# exports CID, the container's id.
fixture_container() {
	export CID=3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d
	printf '0::/system.slice/docker-%s.scope\n' "$CID" >"$proc/1002/cgroup"
}

# start_prometheus CONFIG [NAME]: check CONFIG with promtool, run a
# Prometheus server on it (127.0.0.1, a port the kernel picks, storage in
# $T, apart for each NAME), wait until it is ready, and set prom_pid and
# prom_port.
start_prometheus() {
	local suffix=${2:+-$2}
	promtool check config "$1" >/dev/null || fail "promtool refused the test's config"
	prometheus --config.file="$1" --storage.tsdb.path="$T/tsdb$suffix" \
		--web.listen-address=127.0.0.1:0 --storage.tsdb.retention.time=1h >"$T/prometheus$suffix.log" 2>&1 &
	prom_pid=$!
	PIDS+=("$prom_pid")
	prom_port=$(python3 - "$prom_pid" <<'PY'
import sys, time, urllib.request
import prometheus_lib as p
pid = int(sys.argv[1])
deadline = time.monotonic() + 40
while time.monotonic() < deadline:
    for port in p.listening_ports(pid):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2) as r:
                if r.status == 200:
                    print(port)
                    sys.exit(0)
        except OSError:
            pass
    time.sleep(0.2)
sys.exit(1)
PY
) || { tail -n 20 "$T/prometheus$suffix.log"; fail "the Prometheus server did not come up"; }
}

# make_tls DIR: a CA (DIR/ca.crt) and a server certificate it signed for
# 127.0.0.1, ::1 and localhost (DIR/tls.crt, key DIR/tls.key), with openssl.
make_tls() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout "$d/ca.key" \
		-out "$d/ca.crt" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign 2>"$T/openssl.log" &&
	openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$d/tls.key" -out "$d/tls.csr" \
		2>>"$T/openssl.log" &&
	printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n' >"$d/ext" &&
	openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-extfile "$d/ext" -out "$d/tls.crt" 2>>"$T/openssl.log" ||
		{ cat "$T/openssl.log"; fail "openssl cannot make the test's certificates"; }
	chmod 600 "$d/tls.key" "$d/ca.key"
}

# crypt_hash METHOD PASSWORD: a crypt(3) hash of PASSWORD, METHOD one of
# Python's crypt.METHOD_* (METHOD_BLOWFISH for bcrypt, METHOD_SHA512).
crypt_hash() {
	python3 -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[2], crypt.mksalt(getattr(crypt, sys.argv[1]))))' "$@"
}
