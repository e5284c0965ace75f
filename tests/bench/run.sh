#!/bin/bash
# SPDX-License-Identifier: MIT
# The scoreboard (make bench): each figure measured beside its reference in
# the same run, interleaved, medians of BENCH_REPEATS (3) rounds (7 for the
# FUSE reads: short calls whose tails one busy moment moves), and one
# table at the end: measure | figure | reference | ratio | goal | ok/MISS.
# Misses are data: the exit status is 0 with MISS rows, 1 when a figure
# could not be taken. docs/development.md says what each row measures.
#
# CPU figures are CPU time (getrusage, CLOCK_PROCESS_CPUTIME_ID), not wall
# clock, so that other work on the machine moves them little; ratios to a
# reference measured in the same rounds are what to read.
#
# The integration tests' helpers (tests/integration/lib.sh) give the
# private directory and the fixtures, and stop every process, tree server
# and mount under it on exit, whatever the exit (Ctrl-C included).
#
# The fixtures live on a tmpfs of the bench's own, as /proc and sysfs live
# in memory: a disk's journal and atime updates are no part of reading a
# counter, and would move both sides' figures with the disk's mood.
BENCH_TMPFS=""
if [ "$(id -u)" = 0 ]; then
	BENCH_TMPFS=$(mktemp -d "${TMPDIR:-/tmp}/vpowercap-bench.XXXXXX")
	mount -t tmpfs -o size=1g,mode=0755 vpowercap-bench "$BENCH_TMPFS" || {
		rmdir "$BENCH_TMPFS"
		echo "bench: cannot mount a tmpfs for the fixtures" >&2
		exit 1
	}
	export TMPDIR=$BENCH_TMPFS
fi
. "$(dirname "$0")/../integration/lib.sh"
trap 'exit 130' INT
trap 'exit 143' TERM
# A run that stops early (a failure, Ctrl-C) still prints the rows it
# measured, then cleans up as the tests do.
ROWS=()
UNMEASURED=0
TABLE_PRINTED=0
bench_exit() {
	local rc=$?
	if [ "$TABLE_PRINTED" = 0 ] && [ "${#ROWS[@]}" -gt 0 ]; then
		echo "bench: stopped early (exit $rc); the rows measured before:" >&2
		print_table
	fi
	cleanup_mount
	if [ -n "$BENCH_TMPFS" ]; then
		umount -l "$BENCH_TMPFS" 2>/dev/null || true
		rmdir "$BENCH_TMPFS" 2>/dev/null || true
	fi
}
trap bench_exit EXIT

REPEATS=${BENCH_REPEATS:-3}
LATE_TICKS=${BENCH_LATE_TICKS:-60}
BENCH=$BUILD/bench
READER=$BUILD/tests/fuse-reader

if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then
	echo "bench: needs root and /dev/fuse (the daemon's FUSE tree, the reference server)" >&2
	exit 1
fi
for tool in "$ADVANCE" "$READER" "$BENCH/bench-ref-fuse" "$BENCH/bench-ref-loop" "$BENCH/bench-run-measured"; do
	[ -x "$tool" ] || { echo "bench: $tool is not built (make bench builds it)" >&2; exit 1; }
done
for cmd in wrk prometheus-node-exporter python3; do
	command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing (make bench installs it)" >&2; exit 1; }
done

say() { printf '  %s\n' "$*" >&2; }

# median: the median of the numbers on standard input, one a line (nothing
# when there is none).
median() {
	grep -E '^[0-9.eE+-]+$' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.6g\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# row MEASURE UNIT FIGURE REFERENCE GOAL_RATIO [GOAL_ABS]: a line of the
# table. ok when FIGURE/REFERENCE <= GOAL_RATIO (when there is a reference)
# and FIGURE < GOAL_ABS (when given); "-" for no reference or no goal.
row() {
	local measure=$1 unit=$2 fig=$3 ref=$4 goal_ratio=$5 goal_abs=${6:-} line
	if [ -z "$fig" ] || { [ "$ref" != - ] && [ -z "$ref" ]; }; then
		UNMEASURED=1
		ROWS+=("$measure|${fig:-n/a}|${ref:-n/a}|n/a|-|NOT MEASURED")
		say "row: ${ROWS[-1]//|/ | }"
		return
	fi
	line=$(awk -v m="$measure" -v u="$unit" -v f="$fig" -v r="$ref" -v gr="$goal_ratio" -v ga="$goal_abs" 'BEGIN {
		ok = 1; goal = ""; ratio = "-"
		if (r != "-" && r + 0 > 0) {
			ratio = sprintf("%.2fx", f / r)
			if (gr != "-") { goal = "<= " gr "x"; if (f / r > gr + 0) ok = 0 }
		}
		if (ga != "") { goal = (goal ? goal " and " : "") "< " ga " " u; if (f + 0 >= ga + 0) ok = 0 }
		if (goal == "") goal = "-"
		printf "%s|%s %s|%s|%s|%s|%s", m, f, u, r == "-" ? "-" : r " " u, ratio, goal, goal == "-" ? "-" : ok ? "ok" : "MISS" }')
	ROWS+=("$line")
	# each row as it is measured: a run that stops later loses nothing
	say "row: ${line//|/ | }"
}

print_table() {
	echo
	printf '%s\n' "measure|figure|reference (same run)|ratio|goal|ok" "${ROWS[@]}" |
		awk -F'|' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR }
		END { for (r = 1; r <= n; r++) {
			line = ""
			for (i = 1; i <= 6; i++) line = line sprintf(i == 1 ? "%-*s" : " | %-*s", w[i], c[r, i])
			print line
			if (r == 1) { line = ""; for (i = 1; i <= 6; i++) { d = sprintf("%*s", w[i], ""); gsub(/ /, "-", d); line = line (i == 1 ? d : "-|-" d) } print line }
		} }'
}

# stop PID: end a background process of ours and forget it.
stop() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for i in "${!PIDS[@]}"; do
		[ "${PIDS[$i]}" = "$pid" ] && unset 'PIDS[i]'
	done
	PIDS=("${PIDS[@]}")
}

# writer ARGS...: fixture-advance in the background; WRITER is its pid.
# Each phase stops its own before the next starts: two writers rewriting
# the same counters make them go back.
writer() {
	advance "$@"
	WRITER=${PIDS[-1]}
}

# A two-package tree with core and dram, each zone drawing these watts.
mkdir -p "$T/pc" "$T/sys/class"
zones=()
for zone in "intel-rapl:0 package-0 40" "intel-rapl:0:0 core 20" "intel-rapl:0:1 dram 5" \
	"intel-rapl:1 package-1 40" "intel-rapl:1:0 core 20" "intel-rapl:1:1 dram 5"; do
	read -r id name watts <<<"$zone"
	dir=$(make_zone "$T/pc" "$id" "$name" 262143328850)
	zones+=(--zone "$dir=$watts")
done
ln -s ../../pc "$T/sys/class/powercap"  # node_exporter's --path.sysfs

# vm_fixture N: a /proc with N fake qemu processes (pids from 20000), in VMPROC.
vm_fixture() {
	local n=$1 i
	VMPROC=$T/vmproc$n
	[ -d "$VMPROC" ] && return
	mkdir -p "$VMPROC"
	for ((i = 0; i < n; i++)); do
		make_qemu "$VMPROC" $((20000 + i)) "vm-$i" "$(printf '00000000-0000-0000-0000-%012d' "$i")" 2
	done
}
vm_writer() {  # N
	writer --proc-period-ms 500 "${zones[@]}" --proc "$T/vmproc$1" --ncpu 64 \
		--pids-from 20000 --pids "$1" --pid-cpus 0.05
}

# daemon LOG ARGS...: vpowercapd on the fixtures in the background
# (VPD_PID); waits for its /metrics (VPD_PORT) when it serves one, and for
# its tree when it mounts one.
daemon() {
	local log=$1 mnt="" a prev=""
	shift
	for a in "$@"; do [ "$prev" = --mountpoint ] && mnt=$a; prev=$a; done
	( exec "$DAEMON" --powercap-root "$T/pc" --vm-source proc --control-socket "" \
		--state-dir "$T/state.$RANDOM" --user "$TEST_USER" "$@" ) >"$log" 2>&1 &
	VPD_PID=$!
	PIDS+=("$VPD_PID")
	VPD_PORT=""
	for _ in $(seq 300); do
		kill -0 "$VPD_PID" 2>/dev/null || { cat "$log" >&2; return 1; }
		VPD_PORT=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$log" | head -n 1)
		if { [ -n "$VPD_PORT" ] || ! grep -q -- prometheus <<<"$*"; } &&
			{ [ -z "$mnt" ] || [ -n "$(ls "$mnt" 2>/dev/null)" ]; }; then
			return 0
		fi
		sleep 0.1
	done
	cat "$log" >&2
	return 1
}

# daemon_stop MOUNTPOINT: stop the daemon, and its tree server (which
# outlives it by design).
daemon_stop() {
	stop "$VPD_PID"
	[ -n "${1:-}" ] && stop_tree_servers "$1"
	[ -n "${1:-}" ] && mountpoint -q "$1" 2>/dev/null && umount -l "$1"
	return 0
}

# tick_figures LOG: "CPU_MS LATE_MS" from the daemon's last words.
tick_figures() {
	sed -n 's/.* \([0-9]*\) ticks: \([0-9.]*\) ms of CPU per tick, the latest started \([0-9.]*\) ms late.*/\2 \3/p' "$1" | tail -n 1
}

# peak_rss PID MOUNTPOINT: the daemon's peak RSS and its tree server's,
# added (each its own peak: at least the peak of the two), in MB.
peak_rss() {
	local server want=1
	server=$(tree_servers "$2" | head -n 1)
	[ -n "$server" ] && want=2
	cat "/proc/$1/status" ${server:+"/proc/$server/status"} 2>/dev/null |
		awk -v want="$want" '/^VmHWM:/ { kb += $2; n++ } END { if (n == want) printf "%.1f", kb / 1024 }'
}

# scrape PORT: one scrape as Prometheus asks, gzip accepted; prints the
# body's size, compressed and not.
scrape() {
	python3 - "$1" <<'EOF'
import gzip, sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/metrics", headers={"Accept-Encoding": "gzip"})
with urllib.request.urlopen(req, timeout=10) as r:
    body = r.read()
    plain = gzip.decompress(body) if r.headers.get("Content-Encoding") == "gzip" else body
print(len(body), len(plain))
EOF
}

# spaced_latency PORT N PERIOD: N scrapes with gzip, PERIOD seconds apart
# (a fresh connection each, as Prometheus's after an idle interval), the
# milliseconds each took to its last byte, a line each.
spaced_latency() {
	python3 - "$@" <<'EOF'
import http.client, sys, time
port, n, period = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
start = time.monotonic()
for i in range(n):
    time.sleep(max(0, start + i * period - time.monotonic()))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.connect()
    t0 = time.perf_counter()
    conn.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
    resp = conn.getresponse()
    resp.read()
    t1 = time.perf_counter()
    conn.close()
    if resp.status == 200:
        print(f"{(t1 - t0) * 1000:.3f}")
EOF
}

# wrk_latency PORT SECONDS: "P50_MS P99_MS" of one client scraping with gzip.
wrk_latency() {
	wrk -t 1 -c 1 -d "${2}s" --latency -H 'Accept-Encoding: gzip' "http://127.0.0.1:$1/metrics" 2>&1 |
		awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		     $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } /Non-2xx|Socket errors/ { bad = 1 }
		     END { if (p50 != "" && !bad) print p50, p99 }'
}

echo "vpowercap bench: $REPEATS rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# --- energy_uj through the FUSE tree and through the minimal server -------
say "FUSE reads: the daemon's tree against bench-ref-fuse"
proc=$T/fuseproc
make_qemu "$proc" 30001 reader 30000000-0000-0000-0000-000000000001 1
writer "${zones[@]:0:2}" --proc "$proc" --ncpu 2 --process 30001:qemu-system-x86:1  # package-0 only
mnt=$T/mnt-fuse
daemon "$T/fuse-daemon.log" --proc-root "$proc" --mountpoint "$mnt" --interval 1 ||
	{ echo "bench: the daemon did not serve its tree" >&2; exit 1; }
ours=$mnt/30000000-0000-0000-0000-000000000001/intel-rapl/intel-rapl:0/energy_uj
mkdir -p "$T/ref"
"$BENCH/bench-ref-fuse" "$T/ref" >"$T/ref-fuse.log" 2>&1 &
REF_FUSE=$!
PIDS+=("$REF_FUSE")
for _ in $(seq 100); do [ -e "$T/ref/energy_uj" ] && [ -e "$ours" ] && break; sleep 0.05; done
[ -e "$T/ref/energy_uj" ] || { cat "$T/ref-fuse.log" >&2; echo "bench: bench-ref-fuse did not mount" >&2; exit 1; }
[ -e "$ours" ] || { cat "$T/fuse-daemon.log" >&2; echo "bench: no $ours" >&2; exit 1; }
# reads KIND FILE THREADS READS [FLAGS]: append "P50 P99" (us) to $T/KIND
reads() {
	local kind=$1 file=$2 out
	shift 2
	# a value not whole, or going back, is a failure, not a figure
	if ! out=$("$READER" "$file" 0 "$@" 2>&1); then
		echo "bench: $kind: $out" >&2
		UNMEASURED=1
		return 0
	fi
	sed -n 's/.*latency median \([0-9.]*\) us, p99 \([0-9.]*\) us.*/\1 \2/p' <<<"$out" >>"$T/$kind"
}
# short calls whose tails one busy moment moves: twice the rounds, plus one
for ((r = 0; r < 2 * REPEATS + 1; r++)); do
	reads pread1-ours "$ours" 1 20000
	reads pread1-ref "$T/ref/energy_uj" 1 20000
	reads pread8-ours "$ours" 8 4000
	reads pread8-ref "$T/ref/energy_uj" 8 4000
	reads orc1-ours "$ours" 1 5000 --reopen
	reads orc1-ref "$T/ref/vm/intel-rapl/intel-rapl:0/energy_uj" 1 5000 --reopen
	reads orc4-ours "$ours" 4 2000 --reopen
	reads orc4-ref "$T/ref/vm/intel-rapl/intel-rapl:0/energy_uj" 4 2000 --reopen
done
col() { [ -e "$T/$1" ] && awk -v c="$2" '{ print $c }' "$T/$1" | median; }
row "energy_uj pread, open fd, 1 reader, median" us "$(col pread1-ours 1)" "$(col pread1-ref 1)" 1.1
row "energy_uj pread, open fd, 1 reader, p99" us "$(col pread1-ours 2)" "$(col pread1-ref 2)" 1.1
row "energy_uj pread, open fd, 8 readers, median" us "$(col pread8-ours 1)" "$(col pread8-ref 1)" 1.1
row "energy_uj pread, open fd, 8 readers, p99" us "$(col pread8-ours 2)" "$(col pread8-ref 2)" 1.1
row "open+read+close at guest depth, 1 reader, median" us "$(col orc1-ours 1)" "$(col orc1-ref 1)" 1.1
row "open+read+close at guest depth, 1 reader, p99" us "$(col orc1-ours 2)" "$(col orc1-ref 2)" 1.1
row "open+read+close at guest depth, 4 readers, median" us "$(col orc4-ours 1)" "$(col orc4-ref 1)" 1.1
row "open+read+close at guest depth, 4 readers, p99" us "$(col orc4-ours 2)" "$(col orc4-ref 2)" 1.1
stop "$REF_FUSE"
daemon_stop "$mnt"
stop "$WRITER"

# --- the daemon's CPU per tick against the bare loop ----------------------
tick_1000="" tick_5000=""
for n in 10 1000 5000; do
	say "daemon tick CPU, $n VMs: the daemon against bench-ref-loop vms"
	vm_fixture "$n"
	vm_writer "$n"
	: >"$T/tick-ours" && : >"$T/tick-ref"
	for ((r = 0; r < REPEATS; r++)); do
		if daemon "$T/tick$n.log" --proc-root "$VMPROC" --mountpoint "" --interval 0.1; then
			sleep 3.5
			daemon_stop
			tick_figures "$T/tick$n.log" | awk '{ print $1 * 1000 }' >>"$T/tick-ours"
		fi
		"$BENCH/bench-ref-loop" vms "$VMPROC" "$T/pc" 0.1 30 |
			sed -n 's/.*: \([0-9.]*\) us of CPU per pass/\1/p' >>"$T/tick-ref"
	done
	ours=$(median <"$T/tick-ours") ref=$(median <"$T/tick-ref")
	row "daemon CPU per tick, $n VMs" us "$ours" "$ref" 1.3
	case $n in 1000) tick_1000=$ours ;; 5000) tick_5000=$ours ;; esac
	stop "$WRITER"
done
# linear: a VM costs at 5,000 VMs what it costs at 1,000
per5k=$(awk -v t="$tick_5000" 'BEGIN { if (t != "") printf "%.3f", t / 5000 }')
per1k=$(awk -v t="$tick_1000" 'BEGIN { if (t != "") printf "%.3f", t / 1000 }')
row "daemon CPU per VM per tick, 5,000 VMs (ref: at 1,000)" us "$per5k" "$per1k" 1.2

# --- as deployed: 1 s ticks, FUSE tree and Prometheus on, the tree server's
# CPU counted with the daemon's, a scrape every 15 s -----------------------
# deployed_run N TICKS: the CPU (us) of a daemon that serves N VMs for TICKS
# reports and its tree server (stopped after it, by bench-run-measured, its
# subreaper), and its tick count; appends "CPU TICKS" to $T/dep-N-TICKS.
deployed_run() {
	local n=$1 ticks=$2 log=$T/dep.log out=$T/dep.out port="" started measured=""
	( exec "$BENCH/bench-run-measured" --descendants "$DAEMON" --powercap-root "$T/pc" --vm-source proc \
		--control-socket "" --state-dir "$T/state.$RANDOM" --user "$TEST_USER" --proc-root "$T/vmproc$n" \
		--mountpoint "$T/mnt-dep" --interval 1 prometheus -s 1 -t "$ticks" --listen 127.0.0.1:0 ) >"$out" 2>"$log" &
	measured=$!
	PIDS+=("$measured")
	for _ in $(seq 300); do
		port=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$log" | head -n 1)
		[ -n "$port" ] && break
		kill -0 "$measured" 2>/dev/null || break
		sleep 0.1
	done
	# a scrape 2 s in, then every 15 s, as long as it runs
	started=$(date +%s.%N)
	for ((k = 0; ; k++)); do
		while kill -0 "$measured" 2>/dev/null &&
			awk -v s="$started" -v k="$k" -v now="$(date +%s.%N)" 'BEGIN { exit !(now < s + 2 + 15 * k) }'; do
			sleep 0.1
		done
		kill -0 "$measured" 2>/dev/null || break
		[ -n "$port" ] && { scrape "$port" >/dev/null 2>&1 || true; }
	done
	wait "$measured" || true
	stop_tree_servers "$T/mnt-dep"
	mountpoint -q "$T/mnt-dep" 2>/dev/null && umount -l "$T/mnt-dep"
	local cpu t
	cpu=$(sed -n 's/^cpu_us=\([0-9]*\).*/\1/p' "$out")
	t=$(sed -n 's/.* \([0-9]*\) ticks: .*/\1/p' "$log" | tail -n 1)
	if [ -n "$cpu" ] && [ -n "$t" ]; then
		echo "$cpu $t" >>"$T/dep-$n-$ticks"
	else
		cat "$log" >&2
		echo "bench: a deployed run of $n VMs gave no figure" >&2
		UNMEASURED=1
	fi
}
for n in 10 1000 5000; do
	say "as deployed, $n VMs: daemon and tree server CPU per tick (1 s ticks, FUSE, Prometheus scraped every 15 s)"
	vm_fixture "$n"
	vm_writer "$n"
	: >"$T/dep-ours" && : >"$T/dep-ref"
	for ((r = 0; r < REPEATS; r++)); do
		# the difference of a 5-tick and a 35-tick run: start-up cancels out
		: >"$T/dep-$n-5" && : >"$T/dep-$n-35"
		deployed_run "$n" 5
		deployed_run "$n" 35
		[ -s "$T/dep-$n-5" ] && [ -s "$T/dep-$n-35" ] &&
			paste -d' ' "$T/dep-$n-5" "$T/dep-$n-35" |
			awk '$4 > $2 { printf "%.1f\n", ($3 - $1) / ($4 - $2) }' >>"$T/dep-ours"
		# the bare loop at the same 1 s: a process that sleeps a second
		# wakes to colder caches than one that sleeps 0.1 s, on both sides
		"$BENCH/bench-ref-loop" vms "$VMPROC" "$T/pc" 1 20 |
			sed -n 's/.*: \([0-9.]*\) us of CPU per pass/\1/p' >>"$T/dep-ref"
	done
	goal=1.5
	[ "$n" = 10 ] && goal=2
	row "as deployed: daemon + tree server CPU per tick, $n VMs (ref: the bare loop, 1 s passes)" us \
		"$(median <"$T/dep-ours")" "$(median <"$T/dep-ref")" "$goal"
	stop "$WRITER"
done

# --- /metrics at 1,000 VMs against node_exporter's rapl collector ----------
say "/metrics, 1000 VMs, gzip: the daemon against node_exporter (rapl only)"
vm_writer 1000
mnt=$T/mnt-1000
daemon "$T/prom1000.log" --proc-root "$T/vmproc1000" --mountpoint "$mnt" --interval 1 \
	prometheus -s 1 --listen 127.0.0.1:0 || { echo "bench: the daemon did not serve /metrics" >&2; exit 1; }
ne_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --path.sysfs="$T/sys" --collector.disable-defaults --collector.rapl \
	--web.listen-address="127.0.0.1:$ne_port" >"$T/node-exporter.log" 2>&1 &
NE_PID=$!
PIDS+=("$NE_PID")
for _ in $(seq 100); do scrape "$ne_port" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 2  # a few ticks in
ne_sizes=$(scrape "$ne_port" 2>/dev/null || true)
python3 -c 'import sys, urllib.request
sys.exit(b"node_rapl_package_joules_total" not in urllib.request.urlopen(sys.argv[1]).read())' \
	"http://127.0.0.1:$ne_port/metrics" 2>/dev/null ||
	say "node_exporter shows no rapl zone (its log: $(tail -n 2 "$T/node-exporter.log"))"
vpd_sizes=$(scrape "$VPD_PORT" 2>/dev/null || true)
say "bytes per scrape (gzip, plain): daemon $vpd_sizes, node_exporter $ne_sizes"
: >"$T/prom-ours" && : >"$T/prom-ref"
for ((r = 0; r < REPEATS; r++)); do
	wrk_latency "$VPD_PORT" 4 >>"$T/prom-ours"
	wrk_latency "$ne_port" 4 >>"$T/prom-ref"
done
row "daemon /metrics, 1,000 VMs, gzip, p50" ms "$(col prom-ours 1)" "$(col prom-ref 1)" 0.5
row "daemon /metrics, 1,000 VMs, gzip, p99" ms "$(col prom-ours 2)" "$(col prom-ref 2)" 0.5 2
# As Prometheus scrapes: each scrape the first of its report (the body
# rendered for it, or ahead when the scrape is foreseen), one every 1.1 s.
: >"$T/spaced-ours" && : >"$T/spaced-ref"
for ((r = 0; r < REPEATS; r++)); do
	spaced_latency "$VPD_PORT" 15 1.1 >>"$T/spaced-ours"
	spaced_latency "$ne_port" 15 1.1 >>"$T/spaced-ref"
done
pct() { sort -g "$1" | awk -v q="$2" '{ v[NR] = $1 } END { if (NR) { i = int(q * NR + 0.999); if (i < 1) i = 1; print v[i] } }'; }
row "daemon /metrics, 1,000 VMs, gzip, one scrape a report (every 1.1 s), p50" ms \
	"$(pct "$T/spaced-ours" 0.5)" "$(pct "$T/spaced-ref" 0.5)" 0.5
row "daemon /metrics, 1,000 VMs, gzip, one scrape a report (every 1.1 s), p99" ms \
	"$(pct "$T/spaced-ours" 0.99)" "$(pct "$T/spaced-ref" 0.99)" 0.5 2
rss1000=$(peak_rss "$VPD_PID" "$mnt")
row "daemon + tree server peak RSS, 1,000 VMs, FUSE + Prometheus" MB "$rss1000" - - 10
stop "$NE_PID"
daemon_stop "$mnt"
stop "$WRITER"

# --- tick lateness and memory at 5,000 VMs --------------------------------
say "5000 VMs, 1 s ticks, FUSE + Prometheus: lateness over $LATE_TICKS ticks, peak RSS"
vm_writer 5000
mnt=$T/mnt-5000
if daemon "$T/late.log" --proc-root "$T/vmproc5000" --mountpoint "$mnt" --interval 1 \
	prometheus -s 1 -t "$LATE_TICKS" --listen 127.0.0.1:0; then
	# a few scrapes, then the peak as long as it runs
	for ((i = 0; ; i++)); do
		[ "$i" -lt 5 ] && { scrape "$VPD_PORT" >/dev/null 2>&1 || true; }
		kill -0 "$VPD_PID" 2>/dev/null || break
		hwm=$(peak_rss "$VPD_PID" "$mnt")
		[ -n "$hwm" ] && rss5000=$hwm  # peaks: they only grow
		sleep 0.5
	done
	daemon_stop "$mnt"
fi
row "daemon + tree server peak RSS, 5,000 VMs, FUSE + Prometheus" MB "${rss5000:-}" - - 14
row "tick lateness, 1 s ticks, 5,000 VMs, max of $LATE_TICKS" ms "$(tick_figures "$T/late.log" | awk '{ print $2 }')" - - 50
stop "$WRITER"

# --- the channel ------------------------------------------------------------
# The tree server's CPU per tick, from /proc/PID/stat over SECONDS of
# 0.1 s ticks, in us. server_cpu_per_tick PID SECONDS
server_cpu_per_tick() {
	local a b
	a=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
	sleep "$2"
	b=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
	awk -v a="$a" -v b="$b" -v s="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f\n", (b - a) / hz * 1e6 / (s / 0.1) }'
}
# The tree server's CPU to serve one reading of every VM's counters through
# FUSE (each zone's energy_uj opened, read and closed, as a guest's 9p or
# virtiofs read does), in us: rounds for at least 3 s, less the ticks' own
# cost (BASE us a 0.1 s tick) over that time. fuse_round_cpu PID MNT BASE
fuse_round_cpu() {
	local out
	out=$(python3 "$(dirname "$0")/fuse_rounds.py" "$2" "$1") || return 0
	set -- $out "$3"
	[ "${3:-0}" -gt 0 ] || return 0
	awk -v rounds="$1" -v secs="$2" -v cpu="$4" -v base="$5" 'BEGIN { printf "%.1f\n", (cpu - base * secs / 0.1) / rounds }'
}
for n in 1000 5000; do
	say "channel, $n VMs: the tree server's CPU per tick with $n channels, against serving the same counters through FUSE"
	vm_fixture "$n"
	vm_writer "$n"
	: >"$T/chan-ours" && : >"$T/chan-ref" && : >"$T/chan-fuse"
	for ((r = 0; r < REPEATS; r++)); do
		mnt=$T/mnt-chan ctl=$T/ctl-chan-$n-$r
		mkdir -p "$ctl"
		daemon "$T/chan$n.log" --proc-root "$VMPROC" --mountpoint "$mnt" --control-socket "$ctl/control.sock" \
			--interval 0.1 || continue
		server=$(tree_servers "$mnt")
		base=$(server_cpu_per_tick "$server" 5)
		fuse_round_cpu "$server" "$mnt" "$base" >>"$T/chan-fuse"
		"$BENCH/bench-channel-peers" "$ctl/vpowercap-channel.sock" "$n" >"$T/peers.out" &
		peers=$!
		for _ in $(seq 600); do grep -q ready "$T/peers.out" && break; sleep 0.1; done
		if grep -q ready "$T/peers.out"; then
			sleep 1
			with=$(server_cpu_per_tick "$server" 5)
			echo "$base" >>"$T/chan-ref"
			awk -v w="$with" -v b="$base" 'BEGIN { printf "%.1f\n", w - b }' >>"$T/chan-ours"
		fi
		stop "$peers"
		daemon_stop "$mnt"
	done
	row "channel frames, tree server CPU per tick, $n VMs (ref: the same counters read through FUSE once)" us \
		"$(median <"$T/chan-ours")" "$(median <"$T/chan-fuse")" 1.0
	row "channel frames, tree server CPU per tick, $n VMs (ref: decoding and publishing the snapshot)" us \
		"$(median <"$T/chan-ours")" "$(median <"$T/chan-ref")" -
	stop "$WRITER"
done
say "vpowercap-channel CPU per frame, 4 zones"
python3 - "$T/frames" <<'PY'
import sys
def fnv1a(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h
with open(sys.argv[1], "wb") as f:
    for i in range(2200):
        payload = (f"host bench\nepoch 1\ntime {1765000000000 + i * 1000}\n"
                   f"zone intel-rapl:0 package-0 262143328850 {1000000 + i * 20000000}\n"
                   f"zone intel-rapl:0:0 core 262143328850 {500000 + i * 12000000}\n"
                   f"zone intel-rapl:0:1 dram 65712999613 {300000 + i * 3000000}\n"
                   f"zone intel-rapl:1 psys 262143328850 {900000 + i * 40000000}\n").encode()
        f.write(f"VPC1 {len(payload)} {fnv1a(payload):08x}\n".encode() + payload)
PY
: >"$T/frame-ours"
for ((r = 0; r < REPEATS; r++)); do
	# the difference of a 200-frame and a 2,200-frame run: start-up cancels out
	rm -rf "$T/gtree-a" "$T/gtree-b"
	short=$("$BENCH/bench-run-measured" "$BUILD/vpowercap-channel" -q --port "$T/frames" --tree "$T/gtree-a" --frames 200)
	long=$("$BENCH/bench-run-measured" "$BUILD/vpowercap-channel" -q --port "$T/frames" --tree "$T/gtree-b" --frames 2200)
	awk -v s="$short" -v l="$long" 'BEGIN { split(s, a, /[ =]/); split(l, b, /[ =]/); print (b[2] - a[2]) / 2000 }' >>"$T/frame-ours"
done
row "vpowercap-channel CPU per frame (the guest's tree update a tick), 4 zones" us "$(median <"$T/frame-ours")" - - 1000

# --- the agent's step against the bare loop -------------------------------
for n in 100 1000 5000; do
	say "agent step CPU, $n processes: the agent against bench-ref-loop procs"
	proc=$T/proc$n
	mkdir -p "$proc"
	# processes advance every 500 ms: the writer must not drown the reader
	writer --proc-period-ms 500 "${zones[@]}" --proc "$proc" --ncpu 64 --pids-from 1000 --pids "$n" --pid-cpus 0.01
	: >"$T/step-ours" && : >"$T/step-ref"
	for ((r = 0; r < REPEATS; r++)); do
		# the difference of a 10-step and a 40-step run: start-up cancels out
		short=$("$BENCH/bench-run-measured" "$AGENT" -q --powercap-root "$T/pc" --proc-root "$proc" json -s 0.1 -t 1 -n 10)
		long=$("$BENCH/bench-run-measured" "$AGENT" -q --powercap-root "$T/pc" --proc-root "$proc" json -s 0.1 -t 4 -n 10)
		awk -v s="$short" -v l="$long" 'BEGIN { split(s, a, /[ =]/); split(l, b, /[ =]/); print (b[2] - a[2]) / 30 }' >>"$T/step-ours"
		"$BENCH/bench-ref-loop" procs "$proc" "$T/pc" 0.1 30 |
			sed -n 's/.*: \([0-9.]*\) us of CPU per pass/\1/p' >>"$T/step-ref"
		[ "$n" = 1000 ] && echo "$long" >>"$T/agent-mem"
	done
	row "agent CPU per step, $n processes" us "$(median <"$T/step-ours")" "$(median <"$T/step-ref")" 1.1
	stop "$WRITER"
done
row "agent peak RSS private (RssAnon), 1,000 processes" MB \
	"$(sed -n 's/.*anon_kb=\([0-9]*\).*/\1/p' "$T/agent-mem" | awk '{ printf "%.2f\n", $1 / 1024 }' | median)" - - 1
row "agent peak RSS shared (RssFile), 1,000 processes" MB \
	"$(sed -n 's/.*file_kb=\([0-9]*\).*/\1/p' "$T/agent-mem" | awk '{ printf "%.2f\n", $1 / 1024 }' | median)" - -

TABLE_PRINTED=1
print_table
if [ "$UNMEASURED" != 0 ]; then
	echo "bench: some figures could not be taken (NOT MEASURED above)" >&2
	exit 1
fi
exit 0
