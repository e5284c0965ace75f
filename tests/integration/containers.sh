# SPDX-License-Identifier: MIT
# Helpers for the container tests (t31x): real cgroup directories in the
# runtimes' shapes, real busy processes moved into them, the agent run
# with --containers on a fixture powercap tree and the real /proc, its
# labels and totals checked. Sourced after lib.sh.

# Under a prefix of the test's own, so that nothing of the host's is
# touched; the shapes below it are the runtimes' (the parser reads the
# path's components, wherever the kubelet or the runtime root sits).
CG_PREFIX=vpowercap-test-$$
CG_DIRS=()     # created, in order: removed in reverse on exit
CG_CASES=$T/cases   # pid, then the labels expected, one JSON object a line

cg_cleanup() {
	local i
	for i in "${PIDS[@]}"; do kill "$i" 2>/dev/null || true; done
	for i in "${PIDS[@]}"; do wait "$i" 2>/dev/null || true; done
	PIDS=()
	for ((i = ${#CG_DIRS[@]} - 1; i >= 0; i--)); do
		for _ in 1 2 3 4 5; do
			rmdir "${CG_DIRS[$i]}" 2>/dev/null && break
			[ -d "${CG_DIRS[$i]}" ] || break
			sleep 0.2
		done
	done
}
trap 'cg_cleanup; cleanup' EXIT

# cg_mkdir ROOT PATH: mkdir -p, remembering each directory it made.
cg_mkdir() {
	local dir=$1 part
	local IFS=/
	for part in $2; do
		[ -n "$part" ] || continue
		dir=$dir/$part
		[ -d "$dir" ] && continue
		mkdir "$dir" || return 1
		CG_DIRS+=("$dir")
	done
}

# cg_need_writable ROOT: skip unless a cgroup can be made and a process moved there.
cg_need_writable() {
	[ "$(id -u)" = 0 ] || skip "not root: cannot make cgroups under $1"
	cg_mkdir "$1" "$CG_PREFIX/probe" 2>/dev/null || skip "cannot make a cgroup under $1 (read-only, or delegated elsewhere)"
	sh -c "echo \$\$ >'$1/$CG_PREFIX/probe/cgroup.procs'" 2>/dev/null ||
		skip "cannot move a process into a cgroup under $1"
}

# cg_burn LABELS_JSON DIR...: a busy process moved into each DIR (one per
# v1 hierarchy, or the one v2 directory) before it starts to burn; its
# pid and the labels the agent must give it go to $CG_CASES.
cg_burn() {
	local labels=$1 ready=$T/burn.$RANDOM
	shift
	local procs=() d
	for d in "$@"; do procs+=("$d/cgroup.procs"); done
	# moves itself, says so, then becomes the burner (exec keeps the pid),
	# which stops after 120 s should the test be killed.
	sh -c 'p=$1; shift; for f; do echo $$ >"$f" || exit 1; done; : >"$p"; exec bash -c "while [ \$SECONDS -lt 120 ]; do :; done"' \
		burn "$ready" "${procs[@]}" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -e "$ready" ] && break; sleep 0.02; done
	[ -e "$ready" ] || fail "a burner could not join $*"
	printf '{"pid":%d,"labels":%s}\n' "$!" "$labels" >>"$CG_CASES"
}

# cg_run_agent OUT ARGS...: the agent with --containers, json, on a fixture
# package at 20 W and the real /proc, every process shown.
cg_run_agent() {
	local out=$1 pc=$T/powercap
	shift
	if [ ! -d "$pc" ]; then
		mkdir -p "$pc"
		advance --zone "$(make_zone "$pc" intel-rapl:0 package-0 262143328850)=20"
	fi
	"$AGENT" --powercap-root "$pc" --containers --container-sockets "$T/no-api.sock" "$@" \
		json -s 1 -t 8 -n 100000 >"$out" 2>"$T/agent.err" || { cat "$T/agent.err"; fail "agent failed"; }
}

# cg_check OUT: every burner labelled as expected in every step it used
# CPU in (and seen in one at least); containers and pods the exact sums of
# their processes; ids only, said once.
cg_check() {
	python3 - "$1" "$CG_CASES" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1])]
cases = [json.loads(l) for l in open(sys.argv[2])]
# (eight steps: on a busy machine a burner may sit out a few)
assert len(steps) == 8, len(steps)
seen = {c["pid"]: 0 for c in cases}
keys = ("container_id", "container_runtime", "pod_uid", "pod_qos", "systemd_unit", "systemd_slice")
quoted = None
for r in steps:
    procs = {p["pid"]: p for p in r["processes"]}
    for c in cases:
        p = procs.get(c["pid"])
        if p is None:
            continue
        seen[c["pid"]] += 1
        got = {k: p[k] for k in keys if k in p}
        assert got == c["labels"], (c["pid"], got, c["labels"])
        if quoted is None and "pod_uid" in got:
            quoted = p
    for c in r["containers"]:
        mine = [p for p in r["processes"] if p.get("container_id") == c["id"]]
        assert c["processes"] == len(mine), (c, mine)
        assert abs(c["power_watts"] - sum(p["power_watts"] for p in mine)) <= 0.002 * len(mine), (c, mine)
    for pod in r["pods"]:
        mine = [p for p in r["processes"] if p.get("pod_uid") == pod["uid"]]
        assert abs(pod["power_watts"] - sum(p["power_watts"] for p in mine)) <= 0.002 * len(mine), (pod, mine)
        assert pod["containers"] == len({p["container_id"] for p in mine if "container_id" in p}), pod
    total = sum(p["power_watts"] for p in r["processes"])
    assert total <= r["host_power_watts"] * 1.02 + 0.01, (total, r["host_power_watts"])
missing = [pid for pid, n in seen.items() if n == 0]
assert not missing, f"burners never seen using CPU: {missing}"
print(json.dumps(quoted or steps[-1]["processes"][0]))
print(f"ok: {len(cases)} burners labelled in {sum(seen.values())} sightings over {len(steps)} steps, containers and pods add up")
PY
	[ "$(grep -c 'ids only' "$T/agent.err")" = 1 ] || { cat "$T/agent.err"; fail "'ids only' not said exactly once"; }
}

# Ids and pod uids for the cases (random, so that runs never collide).
hex64() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
uuid() { cat /proc/sys/kernel/random/uuid; }

# cg_check_prometheus: the agent's prometheus exporter on the same
# processes: a vpowercap_container_power_watts series for every burner's
# container with its runtime, pod and QoS labels, a pod series for every
# pod, and the burners' process series labelled.
cg_check_prometheus() {
	local pc=$T/powercap log=$T/prom.log port=
	"$AGENT" --powercap-root "$pc" --containers --container-sockets "$T/no-api.sock" \
		prometheus --listen 127.0.0.1:0 -s 1 -n 100000 >"$log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		port=$(sed -n 's|.*serving http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$log" | head -1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { cat "$log"; fail "the prometheus exporter did not say its port"; }
	python3 - "http://127.0.0.1:$port/metrics" "$CG_CASES" <<'PY'
import json, re, sys, time, urllib.request
url, cases_file = sys.argv[1:]
cases = [json.loads(l) for l in open(cases_file)]
want = {}
for c in cases:
    l = c["labels"]
    want[l["container_id"]] = {k: v for k, v in (("container_id", l["container_id"]),
        ("runtime", l["container_runtime"]), ("pod_uid", l.get("pod_uid")), ("qos", l.get("pod_qos"))) if v}
pods = {c["labels"]["pod_uid"]: c["labels"]["pod_qos"] for c in cases if "pod_uid" in c["labels"]}
def series(text, name):
    out = []
    for line in text.splitlines():
        m = re.match(name + r"\{(.*)\} (\S+)$", line)
        if m:
            out.append((dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1))), float(m.group(2))))
    return out
# every burner uses CPU in some step: wait until each container was seen
seen, pods_seen, procs_seen, deadline = {}, set(), set(), time.time() + 20
while time.time() < deadline and (len(seen) < len(want) or len(pods_seen) < len(pods)):
    time.sleep(0.5)
    try:
        text = urllib.request.urlopen(url, timeout=5).read().decode()
    except OSError:
        continue
    for labels, value in series(text, "vpowercap_container_power_watts"):
        cid = labels.get("container_id")
        if cid in want:
            assert labels == want[cid], (labels, want[cid])
            assert value >= 0
            seen[cid] = value
    for labels, value in series(text, "vpowercap_pod_power_watts"):
        if labels.get("pod_uid") in pods:
            assert labels == {"pod_uid": labels["pod_uid"], "qos": pods[labels["pod_uid"]]}, labels
            pods_seen.add(labels["pod_uid"])
    for labels, value in series(text, "vpowercap_process_power_watts"):
        for c in cases:
            if labels.get("pid") == str(c["pid"]):
                assert labels.get("container_id") == c["labels"]["container_id"], (labels, c)
                procs_seen.add(c["pid"])
assert set(seen) == set(want), f"containers never exported: {set(want) - set(seen)}"
assert pods_seen == set(pods), f"pods never exported: {set(pods) - pods_seen}"
assert procs_seen, "no burner's process series"
print(f"ok: prometheus: {len(seen)} containers, {len(pods_seen)} pods, {len(procs_seen)} burners' series labelled")
PY
}
