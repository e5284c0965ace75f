# SPDX-License-Identifier: MIT
# Helpers for tests with real guests: sourced after lib.sh, not run.
# Installs qemu, libvirt and busybox from Debian when missing, caches a
# Debian kernel and its virtio/9p/virtiofs modules under $BUILD/guest-cache,
# builds a busybox initramfs holding the real agent, and starts libvirtd.

# Built once and shared by every tree and run: the guest kernel and its
# modules, the initramfs of each agent binary, qemu's capabilities.
GUEST_CACHE=$TOP/build/guest-cache
GUEST_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_console netfs fscache 9pnet 9pnet_virtio 9p fuse virtiofs"

need_virt() {
	need_virt_packages
	need_fuse
}

# need_virt_packages: qemu, libvirt and what builds an initramfs, installed
# when missing (as root), or skip
need_virt_packages() {
	[ "$(id -u)" = 0 ] || skip "not root: cannot run libvirtd and guests"
	local missing="" p
	for p in qemu-system-x86 libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu busybox-static cpio; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q " installed$" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "installing$missing"
		# shellcheck disable=SC2086
		"$TOP/tests/deps.sh" $missing >"$T/deps.log" 2>&1 ||
			skip "cannot install$missing from Debian here: $(tail -n 1 "$T/deps.log")"
	fi
}

# ensure_kernel: $GUEST_CACHE/kernel and $GUEST_CACHE/modules/*.ko, made
# by one test while the others that want them wait
ensure_kernel() {
	[ -s "$GUEST_CACHE/kernel" ] && [ -s "$GUEST_CACHE/modules/virtio_console.ko" ] && return 0
	mkdir -p "$GUEST_CACHE"
	exec 8>"$GUEST_CACHE/kernel.lock"
	flock 8
	fetch_kernel
	exec 8>&-
}

fetch_kernel() {
	[ -s "$GUEST_CACHE/kernel" ] && [ -s "$GUEST_CACHE/modules/virtio_console.ko" ] && return 0
	local pkg dir
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { flock /var/lib/dpkg apt-get -o DPkg::Lock::Timeout=300 update -qq; pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'); }
	[ -n "$pkg" ] || skip "no Debian kernel package can be found"
	dir=$(mktemp -d "$GUEST_CACHE/dl.XXXXXX")
	(cd "$dir" && apt-get download "$pkg" >/dev/null 2>&1) || skip "cannot download $pkg"
	dpkg-deb --fsys-tarfile "$dir"/*.deb | tar -x -C "$dir" ./boot ./lib/modules
	mkdir -p "$GUEST_CACHE/modules"
	for m in $GUEST_MODULES; do
		find "$dir/lib/modules" -name "$m.ko" -exec cp {} "$GUEST_CACHE/modules/" \;
	done
	# The xz payload inside vmlinuz, uncompressed, boots about twice as fast.
	local vmlinuz off
	vmlinuz=$(ls "$dir"/boot/vmlinuz-*)
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$vmlinuz" | head -n 1 | cut -d: -f1)
	# (xz complains of the bytes after the payload: the ELF header decides)
	[ -n "$off" ] && { tail -c +"$((off + 1))" "$vmlinuz" | xz -dc >"$GUEST_CACHE/kernel.elf" 2>/dev/null || true; }
	if [ -n "$off" ] && [ "$(head -c 4 "$GUEST_CACHE/kernel.elf" | od -An -c | tr -d ' ')" = '177ELF' ]; then
		mv "$GUEST_CACHE/kernel.elf" "$GUEST_CACHE/kernel"
	else
		rm -f "$GUEST_CACHE/kernel.elf"
		cp "$vmlinuz" "$GUEST_CACHE/kernel"
	fi
	rm -rf "$dir"
	chmod -R a+rX "$GUEST_CACHE"
}

# build_initramfs OUT: busybox, the modules, the agent and its libraries,
# and an /init that mounts the share (vpc.fs=9p|virtiofs on the kernel
# command line), burns CPU if vpc.role=busy, runs the agent in JSON mode
# for vpc.steps steps on the serial console, and powers off.
build_initramfs() {
	local out=$1 key cached
	# one per agent binary and init script, shared by the tests
	key=$(cat "$AGENT" "$BUILD/vpowercap-channel" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
	cached=$GUEST_CACHE/initrd-$key.img
	if [ ! -s "$cached" ]; then
		make_initramfs "$cached.$$" && mv "$cached.$$" "$cached"
	fi
	cp "$cached" "$out"
	chmod a+r "$out"
}

make_initramfs() {
	local out=$1 root lib
	root=$(mktemp -d "$T/initramfs.XXXXXX")
	mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,lib/modules,agent}
	cp /bin/busybox "$root/bin/busybox"
	cp "$GUEST_CACHE"/modules/*.ko "$root/lib/modules/"
	cp "$AGENT" "$root/agent/vpowercap-agent"
	cp "$BUILD/vpowercap-channel" "$root/agent/vpowercap-channel"
	for lib in $(ldd "$AGENT" "$BUILD/vpowercap-channel" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }' | sort -u); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_console netfs fscache 9pnet 9pnet_virtio 9p fuse virtiofs; do
	insmod /lib/modules/$m.ko 2>/dev/null
done
for arg in $(cat /proc/cmdline); do
	case $arg in vpc.*=*) k=${arg%%=*}; eval "${k#vpc.}=${arg#*=}" ;; esac
done
mkdir -p /run/vpowercap-guest
if [ "$fs" = virtiofs ]; then
	mount -t virtiofs -o ro vpowercap /run/vpowercap-guest 2>&1 | sed 's/^/VPC-MOUNT /'
else
	mount -t 9p -o ro,trans=virtio,version=9p2000.L vpowercap /run/vpowercap-guest 2>&1 | sed 's/^/VPC-MOUNT /'
fi
dmesg | grep -iE 'virtio|9p|fuse' | sed 's/^/VPC-DMESG /'
echo "VPC-TREE $(ls /run/vpowercap-guest | tr '\n' ' ')"
echo "VPC-NAME $(cat /run/vpowercap-guest/intel-rapl:0/name)"
if [ "$role" = busy ]; then
	(while :; do :; done) &
fi
if [ "$role" = migrate ]; then
	# the tree from the channel while the VM moves between hosts: reads
	# every quarter second (WAIT until the tree exists), and the agent's
	# JSON, started once there is a tree
	/agent/vpowercap-channel -v 2>&1 | while read -r l; do echo "VPC-CHANNEL $l"; done &
	echo VPC-READY
	f=/run/vpowercap-guest/intel-rapl:0/energy_uj
	i=0 agent=""
	while [ "$i" -lt "${steps:-5}" ]; do
		read -r u _ </proc/uptime
		if [ -e "$f" ]; then
			c=ERR
			read -r c <"$f" || c=ERR
			read -r d </run/vpowercap-guest/intel-rapl:0:1/energy_uj || d=ERR
			echo "VPC-READ $u ${c:-EMPTY} ${d:-EMPTY}"
			if [ -z "$agent" ]; then
				/agent/vpowercap-agent --powercap-root /run/vpowercap-guest json -s 1 2>&1 | sed 's/^/VPC-JSON /' &
				agent=1
			fi
		else
			echo "VPC-WAIT $u"
		fi
		i=$((i + 1))
		sleep 0.25
	done
	echo VPC-DONE
	poweroff -f
fi
if [ "$role" = channel ]; then
	# the tree from the channel, once its port is there (hot-plugged or
	# not yet): reads every quarter second, WAIT until the tree exists,
	# then every read whole, or ERR / EMPTY
	/agent/vpowercap-channel 2>&1 | sed 's/^/VPC-CHANNEL /' &
	read -r u0 _ </proc/uptime
	wall=$(adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d.%06d", s, u }')
	read -r u1 _ </proc/uptime
	echo "VPC-CLOCK $wall $u0 $u1"
	echo VPC-READY
	f=/run/vpowercap-guest/intel-rapl:0/energy_uj
	i=0
	while [ "$i" -lt "${steps:-5}" ]; do
		read -r u _ </proc/uptime
		if [ -e "$f" ]; then
			c=ERR
			read -r c <"$f" || c=ERR
			echo "VPC-READ $u ${c:-EMPTY}"
		else
			echo "VPC-WAIT $u"
		fi
		i=$((i + 1))
		sleep 0.25
	done
	/agent/vpowercap-agent --powercap-root /run/vpowercap-guest json -s 1 -t 3 2>&1 | sed 's/^/VPC-JSON /'
	echo VPC-DONE
	poweroff -f
fi
if [ "$role" = reader ]; then
	# the counter every quarter second, by its full path and from the
	# zone's directory held open as the working directory all along:
	# every read whole, or ERR / EMPTY
	read -r u0 _ </proc/uptime
	wall=$(adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d.%06d", s, u }')
	read -r u1 _ </proc/uptime
	echo "VPC-CLOCK $wall $u0 $u1"
	f=/run/vpowercap-guest/intel-rapl:0/energy_uj
	cd /run/vpowercap-guest/intel-rapl:0 || echo "VPC-READ 0 ERR ERR"
	i=0
	while [ "$i" -lt "${steps:-5}" ]; do
		read -r u _ </proc/uptime
		c=ERR k=ERR
		read -r c <"$f" || c=ERR
		read -r k <energy_uj || k=ERR
		echo "VPC-READ $u ${c:-EMPTY} ${k:-EMPTY}"
		i=$((i + 1))
		sleep 0.25
	done
	echo VPC-DONE
	poweroff -f
fi
# wait for the other guests to be up too: measure in a steady state
while read -r u _ </proc/uptime; [ "${u%.*}" -lt "${wait:-0}" ]; do sleep 0.5; done
# The raw counter every quarter second on the uptime clock, and where that
# clock stands against the wall clock the agent stamps its lines with.
# The wall clock is read between two uptime reads, so the test knows how
# closely the two clocks are tied; the closest of a few tries (the read
# forks, which a loaded host can make slow).
best=""
for _ in 1 2 3 4 5; do
	read -r u0 _ </proc/uptime
	wall=$(adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d.%06d", s, u }')
	read -r u1 _ </proc/uptime
	gap=$(( (${u1%.*} - ${u0%.*}) * 100 + 1${u1#*.} - 1${u0#*.} ))  # centiseconds
	if [ -z "$best" ] || [ "$gap" -lt "$best" ]; then
		best=$gap clock="$wall $u0 $u1"
	fi
done
echo "VPC-CLOCK $clock"
# (shell builtins only: a fork is costly under TCG, and an idle guest must stay idle)
( while :; do
	read -r u _ </proc/uptime
	read -r c </run/vpowercap-guest/intel-rapl:0/energy_uj
	echo "VPC-RAW $u $c"
	sleep 0.25
done ) &
sampler=$!
/agent/vpowercap-agent json -s "${step:-1}" -t "$(( ${steps:-5} * ${step:-1} ))" -n 3 2>&1 | sed 's/^/VPC-JSON /'
sleep 1  # samples past the agent's last line
kill $sampler
echo VPC-DONE
poweroff -f
INIT
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$out"
	rm -rf "$root"
}

# private_host: run the rest of this test in mount and network namespaces
# of its own, with its own /run, libvirt configuration (no domain, network,
# pool or hook of the machine's, a host_uuid of its own: HOST_UUID), state,
# cache and logs, and /dev/kvm out of reach of its qemu. The machine's
# libvirtd and its domains, a vpowercapd running here, and /dev/kvm are
# neither seen nor touched. The test starts again from its first line in
# there: call it after need_virt and ensure_kernel, which may need the
# network. Whatever the test started in there is killed when it ends.
private_host() {
	if [ -z "${VPC_PRIVATE_HOST:-}" ]; then
		command -v unshare >/dev/null || skip "no unshare (util-linux): cannot keep the test's libvirtd apart"
		rm -rf "$T"
		VPC_PRIVATE_HOST=1 exec unshare --mount --net --propagation private -- "$0"
	fi
	ip link set lo up 2>/dev/null || fail "cannot bring up the loopback of the test's network namespace"
	mount -t tmpfs -o mode=755 vpowercap-test-run /run || fail "cannot mount a private /run"
	mkdir -p /run/lock /run/libvirt
	local etc=$T/libvirt/etc d
	mkdir -p "$etc"/{hooks/qemu.d,qemu/autostart,qemu/networks/autostart,nwfilter,storage/autostart,secrets}
	# the configuration files alone, as the packages made them
	for f in /etc/libvirt/*.conf; do
		[ -f "$f" ] && cp "$f" "$etc/"
	done
	HOST_UUID=$(cat /proc/sys/kernel/random/uuid)
	printf '\n# the test'"'"'s own libvirtd\nhost_uuid = "%s"\n' "$HOST_UUID" >>"$etc/libvirtd.conf"
	# qemu in the test's mount namespace as it is, without a /dev of its
	# own per domain: libvirt would move each mount it finds under /dev
	# into that one, and cannot move the file that hides /dev/kvm (below)
	printf '\n# the test'"'"'s own libvirtd\nnamespaces = []\n' >>"$etc/qemu.conf"
	mount --bind "$etc" /etc/libvirt
	for d in lib cache log; do
		mkdir -p "$T/libvirt/$d" "/var/$d/libvirt"
		chmod 755 "$T/libvirt/$d"
		mount --bind "$T/libvirt/$d" "/var/$d/libvirt"
	done
	# qemu's capabilities, probed once a run (tens of seconds) and copied
	mkdir -p /var/cache/libvirt/qemu/capabilities
	cp -a "$GUEST_CACHE"/libvirt-caps/. /var/cache/libvirt/qemu/capabilities/ 2>/dev/null || true
	if [ -e /dev/kvm ]; then
		# unusable here (TCG only), and the machine's to keep as it is
		: >"$T/libvirt/no-kvm"
		chmod 000 "$T/libvirt/no-kvm"
		mount --bind "$T/libvirt/no-kvm" /dev/kvm
	fi
	trap private_host_teardown EXIT
}

# private_host_teardown: the test's teardown (TEARDOWN, a function name, if
# set), then every process left in the test's network namespace.
private_host_teardown() {
	local rc=$? ns p tries
	set +e  # everything is torn down, whatever fails on the way
	[ -n "${TEARDOWN:-}" ] && "$TEARDOWN"
	ns=$(readlink /proc/$$/ns/net)
	for tries in 1 2 3 4 5 6 7 8 9 10 11; do
		local left=""
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
			[ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$ns" ] || continue
			# (the test's own subshells go with it)
			[ "$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null)" = $$ ] && [ "$tries" = 1 ] && continue
			left="$left $p"
		done
		[ -z "$left" ] && break
		# shellcheck disable=SC2086
		if [ "$tries" -lt 10 ]; then kill $left 2>/dev/null; else kill -KILL $left 2>/dev/null; fi
		sleep 0.3
	done
	cleanup_mount
	exit "$rc"
}

# start_libvirt [--hook]: the test's own virtlogd and libvirtd (in
# private_host's namespaces), with vpowercap's hook installed first when
# asked; returns when libvirtd answers. LIBVIRTD_PID is its pid.
start_libvirt() {
	local i
	[ -n "${VPC_PRIVATE_HOST:-}" ] || fail "start_libvirt outside private_host would touch the machine's libvirtd"
	if [ "${1:-}" = --hook ]; then
		install -m 0755 "$BUILD/vpowercap-hook" /etc/libvirt/hooks/qemu.d/vpowercap
	fi
	if ! { [ -s "$T/libvirt/virtlogd.pid" ] && kill -0 "$(cat "$T/libvirt/virtlogd.pid")" 2>/dev/null; }; then
		virtlogd --daemon --pid-file "$T/libvirt/virtlogd.pid" || fail "virtlogd did not start"
	fi
	rm -f "$T/libvirt/libvirtd.pid"
	libvirtd --daemon --pid-file "$T/libvirt/libvirtd.pid" || fail "libvirtd did not start"
	# it probes qemu's capabilities first: tens of seconds on these machines
	for i in $(seq 600); do
		if virsh -c qemu:///system list >/dev/null 2>&1; then
			LIBVIRTD_PID=$(cat "$T/libvirt/libvirtd.pid")
			save_caps
			return 0
		fi
		sleep 0.1
	done
	fail "libvirtd did not come up in a minute"
}

# save_caps: qemu's capabilities as probed, for the run's next libvirtds
save_caps() {
	local shared=$GUEST_CACHE/libvirt-caps
	[ -n "$(ls "$shared" 2>/dev/null)" ] && return 0
	virsh -c qemu:///system domcapabilities --virttype qemu >/dev/null 2>&1 || return 0
	(
		flock 8
		[ -n "$(ls "$shared" 2>/dev/null)" ] && exit 0
		mkdir -p "$shared.tmp.$$" &&
			cp -a /var/cache/libvirt/qemu/capabilities/. "$shared.tmp.$$/" &&
			mv -T "$shared.tmp.$$" "$shared" 2>/dev/null
		rm -rf "$shared.tmp.$$"
	) 8>"$GUEST_CACHE/libvirt-caps.lock"
}

# stop_libvirt: the test's libvirtd ends (SIGTERM, then SIGKILL after 30 s)
stop_libvirt() {
	local pid
	pid=$(cat "$T/libvirt/libvirtd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.5
}

# restart_libvirt: a fresh libvirtd, which reads the hooks anew.
restart_libvirt() {
	stop_libvirt
	start_libvirt "$@"
}

# domain_xml NAME UUID INITRD CONSOLE_LOG ROLE FS STEPS
domain_xml() {
	cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <uuid>$2</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>${VCPUS:-1}</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$GUEST_CACHE/kernel</kernel>
    <initrd>$3</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 vpc.role=$5 vpc.fs=$6 vpc.steps=$7 vpc.wait=${GUEST_WAIT:-0}</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='$4'/><target port='0'/></serial>${EXTRA_DEVICES:-}
  </devices>
</domain>
XML
}
