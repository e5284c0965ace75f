# SPDX-License-Identifier: MIT
# Helpers for tests with real guests: sourced after lib.sh, not run.
# Installs qemu, libvirt and busybox from Debian when missing, caches a
# Debian kernel and its virtio/9p/virtiofs modules under $BUILD/guest-cache,
# builds a busybox initramfs holding the real agent, and starts libvirtd.

GUEST_CACHE=$BUILD/guest-cache
GUEST_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p fuse virtiofs"

need_virt() {
	[ "$(id -u)" = 0 ] || skip "not root: cannot run libvirtd and guests"
	need_fuse
	local missing="" p
	for p in qemu-system-x86 libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu busybox-static cpio; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q " installed$" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "installing$missing"
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; } ||
			skip "cannot install$missing from Debian here"
	fi
}

# ensure_kernel: $GUEST_CACHE/kernel and $GUEST_CACHE/modules/*.ko
ensure_kernel() {
	[ -s "$GUEST_CACHE/kernel" ] && [ -s "$GUEST_CACHE/modules/virtiofs.ko" ] && return 0
	local pkg dir
	mkdir -p "$GUEST_CACHE"
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { apt-get update -qq; pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'); }
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
	local out=$1 root lib
	root=$(mktemp -d "$T/initramfs.XXXXXX")
	mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,lib/modules,agent}
	cp /bin/busybox "$root/bin/busybox"
	cp "$GUEST_CACHE"/modules/*.ko "$root/lib/modules/"
	cp "$AGENT" "$root/agent/vpowercap-agent"
	for lib in $(ldd "$AGENT" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p fuse virtiofs; do
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
	chmod a+r "$out"
}

start_libvirt() {
	local i
	# /dev/kvm as udev leaves it on a Debian host (kvm group, 0660). Left
	# root-only, libvirt finds KVM in qemu's probed capabilities but not
	# usable by qemu's user, and probes qemu again (tens of seconds) at every
	# define, start or attach. The guests run under TCG all the same.
	if [ -c /dev/kvm ] && getent group kvm >/dev/null &&
		[ "$(stat -c %G:%a /dev/kvm)" != kvm:660 ]; then
		chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
	fi
	pgrep -x virtlogd >/dev/null || virtlogd --daemon
	# it probes qemu's capabilities first: tens of seconds on these machines
	for i in $(seq 600); do
		# (re)started if it is not there: one that was stopping may be gone now
		if [ $((i % 20)) = 1 ] && ! pgrep -x libvirtd >/dev/null; then
			libvirtd --daemon
		fi
		virsh -c qemu:///system list >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "libvirtd did not come up in a minute"
}

# restart_libvirt: a fresh libvirtd, which reads the hooks anew.
restart_libvirt() {
	if pkill -x libvirtd; then
		# it may take a while to shut down with domains around: then kill it
		for _ in $(seq 300); do
			pgrep -x libvirtd >/dev/null || break
			sleep 0.1
		done
		pkill -KILL -x libvirtd && sleep 0.5
	fi
	start_libvirt
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
    <serial type='file'><source path='$4'/><target port='0'/></serial>
  </devices>
</domain>
XML
}
