#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmarks: print figures, judge nothing. The integration tests' helpers
# (tests/integration/lib.sh) give the private directory, the fixture trees
# and fake qemu processes, and stop what was started on exit.
. "$(dirname "$0")/../integration/lib.sh"

# A two-package tree with core and dram, each zone drawing these watts.
mkdir -p "$T/pc"
zones=()
for zone in "intel-rapl:0 package-0 40" "intel-rapl:0:0 core 20" "intel-rapl:0:1 dram 5" \
	"intel-rapl:1 package-1 40" "intel-rapl:1:0 core 20" "intel-rapl:1:1 dram 5"; do
	read -r id name watts <<<"$zone"
	dir=$(make_zone "$T/pc" "$id" "$name" 262143328850)
	zones+=(--zone "$dir=$watts")
done

# The agent on a /proc with N processes.
# shellcheck disable=SC2043  # one N for now; the loop takes more
for n in 1000; do
	mkdir -p "$T/proc$n"
	# processes advance every 500 ms: the writer must not drown the reader
	advance --proc-period-ms 500 "${zones[@]}" \
		--proc "$T/proc$n" --ncpu 64 --pids-from 1000 --pids "$n" --pid-cpus 0.01
	"$TOP/tests/bench/measure.sh" 100 "agent, json, $n processes, 6 zones" \
		"$AGENT" --powercap-root "$T/pc" --proc-root "$T/proc$n" json -s 0.1 -t 10 -n 10
	"$TOP/tests/bench/measure.sh" 100 "agent, stdout, $n processes, 6 zones" \
		"$AGENT" --powercap-root "$T/pc" --proc-root "$T/proc$n" stdout -s 0.1 -t 10 -n 10
done

# The daemon: N fake qemu VMs found in a fixture /proc, 100 ticks.
for n in 10 100 1000; do
	proc=$T/vmproc$n
	mkdir -p "$proc"
	for i in $(seq 0 $((n - 1))); do
		make_qemu "$proc" $((20000 + i)) "vm-$i" "$(printf '00000000-0000-0000-0000-%012d' "$i")" 2
	done
	advance --proc-period-ms 500 "${zones[@]}" \
		--proc "$proc" --ncpu 64 --pids-from 20000 --pids "$n" --pid-cpus 0.05
	"$TOP/tests/bench/measure.sh" 100 "daemon, proc source, $n VMs, 6 zones, 0.1 s ticks" \
		"$DAEMON" --powercap-root "$T/pc" --proc-root "$proc" --vm-source proc --mountpoint "$T/mnt$n" --control-socket "" \
		--state-dir "$T/state$n" --user "$TEST_USER" --interval 0.1 json -s 10 -t 10
done

# The daemon on the libvirt source, where libvirtd runs here: libvirt's
# library chain, loaded with the module, on top of the figures above.
if [ "$(id -u)" = 0 ] && virsh -q -c qemu:///system version >/dev/null 2>&1; then
	ndom=$(virsh -q -c qemu:///system list --all --name | grep -c . || true)
	"$TOP/tests/bench/measure.sh" 100 "daemon, libvirt source (qemu:///system, $ndom domains), 6 zones, 0.1 s ticks" \
		"$DAEMON" --powercap-root "$T/pc" --vm-source libvirt --libvirt-uri qemu:///system \
		--mountpoint "" --control-socket "" --state-dir "$T/statelv" --user root --interval 0.1 json -s 10 -t 10
else
	echo "daemon, libvirt source: not measured (needs root and a running libvirtd)"
fi

# energy_uj through the FUSE tree against the same read from a tmpfs file.
if [ -c /dev/fuse ] && [ "$(id -u)" = 0 ]; then
	proc=$T/fuseproc
	make_qemu "$proc" 30001 reader 30000000-0000-0000-0000-000000000001 1
	advance "${zones[@]:0:2}" --proc "$proc" --ncpu 2 --process 30001:qemu-system-x86:1  # package-0
	start_daemon "$T/fuse-daemon.log" --powercap-root "$T/pc" --proc-root "$proc" --vm-source proc \
		--state-dir "$T/fusestate" --interval 1
	energy=$MNT/reader/intel-rapl:0/energy_uj
	for _ in $(seq 100); do [ -e "$energy" ] && break; sleep 0.05; done
	mkdir -p "$T/tmpfs" && mount -t tmpfs none "$T/tmpfs" && echo 123456789 >"$T/tmpfs/energy_uj"
	echo -n "FUSE energy_uj, 1 reader:  "; "$BUILD/tests/fuse-reader" "$energy" 0 1 20000
	echo -n "tmpfs energy_uj, 1 reader: "; "$BUILD/tests/fuse-reader" "$T/tmpfs/energy_uj" 0 1 20000
	echo -n "FUSE energy_uj, 8 readers: "; "$BUILD/tests/fuse-reader" "$energy" 0 8 20000
	echo -n "tmpfs energy_uj, 8 readers: "; "$BUILD/tests/fuse-reader" "$T/tmpfs/energy_uj" 0 8 20000
	umount "$T/tmpfs"
	kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
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
		PIDS+=("$pid")
		for _ in $(seq 200); do grep -q 'serving http://' "$log" && break; sleep 0.05; done
		port=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$log" | head -n 1)
		[ -n "$port" ] || { cat "$log"; echo "$label: did not serve"; kill "$pid"; wait "$pid" || true; unset 'PIDS[-1]'; return; }
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
		unset 'PIDS[-1]'  # stopped: the exit trap must not kill it again
	}
	prom_bench "agent, prometheus, 1000 processes, top 10" "$AGENT" --powercap-root "$T/pc" \
		--proc-root "$T/proc1000" prometheus -s 1 -n 10 --listen 127.0.0.1:0
	prom_bench "agent, prometheus, 1000 processes, top 1000" "$AGENT" --powercap-root "$T/pc" \
		--proc-root "$T/proc1000" prometheus -s 1 -n 1000 --listen 127.0.0.1:0
	prom_bench "daemon, prometheus, 1000 VMs, 6 zones" "$DAEMON" --powercap-root "$T/pc" \
		--proc-root "$T/vmproc1000" --vm-source proc --mountpoint "" --control-socket "" \
		--state-dir "$T/promstate" --user "$TEST_USER" --interval 1 prometheus -s 1 --listen 127.0.0.1:0
else
	echo "Prometheus scrape figures: skipped (needs wrk: apt-get install wrk)"
fi
