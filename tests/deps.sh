#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages vpowercap builds and tests with, when missing;
# packages named as arguments too (make bench wants wrk); with --agent, only
# what the agent alone needs.
set -eu

if [ "${1:-}" = --agent ]; then
	# what building the agent alone takes (make deps-agent, in a guest);
	# libriemann-client-dev brings libprotobuf-c-dev and GnuTLS's
	shift
	packages="gcc make pkg-config libc6-dev libinih-dev libmicrohttpd-dev libcrypt-dev zlib1g-dev \
libcurl4-openssl-dev libriemann-client-dev $*"
else
	# prometheus-pushgateway: the network exporters' tests push to a real one;
	# libgnutls28-dev: riemann-sink, their Riemann server, speaks TLS
	packages="gcc make pkg-config libc6-dev libinih-dev libcmocka-dev libvirt-dev \
libfuse3-dev fuse3 libmicrohttpd-dev libcrypt-dev zlib1g-dev libxml2-dev libcurl4-openssl-dev \
libriemann-client-dev libgnutls28-dev prometheus-pushgateway curl python3 python3-yaml time man-db $*"
fi

# missing: those of $packages not installed
missing() {
	missing=""
	for p in $packages; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$status" in
		*" installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
}
missing
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'sudo make deps', or install them with apt-get" >&2
	exit 1
fi
# tests run in parallel and several may want packages at once: one
# installs at a time (apt's own locks refuse the others), and what another
# installed meanwhile is not installed again. The lock is dpkg's own
# directory, root's: no file is made where another user could have put a
# link first.
exec 9</var/lib/dpkg
flock 9
missing
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# and wait for apt's locks, should something else on the machine hold them
apt-get -o DPkg::Lock::Timeout=300 update -qq
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >/dev/null
