# SPDX-License-Identifier: MIT
# Helpers for the fleet tests (t52x): sourced after lib.sh and prometheus.sh.
# A fixture host is a powercap tree and a /proc with three fake qemu VMs,
# advanced at known rates, a label file giving each VM its project, and a
# daemon on the proc source serving Prometheus on 127.0.0.1.

# make_host NAME P0_WATTS DRAM_WATTS VM:PROJECT:CPUS...: the host's files
# under $T/NAME; VM uuids are derived from NAME and the VM's position.
# Starts its fixture-advance (pid in FIXTURE_PID_<NAME>).
make_host() {
	local host=$1 p0w=$2 d0w=$3 dir=$T/$1 i=0 procs=() vm project cpus uuid pid p0 d0
	shift 3
	mkdir -p "$dir/powercap" "$dir/proc"
	p0=$(make_zone "$dir/powercap" intel-rapl:0 package-0 262143328850)
	d0=$(make_zone "$dir/powercap" intel-rapl:0:1 dram 262143328850)
	: >"$dir/labels.conf"
	for spec in "$@"; do
		IFS=: read -r vm project cpus <<<"$spec"
		i=$((i + 1))
		pid=$((2000 + i))
		uuid=$(printf '%08x-0000-4000-8000-%012d' "$(cksum <<<"$host" | cut -d' ' -f1)" "$i")
		make_qemu "$dir/proc" "$pid" "$vm" "$uuid" 2
		printf '0::/machine.slice/%s.scope\n' "$vm" >"$dir/proc/$pid/cgroup"
		printf '[%s]\nproject = %s\n' "$uuid" "$project" >>"$dir/labels.conf"
		procs+=(--process "$pid:qemu-system-x86:$cpus")
	done
	advance --zone "$p0=$p0w" --zone "$d0=$d0w" --proc "$dir/proc" --ncpu 8 "${procs[@]}" --other-busy 0.5
	eval "FIXTURE_PID_$host=${PIDS[-1]}"
}

# start_host NAME: its daemon (split policy, fine steps), HOST_PORT_<NAME> set.
start_host() {
	local dir=$T/$1
	start_exporter "$dir/daemon.log" 1 "$DAEMON" --powercap-root "$dir/powercap" --proc-root "$dir/proc" \
		--vm-source proc --mountpoint "" --control-socket "" --state-dir "$dir/state" --user "$TEST_USER" \
		--interval 0.1 --policy split --idle-watts "package-0=20,dram=4" --labels "${HOST_LABELS-project}" \
		--label-file "$dir/labels.conf" --wall-factor 1.25 --price-per-kwh 0.2 --currency EUR \
		--carbon-grams-per-kwh 50 prometheus -s 0.1 --listen 127.0.0.1:0
	eval "HOST_PORT_$1=$PORT4 HOST_PID_$1=$EXPORTER_PID"
}
