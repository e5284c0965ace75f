#!/bin/bash
# SPDX-License-Identifier: MIT
# The placement's error for a thread that moves between packages: a fake
# qemu process burns CPU while being moved between CPU 0 and CPU 1 (a
# fixture topology makes them packages 0 and 1) every PERIOD seconds, or at
# random ("random": 0.02 to 1.02 s, uniformly); the daemon's split of its
# CPU time between the packages is compared with the kernel's own per-CPU
# accounting of it (cgroup v1 cpuacct.usage_percpu, sampled every 50 ms).
# Prints figures, judges nothing. Usage: migration.sh [SECONDS [PERIOD...]]
. "$(dirname "$0")/../integration/lib.sh"

secs=${1:-30}
shift || true
periods=("${@:-0.05 0.3 0.7 1.3}")
read -r -a periods <<<"${periods[*]}"
acct=/sys/fs/cgroup/cpuacct
[ "$(nproc --all)" -ge 2 ] || skip "fewer than 2 CPUs"
[ -w "$acct" ] || skip "no writable cgroup v1 cpuacct at $acct"

sys=$T/sys pc=$T/powercap
for c in 0 1; do
	mkdir -p "$sys/devices/system/cpu/cpu$c/topology"
	echo "$c" >"$sys/devices/system/cpu/cpu$c/topology/physical_package_id"
done
mkdir -p "$pc"
p0=$(make_zone "$pc" intel-rapl:0 package-0 262143328850)
p1=$(make_zone "$pc" intel-rapl:1 package-1 262143328850)
advance --zone "$p0=10" --zone "$p1=10"

for period in "${periods[@]}"; do
	cg=$acct/vpowercap-migration.$$.$period
	mkdir "$cg"
	# stopped, its processes gone (cleanup stops them): the group goes too
	trap 'cleanup_mount; rmdir "$cg" 2>/dev/null || true' EXIT
	bash -c 'echo $$ >"$0/cgroup.procs"; exec -a qemu-system-x86_64 bash -c "while :; do :; done" qemu \
		-name guest=m -uuid cccccccc-0000-0000-0000-00000000000c' "$cg" &
	burner=$!
	PIDS+=("$burner")
	# moved at PERIOD, with a random phase against the daemon's ticks
	( nap() { if [ "$period" = random ]; then sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 0.02 + rand() }')"; else sleep "$period"; fi; }
	  while :; do taskset -pc 0 "$burner" >/dev/null; nap; taskset -pc 1 "$burner" >/dev/null; nap; done ) &
	mover=$!
	PIDS+=("$mover")
	# the truth, every 50 ms, to compare tick by tick
	( while :; do echo "$(date +%s.%N) $(cat "$cg/cpuacct.usage_percpu")"; sleep 0.05; done ) >"$T/truth" &
	sampler=$!
	PIDS+=("$sampler")
	sleep 0.5
	before=$(cat "$cg/cpuacct.usage_percpu")
	"$DAEMON" --powercap-root "$pc" --proc-root /proc --sysfs-root "$sys" --vm-source proc \
		--mountpoint "" --control-socket "" --state-dir "$T/state-$period" --user "$TEST_USER" \
		--policy capacity json -s 1 -t "$secs" >"$T/m.json" 2>"$T/m.err" || { cat "$T/m.err"; fail "daemon failed"; }
	after=$(cat "$cg/cpuacct.usage_percpu")
	kill "$mover" "$burner" "$sampler"
	wait "$mover" "$burner" "$sampler" 2>/dev/null || true
	rmdir "$cg"
	python3 - "$T/m.json" "$period" "$before" "$after" "$T/truth" <<'PY'
import bisect, json, sys
path, period, before, after = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
samples = [list(map(float, l.split()[:3])) for l in open(sys.argv[5]) if len(l.split()) >= 3]
times = [s[0] for s in samples]
def truth_at(t):  # the sample nearest to wall time t
    i = min(max(bisect.bisect_left(times, t), 1), len(times) - 1)
    return samples[i] if times[i] - t < t - times[i - 1] else samples[i - 1]
truth = [(int(a) - int(b)) / 1e9 for a, b in zip(after[:2], before[:2])]
lines = [json.loads(l) for l in open(path)]
steps, tick_err = [], []
for prev, r in zip(lines, lines[1:]):
    v = next(v for v in r["vms"] if v["uuid"].startswith("cccccccc"))
    # capacity, one CPU a package, 10 W a package: W / 10 is the CPU share
    steps.append([z["power_watts"] / 10 for z in v["zones"]])
    a, b = truth_at(prev["timestamp"]), truth_at(r["timestamp"])
    t0, t1 = (b[1] - a[1]) / 1e9, (b[2] - a[2]) / 1e9
    seen0 = steps[-1][0] * r["interval_seconds"]
    if t0 + t1 > 0.05:
        # misplaced CPU time, as a share of the process's CPU time that tick
        tick_err.append(abs(seen0 - t0) / (t0 + t1))
seen = [sum(s[p] for s in steps) * r["interval_seconds"] for p in range(2)]
f_truth, f_seen = truth[0] / sum(truth), seen[0] / sum(seen)
print(f"period {period} s: truth {truth[0]:.2f}/{truth[1]:.2f} CPU s on packages 0/1 (package 0 {f_truth:.3f}); "
      f"daemon {seen[0]:.2f}/{seen[1]:.2f} (package 0 {f_seen:.3f}); error of the run's split {abs(f_seen - f_truth):.3f}; "
      f"single ticks misplace {sum(tick_err) / len(tick_err):.2f} of the CPU time on average, {max(tick_err):.2f} at most")
PY
done
