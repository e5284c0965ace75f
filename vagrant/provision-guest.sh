#!/bin/bash
# SPDX-License-Identifier: MIT
# vpc-host, as root, after provision-host.sh: one guest, vpc-guest, from
# Debian's cloud image with a cloud-init seed, on libvirt's default
# network. Its vpowercap share is added with 'vpowercapd attach --virtiofs'
# before it first starts; inside, cloud-init runs guest/setup.sh. Then
# waits for the guest's agent and shows what it reads. Safe to run again:
# what exists is kept, a stopped guest is started.
set -eu

NAME=vpc-guest
SRC=${VPC_SRC:-/vagrant}
HERE=$SRC/vagrant
IMAGES=/var/lib/libvirt/images
IMAGE_URL=https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2
BASE=$IMAGES/debian-12-genericcloud-amd64.qcow2
# as in guest/vpc-guest.xml
DISK=$IMAGES/$NAME.qcow2
SEED=$IMAGES/$NAME-seed.iso
DISK_SIZE=10G
SHARE=/run/vpowercap/$NAME
# whose ssh key goes into the guest
USER_NAME=${VPC_USER:-vagrant}
# seconds to wait for the guest's first boot and its build of the agent
WAIT=${VPC_GUEST_WAIT:-1800}

say() { echo "vpc-guest: $*"; }
virsh() { command virsh -q -c qemu:///system "$@"; }
home=$(getent passwd "$USER_NAME" | cut -d: -f6)
[ -n "$home" ] || { say "no user '$USER_NAME' (VPC_USER)" >&2; exit 1; }
KEY=$home/.ssh/id_ed25519
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# libvirt's default network (NAT, DHCP), active and started at boot
virsh net-info default >/dev/null 2>&1 || virsh net-define /usr/share/libvirt/networks/default.xml >/dev/null
virsh net-list --name | grep -qx default || virsh net-start default >/dev/null
virsh net-autostart default >/dev/null

# Debian's cloud image, once, checked against the published sums
if [ ! -s "$BASE" ]; then
	say "downloading $IMAGE_URL"
	wget -q -O "$BASE.part" "$IMAGE_URL"
	wget -q -O "$tmp/SHA512SUMS" "${IMAGE_URL%/*}/SHA512SUMS"
	sum=$(awk -v f="${IMAGE_URL##*/}" '$2 == f { print $1 }' "$tmp/SHA512SUMS")
	[ -n "$sum" ] || { say "no sum for ${IMAGE_URL##*/} in SHA512SUMS" >&2; exit 1; }
	echo "$sum  $BASE.part" | sha512sum -c --quiet
	chmod 0644 "$BASE.part"
	mv "$BASE.part" "$BASE"
fi
# the guest's own disk: an overlay, grown to its size by cloud-init
[ -e "$DISK" ] || qemu-img create -q -f qcow2 -F qcow2 -b "$BASE" "$DISK" "$DISK_SIZE"

# The user's key goes into the guest, for 'ssh debian@ADDRESS'.
if [ ! -e "$KEY" ]; then
	runuser -u "$USER_NAME" -- mkdir -p -m 0700 "${KEY%/*}"
	runuser -u "$USER_NAME" -- ssh-keygen -q -t ed25519 -N '' -C "$USER_NAME@$(hostname)" -f "$KEY"
fi

# The seed: user-data as it is, meta-data with the key. Made again only
# when either changes; the instance id stays, so cloud-init runs once.
mkdir -p "$IMAGES/$NAME-seed"
printf "instance-id: %s\nlocal-hostname: %s\npublic-keys:\n  - '%s'\n" "$NAME" "$NAME" "$(cat "$KEY.pub")" >"$tmp/meta-data"
if [ ! -s "$SEED" ] || ! cmp -s "$HERE/guest/user-data" "$IMAGES/$NAME-seed/user-data" ||
	! cmp -s "$tmp/meta-data" "$IMAGES/$NAME-seed/meta-data"; then
	cp "$HERE/guest/user-data" "$tmp/meta-data" "$IMAGES/$NAME-seed/"
	cloud-localds "$tmp/seed.iso" "$IMAGES/$NAME-seed/user-data" "$IMAGES/$NAME-seed/meta-data"
	mv "$tmp/seed.iso" "$SEED"
	chmod 0644 "$SEED"
fi

if ! virsh dominfo "$NAME" >/dev/null 2>&1; then
	sed "s|<source dir='/vagrant'/>|<source dir='$SRC'/>|" "$HERE/guest/vpc-guest.xml" >"$tmp/domain.xml"
	if [ ! -c /dev/kvm ]; then
		say "no /dev/kvm (nested virtualisation is off): the guest runs under TCG, slowly"
		sed -i -e "s/<domain type='kvm'>/<domain type='qemu'>/" -e '/<cpu mode=/d' "$tmp/domain.xml"
	fi
	virsh define "$tmp/domain.xml" >/dev/null
	say "defined"
fi
# the <filesystem> with the tag vpowercap, source $SHARE; nothing when there
/usr/local/sbin/vpowercapd attach "$NAME" --virtiofs
virsh autostart "$NAME" >/dev/null

if ! virsh list --name --state-running | grep -qx "$NAME"; then
	# The daemon makes the directory of every defined domain (the hook
	# would at start otherwise).
	for _ in $(seq 30); do
		[ -d "$SHARE" ] && break
		sleep 1
	done
	[ -d "$SHARE" ] || say "warning: no $SHARE yet; the hook makes it at start" >&2
	virsh start "$NAME" >/dev/null
	say "started"
fi

# Wait for the address, ssh, and cloud-init's end, then check the agent.
ssh=(ssh -q -i "$KEY" -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null)
say "waiting for the guest and its agent (a first boot installs build tools and builds it)"
deadline=$((SECONDS + WAIT))
guest=""
while [ $SECONDS -lt $deadline ]; do
	addr=$(virsh domifaddr "$NAME" | awk '$3 == "ipv4" { sub("/.*", "", $4); print $4; exit }')
	[ -n "$addr" ] && "${ssh[@]}" "debian@$addr" true && guest=debian@$addr && break
	sleep 5
done
if [ -z "$guest" ]; then
	say "no answer over ssh after $WAIT s; see 'sudo virsh console $NAME'" >&2
	exit 1
fi
left=$((deadline - SECONDS))
timeout $((left > 10 ? left : 10)) "${ssh[@]}" "$guest" sudo cloud-init status --wait >/dev/null || true
if ! "${ssh[@]}" "$guest" 'mountpoint -q /run/vpowercap-guest && systemctl -q is-active vpowercap-agent'; then
	"${ssh[@]}" "$guest" sudo tail -n 30 /var/log/cloud-init-output.log >&2 || true
	say "the share is not mounted or the agent is not running in the guest ($guest). There:" >&2
	say "  sudo sh /mnt/vpowercap-src/vagrant/guest/setup.sh" >&2
	exit 1
fi
say "up at $addr; the agent there reads:"
"${ssh[@]}" "$guest" sudo vpowercap-agent -t 3 -n 3 stdout
