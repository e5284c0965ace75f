# SPDX-License-Identifier: MIT
# Helpers for tests that install packages: sourced after lib.sh, not run.
# They install into a clean Debian of their own, never into this machine:
# a minimal Debian (debootstrap --variant=minbase, from the suite and
# mirror this machine's apt uses) is made once and kept under
# build/debian-base; each test gets a copy-on-write overlay of it.

DEBIAN_BASE=$TOP/build/debian-base

# clean_debian: re-run this test in a mount namespace of its own in which
# ROOT is a fresh overlay of the base (its writes go to $T), with /proc,
# /sys, /dev and a private /run mounted in it and the machine's apt
# sources; downloads are kept in build/debian-archives for the next run.
# The test starts again from its first line in there.
clean_debian() {
	[ "$(id -u)" = 0 ] || skip "not root: a clean Debian needs mounts and chroot"
	command -v apt-get >/dev/null || skip "not a Debian system (no apt-get)"
	if [ -z "${VPC_CLEAN_DEBIAN:-}" ]; then
		command -v unshare >/dev/null || skip "no unshare (util-linux)"
		"$TOP/tests/deps.sh" debootstrap >"$T/deps.log" 2>&1 ||
			skip "debootstrap is not installed and cannot be: $(tail -n 1 "$T/deps.log")"
		ensure_debian_base
		rm -rf "$T"
		VPC_CLEAN_DEBIAN=1 exec unshare --mount --propagation private -- "$0"
	fi
	ROOT=$T/root
	mkdir -p "$ROOT" "$T/upper" "$T/work"
	mount -t overlay -o "lowerdir=$DEBIAN_BASE/root,upperdir=$T/upper,workdir=$T/work" vpowercap-test "$ROOT" ||
		fail "cannot mount an overlay of the clean Debian"
	mount -t proc proc "$ROOT/proc"
	mount --rbind /sys "$ROOT/sys"
	mount --rbind /dev "$ROOT/dev"
	mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
	mkdir -p "$ROOT/run/lock" "$TOP/build/debian-archives/partial"
	mount --bind "$TOP/build/debian-archives" "$ROOT/var/cache/apt/archives"
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
	# no service starts in there: there is no init
	printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"
	trap clean_debian_teardown EXIT
}

# in_root COMMAND...: COMMAND in the clean Debian
in_root() {
	chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# clean_debian_teardown: the test's teardown (TEARDOWN, if set), then
# every process whose root is the clean Debian, then the mounts.
clean_debian_teardown() {
	local rc=$? p left tries
	set +e  # everything is torn down, whatever fails on the way
	[ -n "${TEARDOWN:-}" ] && "$TEARDOWN"
	for tries in 1 2 3 4 5 6 7 8 9 10; do
		left=""
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && left="$left ${p#/proc/}"
		done
		[ -z "$left" ] && break
		# shellcheck disable=SC2086
		if [ "$tries" -lt 9 ]; then kill $left 2>/dev/null; else kill -KILL $left 2>/dev/null; fi
		sleep 0.3
	done
	umount -R -l "$ROOT" 2>/dev/null
	cleanup_mount
	exit "$rc"
}

# ensure_debian_base: made by one test while the others that want it wait
ensure_debian_base() {
	[ -e "$DEBIAN_BASE/ok" ] && return 0
	mkdir -p "$DEBIAN_BASE"
	(
		flock 8
		[ -e "$DEBIAN_BASE/ok" ] && exit 0
		make_debian_base
	) 8>"$DEBIAN_BASE.lock" || fail "cannot make a clean Debian with debootstrap (see above)"
}

make_debian_base() {
	local suite mirror new=$DEBIAN_BASE/root.new
	suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
	mirror=$(apt-get indextargets --format '$(SITE) $(RELEASE)' 'Identifier: Packages' 2>/dev/null |
		awk -v s="$suite" '$2 == s { print $1; exit }')
	[ -n "$suite" ] && [ -n "$mirror" ] || { echo "no Debian suite or mirror in apt's sources" >&2; return 1; }
	echo "debootstrap $suite from $mirror (once)"
	rm -rf "$new" "$DEBIAN_BASE/root"
	debootstrap --variant=minbase "$suite" "$new" "$mirror" >"$DEBIAN_BASE/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$DEBIAN_BASE/debootstrap.log" >&2; return 1; }
	# the machine's apt sources (its updates and security suites too: the
	# packages under test were built against them)
	rm -f "$new/etc/apt/sources.list"
	cp -a /etc/apt/sources.list /etc/apt/sources.list.d "$new/etc/apt/" 2>/dev/null
	find "$new/etc/apt/sources.list.d" -type f ! -name '*.list' ! -name '*.sources' -delete
	cp /etc/resolv.conf "$new/etc/resolv.conf" 2>/dev/null || true
	chroot "$new" apt-get update -qq >>"$DEBIAN_BASE/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$DEBIAN_BASE/debootstrap.log" >&2; return 1; }
	chroot "$new" apt-get clean
	mv "$new" "$DEBIAN_BASE/root" && touch "$DEBIAN_BASE/ok"
}
