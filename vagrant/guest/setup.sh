#!/bin/sh
# SPDX-License-Identifier: MIT
# Inside vpc-guest, as root (cloud-init runs it once; run it again after
# changing the source): build and install vpowercap from the project's
# source, shared read-only with the tag vpowercap-src, then mount the VM's
# vpowercap share over virtiofs and start the agent.
set -eu

SRC=/mnt/vpowercap-src
BUILD=/var/tmp/vpc-build
SHARE_UNIT='run-vpowercap\x2dguest.mount'

mkdir -p "$SRC"
grep -q '^vpowercap-src ' /etc/fstab ||
	echo "vpowercap-src $SRC virtiofs ro,nofail 0 0" >>/etc/fstab
mountpoint -q "$SRC" || mount "$SRC"

# The cloud image has no make; 'make deps-agent' brings the rest (the
# agent needs neither libvirt nor libfuse). The share is read-only:
# objects go to $BUILD.
if ! command -v make >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make >/dev/null
fi
make -C "$SRC" deps-agent
make -C "$SRC" install-agent BUILD="$BUILD"

# The share comes over virtiofs: its unit stands in for the 9p one that
# make install-agent puts in /usr/local/lib/systemd/system.
install -m 0644 /usr/local/share/vpowercap/vpowercap-virtiofs.mount.in "/etc/systemd/system/$SHARE_UNIT"
systemctl daemon-reload
systemctl enable --now "$SHARE_UNIT"
# Unmodified readers of /sys/class/powercap see the share too, where the
# kernel has that directory to mount over.
if [ -d /sys/class/powercap ]; then
	systemctl enable --now sys-class-powercap.mount ||
		echo "vpc-guest: warning: the share is not over /sys/class/powercap" >&2
fi
systemctl enable vpowercap-agent.service
systemctl restart vpowercap-agent.service
echo "vpc-guest: vpowercap-agent $(systemctl is-active vpowercap-agent.service), writing /var/log/vpowercap/agent.json"
