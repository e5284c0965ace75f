#!/bin/bash
# SPDX-License-Identifier: MIT
# vpc-host, as root: qemu and libvirt, vpowercap built from /vagrant
# ($VPC_SRC) and installed under /usr/local, vpowercapd running as a
# service with the libvirt hook in place. Safe to run again: a changed
# daemon is restarted.
set -eu

SRC=${VPC_SRC:-/vagrant}
CONF=/etc/vpowercap/vpowercapd.conf
DAEMON=/usr/local/sbin/vpowercapd
GUEST=vpc-guest

export DEBIAN_FRONTEND=noninteractive
say() { echo "vpc-host: $*"; }

say "installing make, qemu and libvirt"
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	make qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients \
	dnsmasq-base iproute2 cloud-image-utils wget curl ca-certificates openssh-client >/dev/null

# libvirt first: make install puts the daemon's user in the libvirt group.
make -C "$SRC" deps
old=$(sha256sum "$DAEMON" 2>/dev/null || true)
make -C "$SRC" install
new=$(sha256sum "$DAEMON")
# make install sets the groups only when it creates the user
usermod -a -G libvirt vpowercap

# The example as it is, but for the service's exporter: Prometheus, on
# 127.0.0.1:9810. An existing file is left alone.
if [ ! -e "$CONF" ]; then
	sed 's/^\[daemon\]$/&\nexporter = prometheus/' "$CONF.example" >"$CONF.tmp"
	mv "$CONF.tmp" "$CONF"
	say "wrote $CONF"
fi

systemctl daemon-reload
if [ "$old" != "$new" ] && systemctl -q is-active vpowercapd; then
	# virtiofsd keeps the tree it opened when the guest started: a guest
	# left running would keep a dead share. It is started again by
	# provision-guest.sh.
	if virsh -q -c qemu:///system list --name --state-running | grep -qx "$GUEST"; then
		say "shutting $GUEST down: the daemon changes"
		virsh -q -c qemu:///system shutdown "$GUEST" >/dev/null || true
		for _ in $(seq 60); do
			virsh -q -c qemu:///system list --name --state-running | grep -qx "$GUEST" || break
			sleep 1
		done
		virsh -q -c qemu:///system destroy "$GUEST" >/dev/null 2>&1 || true
	fi
	say "restarting vpowercapd: a new build is installed"
	systemctl restart vpowercapd
fi
systemctl enable --now vpowercapd
# libvirtd reads its hooks when it starts
systemctl restart libvirtd
say "vpowercapd $(systemctl is-active vpowercapd); trees at /run/vpowercap, metrics at http://127.0.0.1:9810/metrics"
