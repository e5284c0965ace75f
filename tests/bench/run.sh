#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmarks: print figures, judge nothing.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/vpowercap-bench.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# A two-package tree with core and dram, and a /proc with N processes.
mkzone() { mkdir -p "$T/pc/$1"; echo "$2" >"$T/pc/$1/name"; echo 262143328850 >"$T/pc/$1/max_energy_range_uj"; }
mkzone intel-rapl:0 package-0; mkzone intel-rapl:0:0 core; mkzone intel-rapl:0:1 dram
mkzone intel-rapl:1 package-1; mkzone intel-rapl:1:0 core; mkzone intel-rapl:1:1 dram

for n in 1000; do
	mkdir -p "$T/proc$n"
	# processes advance every 500 ms: the writer must not drown the reader
	"$BUILD/tests/fixture-advance" --ready "$T/ready$n" --proc-period-ms 500 \
		--zone "$T/pc/intel-rapl:0=40" --zone "$T/pc/intel-rapl:0:0=20" --zone "$T/pc/intel-rapl:0:1=5" \
		--zone "$T/pc/intel-rapl:1=40" --zone "$T/pc/intel-rapl:1:0=20" --zone "$T/pc/intel-rapl:1:1=5" \
		--proc "$T/proc$n" --ncpu 64 --pids-from 1000 --pids "$n" --pid-cpus 0.01 &
	pids+=($!)
	while [ ! -e "$T/ready$n" ]; do sleep 0.05; done
	"$top/tests/bench/measure.sh" 100 "agent, json, $n processes, 6 zones" \
		"$BUILD/vpowercap-agent" --powercap-root "$T/pc" --proc-root "$T/proc$n" json -s 0.1 -t 10 -n 10
	"$top/tests/bench/measure.sh" 100 "agent, stdout, $n processes, 6 zones" \
		"$BUILD/vpowercap-agent" --powercap-root "$T/pc" --proc-root "$T/proc$n" stdout -s 0.1 -t 10 -n 10
done

# The daemon: N fake qemu VMs found in a fixture /proc, 100 ticks.
for n in 10 100 1000; do
	proc=$T/vmproc$n
	mkdir -p "$proc"
	for i in $(seq 0 $((n - 1))); do
		mkdir -p "$proc/$((20000 + i))"
		printf '%s\0' /usr/bin/qemu-system-x86_64 -name "guest=vm-$i,debug-threads=on" \
			-uuid "$(printf '00000000-0000-0000-0000-%012d' "$i")" -smp 2 >"$proc/$((20000 + i))/cmdline"
	done
	"$BUILD/tests/fixture-advance" --ready "$T/vmready$n" --proc-period-ms 500 \
		--zone "$T/pc/intel-rapl:0=40" --zone "$T/pc/intel-rapl:0:0=20" --zone "$T/pc/intel-rapl:0:1=5" \
		--zone "$T/pc/intel-rapl:1=40" --zone "$T/pc/intel-rapl:1:0=20" --zone "$T/pc/intel-rapl:1:1=5" \
		--proc "$proc" --ncpu 64 --pids-from 20000 --pids "$n" --pid-cpus 0.05 &
	pids+=($!)
	while [ ! -e "$T/vmready$n" ]; do sleep 0.05; done
	chmod 755 "$T"
	"$top/tests/bench/measure.sh" 100 "daemon, proc source, $n VMs, 6 zones, 0.1 s ticks" \
		"$BUILD/vpowercapd" --powercap-root "$T/pc" --proc-root "$proc" --vm-source proc --mountpoint "$T/mnt$n" --control-socket "" \
		--state-dir "$T/state$n" --user nobody --interval 0.1 json -s 10 -t 10
done

# The daemon on the libvirt source, where libvirtd runs here: libvirt's
# library chain, loaded with the module, on top of the figures above.
if [ "$(id -u)" = 0 ] && virsh -q -c qemu:///system version >/dev/null 2>&1; then
	ndom=$(virsh -q -c qemu:///system list --all --name | grep -c . || true)
	"$top/tests/bench/measure.sh" 100 "daemon, libvirt source (qemu:///system, $ndom domains), 6 zones, 0.1 s ticks" \
		"$BUILD/vpowercapd" --powercap-root "$T/pc" --vm-source libvirt --libvirt-uri qemu:///system \
		--mountpoint "" --control-socket "" --state-dir "$T/statelv" --user root --interval 0.1 json -s 10 -t 10
else
	echo "daemon, libvirt source: not measured (needs root and a running libvirtd)"
fi

# energy_uj through the FUSE tree against the same read from a tmpfs file.
if [ -c /dev/fuse ] && [ "$(id -u)" = 0 ]; then
	proc=$T/fuseproc
	mkdir -p "$proc/30001"
	printf '%s\0' /usr/bin/qemu-system-x86_64 -name guest=reader -uuid 30000000-0000-0000-0000-000000000001 \
		>"$proc/30001/cmdline"
	"$BUILD/tests/fixture-advance" --ready "$T/fuseready" --zone "$T/pc/intel-rapl:0=40" \
		--proc "$proc" --ncpu 2 --process 30001:qemu-system-x86:1 &
	pids+=($!)
	while [ ! -e "$T/fuseready" ]; do sleep 0.05; done
	"$BUILD/vpowercapd" --powercap-root "$T/pc" --proc-root "$proc" --vm-source proc \
		--mountpoint "$T/fusemnt" --control-socket "" --state-dir "$T/fusestate" --user nobody --interval 1 2>/dev/null &
	daemon=$!
	for _ in $(seq 100); do [ -e "$T/fusemnt/reader/intel-rapl:0/energy_uj" ] && break; sleep 0.05; done
	mkdir -p "$T/tmpfs" && mount -t tmpfs none "$T/tmpfs" && echo 123456789 >"$T/tmpfs/energy_uj"
	echo -n "FUSE energy_uj, 1 reader:  "; "$BUILD/tests/fuse-reader" "$T/fusemnt/reader/intel-rapl:0/energy_uj" 0 1 20000
	echo -n "tmpfs energy_uj, 1 reader: "; "$BUILD/tests/fuse-reader" "$T/tmpfs/energy_uj" 0 1 20000
	echo -n "FUSE energy_uj, 8 readers: "; "$BUILD/tests/fuse-reader" "$T/fusemnt/reader/intel-rapl:0/energy_uj" 0 8 20000
	echo -n "tmpfs energy_uj, 8 readers: "; "$BUILD/tests/fuse-reader" "$T/tmpfs/energy_uj" 0 8 20000
	umount "$T/tmpfs"
	kill "$daemon"; wait "$daemon" 2>/dev/null || true
else
	echo "FUSE read latency: skipped (needs root and /dev/fuse)"
fi

# Prometheus scrapes with wrk: latency with one client at a time (median,
# 99th percentile) and throughput with eight, against the agent with 1,000
# fixture processes and the daemon with 1,000 fixture VMs (the trees above).
if command -v wrk >/dev/null; then
	prom_bench() {  # LABEL COMMAND...
		local label=$1 log=$T/prom-bench.log pid port bytes
		shift
		"$@" >"$log" 2>&1 &
		pid=$!
		pids+=("$pid")
		for _ in $(seq 200); do grep -q 'serving http://' "$log" && break; sleep 0.05; done
		port=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$log" | head -n 1)
		[ -n "$port" ] || { cat "$log"; echo "$label: did not serve"; kill "$pid"; wait "$pid" || true; unset 'pids[-1]'; return; }
		sleep 2.5  # a few reports in
		bytes=$(python3 -c 'import sys, urllib.request
print(len(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics").read()))' "$port")
		wrk -t 1 -c 1 -d 5s --latency "http://127.0.0.1:$port/metrics" >"$T/wrk1" 2>&1
		wrk -t 2 -c 8 -d 5s "http://127.0.0.1:$port/metrics" >"$T/wrk8" 2>&1
		awk -v l="$label" -v b="$bytes" '
			FILENAME ~ /wrk1$/ && $1 == "50%" { p50 = $2 }
			FILENAME ~ /wrk1$/ && $1 == "99%" { p99 = $2 }
			FILENAME ~ /wrk1$/ && /^Requests\/sec/ { rps1 = $2 }
			FILENAME ~ /wrk8$/ && /^Requests\/sec/ { rps8 = $2 }
			FILENAME ~ /wrk8$/ && /Non-2xx|Socket errors/ { bad = bad " " $0 }
			END { printf "%s: %d bytes per scrape; latency median %s, p99 %s (1 client, %.0f req/s); %.0f req/s with 8 clients%s\n",
				l, b, p50, p99, rps1, rps8, bad ? " ERRORS:" bad : "" }' "$T/wrk1" "$T/wrk8"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		unset 'pids[-1]'  # stopped: the exit trap must not kill it again
	}
	prom_bench "agent, prometheus, 1000 processes, top 10" "$BUILD/vpowercap-agent" --powercap-root "$T/pc" \
		--proc-root "$T/proc1000" prometheus -s 1 -n 10 --listen 127.0.0.1:0
	prom_bench "agent, prometheus, 1000 processes, top 1000" "$BUILD/vpowercap-agent" --powercap-root "$T/pc" \
		--proc-root "$T/proc1000" prometheus -s 1 -n 1000 --listen 127.0.0.1:0
	prom_bench "daemon, prometheus, 1000 VMs, 6 zones" "$BUILD/vpowercapd" --powercap-root "$T/pc" \
		--proc-root "$T/vmproc1000" --vm-source proc --mountpoint "" --control-socket "" \
		--state-dir "$T/promstate" --user nobody --interval 1 prometheus -s 1 --listen 127.0.0.1:0
else
	echo "Prometheus scrape figures: skipped (needs wrk: apt-get install wrk)"
fi
