# SPDX-License-Identifier: MIT
# vpowercap: one Makefile for the library, the binaries and the tests.
#
#   make            (all) build/vpowercap-agent, build/vpowercapd and its
#                   libvirt module build/vpowercapd-libvirt.so, the hook
#                   build/vpowercap-hook, build/libvpowercap.a
#   make unit-tests the unit test binaries and the test tools, build/tests/
#   make deps       install the Debian packages the build and tests need
#   make test       build and run every test (tests/run.sh; TESTS=word picks)
#   make check      the same suite under AddressSanitizer and UBSan, then make tsan
#   make tsan       the threaded code's unit tests under ThreadSanitizer
#   make test-only  the suite against a tree already built
#   make bench      the benchmarks' table: each figure beside its reference and goal
#   make run        run the agent here for a few steps
#   make install    PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc (manual pages too)
#   make uninstall  remove what install put there
#   make deps-agent install-agent   the agent alone, in a guest
#   make deb        Debian packages vpowercap-host and vpowercap-agent in
#                   build/deb/ (dpkg-buildpackage), checked by lintian
#   make clean      remove build/ (or BUILD), the sanitized tree and test logs in it
#   V=1 shows full commands; WERROR=1 turns warnings into errors;
#   SANITIZE=address,undefined builds in build/sanitize; BUILD=dir elsewhere.

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc

CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config

ifdef SANITIZE
BUILD ?= build/sanitize
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD ?= build
SAN_FLAGS :=
endif

WARNINGS := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
	-Wold-style-definition -Wwrite-strings -Wformat=2 -Wvla -fno-common
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

# Libraries come through pkg-config only; a missing one is reported by
# 'make deps', which every target that needs them runs first.
# The agent needs only inih, libmicrohttpd, libxcrypt, libcurl, zlib and the
# Riemann client (which brings protobuf-c), so that a guest can build
# it alone ('make deps-agent install-agent'): flags are asked package by
# package, and a package missing leaves the others' flags in place.
AGENT_PKGS := inih libmicrohttpd libxcrypt libcurl riemann-client zlib
PKGS := $(AGENT_PKGS) libvirt fuse3 libxml-2.0
pkg_flags = $(foreach p,$(2),$(shell $(PKG_CONFIG) $(1) $(p) 2>/dev/null))
PKG_CFLAGS := $(call pkg_flags,--cflags,$(PKGS))
PKG_LIBS := $(call pkg_flags,--libs,$(PKGS))
# The network exporters (libcurl, the Riemann client) are a module of their
# own (common/exporter_module_i.h), loaded when one is named.
NET_PKGS := libcurl riemann-client
NET_PKG_LIBS := $(call pkg_flags,--libs,$(NET_PKGS))
AGENT_PKG_LIBS := $(call pkg_flags,--libs,$(filter-out $(NET_PKGS),$(AGENT_PKGS)))
# The daemon loads what needs libvirt as a module (host/libvirt_module.h);
# FUSE is the tree server's alone (fuse/fused.c).
LIBVIRT_PKGS := libvirt libxml-2.0
DAEMON_PKG_LIBS := $(call pkg_flags,--libs,$(filter-out $(LIBVIRT_PKGS) $(NET_PKGS) fuse3,$(PKGS)))
FUSED_PKG_LIBS := $(call pkg_flags,--libs,fuse3)
LIBVIRT_PKG_LIBS := $(call pkg_flags,--libs,$(LIBVIRT_PKGS))
# riemann-sink, a test tool, speaks TLS with GnuTLS, as the Riemann client does.
TOOL_PKG_LIBS := $(call pkg_flags,--libs,gnutls)
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
TEST_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARNINGS) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -D_GNU_SOURCE \
	-DVPOWERCAP_VERSION='"$(VERSION)"' -I. -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)

ifneq ($(V),1)
Q := @
quiet = @printf '  %-6s %s\n' $(1) $(2);
else
Q :=
quiet =
endif

NET_MOD_SRCS := common/exporter_push.c common/exporter_riemann.c common/exporter_warp10.c \
	common/exporter_net.c common/exporter_module_entry.c
COMMON_SRCS := $(filter-out $(NET_MOD_SRCS),$(wildcard common/*.c))
GUEST_LIB_SRCS := guest/process_power.c guest/channel_tree.c
AGENT_SRCS := guest/agent.c
CHANNEL_SRCS := guest/channel_main.c
DAEMON_MAIN_SRCS := host/vpowercapd.c
LIBVIRT_MOD_SRCS := host/vmsource_libvirt.c host/libvirt_labels.c host/attach.c host/libvirt_entry.c
# The tree server: FUSE and what it needs, apart from the daemon.
FUSED_SRCS := fuse/fused.c fuse/fused_admin.c fuse/fused_values.c fuse/fusefs.c fuse/fusefs_nodes.c fuse/fusefs_handles.c fuse/fusefs_conn.c \
	fuse/channel_server.c fuse/feed_socket.c
HOST_LIB_SRCS := $(filter-out $(DAEMON_MAIN_SRCS) $(LIBVIRT_MOD_SRCS),$(wildcard host/*.c)) \
	$(filter-out $(FUSED_SRCS),$(wildcard fuse/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
GUEST_LIB_OBJS := $(GUEST_LIB_SRCS:%.c=$(BUILD)/%.o)
AGENT_OBJS := $(AGENT_SRCS:%.c=$(BUILD)/%.o)
CHANNEL_OBJS := $(CHANNEL_SRCS:%.c=$(BUILD)/%.o)
HOST_LIB_OBJS := $(HOST_LIB_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS := $(DAEMON_MAIN_SRCS:%.c=$(BUILD)/%.o)
LIBVIRT_MOD_OBJS := $(LIBVIRT_MOD_SRCS:%.c=$(BUILD)/%.pic.o)
NET_MOD_OBJS := $(NET_MOD_SRCS:%.c=$(BUILD)/%.pic.o)
FUSED_OBJS := $(FUSED_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/fuse/tree.o $(BUILD)/fuse/feed.o $(BUILD)/fuse/board.o
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

LIB := $(BUILD)/libvpowercap.a
HOST_LIB := $(BUILD)/libvpowercapd.a
AGENT := $(BUILD)/vpowercap-agent
CHANNEL := $(BUILD)/vpowercap-channel
DAEMON := $(BUILD)/vpowercapd
LIBVIRT_MOD := $(BUILD)/vpowercapd-libvirt.so
NET_MOD := $(BUILD)/vpowercap-exporters.so
HOOK := $(BUILD)/vpowercap-hook
FUSED := $(BUILD)/vpowercap-fused
AGENT_MAN := $(BUILD)/man/vpowercap-agent.8 $(BUILD)/man/vpowercap-agent.conf.5
DAEMON_MAN := $(BUILD)/man/vpowercapd.8 $(BUILD)/man/vpowercapd.conf.5
MAN_PAGES := $(AGENT_MAN) $(DAEMON_MAN)

.PHONY: all deb deps deps-agent test check tsan fuzz fuzz-bins bench run install install-agent uninstall clean unit-tests
.SECONDARY:
.DEFAULT_GOAL := all

all: $(BUILD)/layers.ok $(BUILD)/version-$(VERSION).ok $(LIB) $(AGENT) $(CHANNEL) $(DAEMON) $(LIBVIRT_MOD) $(NET_MOD) \
	$(HOOK) $(FUSED) \
	$(MAN_PAGES)

# Layers run one way (tests/check_layers.sh); a wrong-way include fails the build.
$(BUILD)/layers.ok: tests/check_layers.sh $(wildcard common/*.[ch] fuse/*.[ch] guest/*.[ch] host/*.[ch])
	@mkdir -p $(dir $@)
	$(call quiet,LAYERS,$@)tests/check_layers.sh && touch $@

# VERSION is the one version number: debian/changelog's first entry must
# carry it too (a package is built from the changelog's).
$(BUILD)/version-$(VERSION).ok: Makefile debian/changelog
	@mkdir -p $(dir $@)
	$(call quiet,VERSION,$(VERSION))v=$$(sed -n '1s/^vpowercap (\([^)]*\)).*/\1/p' debian/changelog); \
	[ "$$v" = "$(VERSION)" ] || { echo "debian/changelog says '$$v', the Makefile's VERSION is $(VERSION)" >&2; exit 1; }; \
	touch $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/%.pic.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)$(CC) $(ALL_CFLAGS) -fPIC $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/lib/%.o: tests/lib/%.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

TEST_LIB_OBJS := $(patsubst tests/lib/%.c,$(BUILD)/tests/lib/%.o,$(wildcard tests/lib/*.c))

$(LIB): $(COMMON_OBJS) $(GUEST_LIB_OBJS)
	$(call quiet,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(HOST_LIB): $(HOST_LIB_OBJS)
	$(call quiet,AR,$@)rm -f $@ && $(AR) rcs $@ $^

# The agent exports its symbols and holds the whole library, as the daemon
# does, for the network exporters' module it may load.
$(AGENT): $(AGENT_OBJS) $(LIB)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -rdynamic $(AGENT_OBJS) \
		-Wl,--whole-archive $(LIB) -Wl,--no-whole-archive $(AGENT_PKG_LIBS) -ldl -lm -lpthread -o $@

# The guest's channel reader: libc and the library alone.
$(CHANNEL): $(CHANNEL_OBJS) $(LIB)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) $(CHANNEL_OBJS) $(LIB) -o $@

# The hook stands alone: libc only, so it runs wherever libvirtd does.
$(HOOK): $(BUILD)/libvirt-hooks/vpowercap_hook.o
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) $< -o $@

# The daemon exports its symbols (-rdynamic): the libvirt module calls its
# logging and VM list functions. The whole library goes in, so that every
# function the module may call is there.
# Sanitized, it links libvirt's chain too: the sanitizers' interceptors of
# libtirpc's xdr functions find them only in libraries loaded at start,
# and would call NULL for the module's. The module is still what is used.
ifdef SANITIZE
DAEMON_PRELOAD := -Wl,--no-as-needed $(LIBVIRT_PKG_LIBS) -Wl,--as-needed
endif
$(DAEMON): $(DAEMON_OBJS) $(HOST_LIB) $(LIB)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -rdynamic $(DAEMON_OBJS) \
		-Wl,--whole-archive $(HOST_LIB) $(LIB) -Wl,--no-whole-archive \
		$(DAEMON_PKG_LIBS) $(DAEMON_PRELOAD) -ldl -lm -lpthread -o $@

# The tree server stays small: libfuse and libc, nothing of the daemon's.
$(FUSED): $(FUSED_OBJS) $(LIB)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) $(FUSED_OBJS) $(LIB) $(FUSED_PKG_LIBS) -lpthread -o $@

$(LIBVIRT_MOD): $(LIBVIRT_MOD_OBJS)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -shared $^ $(LIBVIRT_PKG_LIBS) -o $@

$(NET_MOD): $(NET_MOD_OBJS)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -shared $^ $(NET_PKG_LIBS) -o $@

# Tests and tools link the modules' objects in rather than load them.
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_LIB_OBJS) $(LIBVIRT_MOD_OBJS) $(NET_MOD_OBJS) $(HOST_LIB) $(LIB)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) $(TEST_LIBS) -lm -lpthread -o $@

# The tree server's handle table, tested on its own.
$(BUILD)/tests/test_handles: $(BUILD)/fuse/fusefs_handles.o

# tests/tools/foo_bar.c builds build/tests/foo-bar, linked with the libraries.
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(subst _,-,$(TOOL_SRCS)))

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/tools/$$(subst -,_,%).c $(LIBVIRT_MOD_OBJS) $(NET_MOD_OBJS) $(HOST_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(ALL_LDFLAGS) $< $(LIBVIRT_MOD_OBJS) $(NET_MOD_OBJS) \
		$(HOST_LIB) $(LIB) $(PKG_LIBS) $(TOOL_PKG_LIBS) -lm -lpthread -o $@

unit-tests: $(UNIT_BINS) $(TOOLS)

# tests/bench/foo_bar.c builds build/bench/bench-foo-bar: the benchmarks'
# references and helpers (libfuse's and libc's only, nothing of ours).
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/bench-%,$(subst _,-,$(BENCH_SRCS)))
$(BUILD)/bench/bench-%: tests/bench/$$(subst -,_,%).c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(ALL_LDFLAGS) $< $(FUSED_PKG_LIBS) -lpthread -o $@

# Manual pages: man/PAGE.in, with the option list the program prints from
# its option table (--help-man=SECTION) in place of @OPTIONS@, so that the
# pages list every flag and key the program has, with its default.
# man_page PAGE,PROGRAM,SECTION
define man_page
$(BUILD)/man/$(1): man/$(1).in man/format.roff $(2)
	@mkdir -p $$(dir $$@)
	$$(call quiet,MAN,$$@)$(2) --help-man=$(3) >$$@.options && \
		sed -e 's/@VERSION@/$(VERSION)/' -e '/^@FORMAT@$$$$/{r man/format.roff' -e 'd}' \
		    -e '/^@OPTIONS@$$$$/{r $$@.options' -e 'd}' $$< >$$@.tmp && \
		mv $$@.tmp $$@ && rm -f $$@.options
endef
$(eval $(call man_page,vpowercapd.8,$(DAEMON),8))
$(eval $(call man_page,vpowercapd.conf.5,$(DAEMON),5))
$(eval $(call man_page,vpowercap-agent.8,$(AGENT),8))
$(eval $(call man_page,vpowercap-agent.conf.5,$(AGENT),5))

deps:
	$(Q)tests/deps.sh

deps-agent:
	$(Q)tests/deps.sh --agent

test: deps
	$(Q)$(MAKE) --no-print-directory all unit-tests
	$(Q)BUILD=$(BUILD) tests/run.sh

check: deps
	$(Q)$(MAKE) --no-print-directory SANITIZE=address,undefined test-only
	$(Q)$(MAKE) --no-print-directory tsan

# ThreadSanitizer, in a tree of its own, on the unit tests of what threads
# share (the snapshot publisher, the container names' thread, the network
# exporters' outbox, the web config's password checkers, the tree server's
# open file handles). libtsan comes with gcc, as libasan does.
TSAN_BUILD := build/tsan
TSAN_TESTS := test_publish test_container test_outbox test_web_config test_handles
tsan: deps
	$(Q)$(MAKE) --no-print-directory SANITIZE=thread BUILD=$(TSAN_BUILD) \
		$(TSAN_TESTS:%=$(TSAN_BUILD)/tests/%)
	$(Q)BUILD=$(TSAN_BUILD) TESTS=unit/ TSAN_OPTIONS=halt_on_error=1 tests/run.sh

# libFuzzer harnesses (tests/fuzz/fuzz_*.c) for every parser of outside
# input, built with clang in a tree of their own under ASan and UBSan, each
# run FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/NAME/); what a
# run finds new goes to $(FUZZ_BUILD)/corpus/NAME/, a crash to
# $(FUZZ_BUILD)/crash-*. clang comes from Debian, for this target only.
FUZZ_BUILD := build/fuzz
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 10
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_lib.c,$(wildcard tests/fuzz/fuzz_*.c)))
fuzz:
	$(Q)tests/deps.sh clang-14 libclang-rt-14-dev
	$(Q)$(MAKE) --no-print-directory CC=$(FUZZ_CC) SANITIZE=fuzzer-no-link,address,undefined \
		BUILD=$(FUZZ_BUILD) fuzz-bins
	$(Q)set -e; for t in $(FUZZ_TARGETS); do \
		echo "  FUZZ   $$t ($(FUZZ_SECONDS) s)"; \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
		$(FUZZ_BUILD)/tests/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
			-artifact_prefix=$(FUZZ_BUILD)/ -print_final_stats=0 \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t 2>$(FUZZ_BUILD)/fuzz-$$t.log || \
			{ tail -50 $(FUZZ_BUILD)/fuzz-$$t.log; exit 1; }; \
		grep -E '^#[0-9]+.*DONE' $(FUZZ_BUILD)/fuzz-$$t.log | tail -1; \
	done

fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz-%)

$(BUILD)/tests/fuzz-%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_lib.c $(HOST_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) $(PKG_CFLAGS) -fsanitize=fuzzer \
		$(ALL_LDFLAGS) $< tests/fuzz/fuzz_lib.c $(HOST_LIB) $(LIB) $(PKG_LIBS) -lm -lpthread -o $@

# The suite against an already-built tree (used by check), fewer tests at
# a time than make test's (sanitized programs take twice the CPU). ASan's
# quarantine is cut to 16 MB: the tests that bound a program's memory
# (t504) measure the program's, not 256 MB of freed blocks held back.
.PHONY: test-only
test-only: all unit-tests
	$(Q)BUILD=$(BUILD) SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=16 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 JOBS=$${JOBS:-$$(($$(nproc) + 1))} tests/run.sh

# The scoreboard (tests/bench/run.sh, docs/development.md): what it needs
# is installed and built first, as for make test.
bench:
	$(Q)tests/deps.sh wrk prometheus-node-exporter
	$(Q)$(MAKE) --no-print-directory all $(TOOLS) $(BENCH_BINS)
	$(Q)BUILD=$(BUILD) tests/bench/run.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(AGENT) --timeout 3 stdout

# The daemon's user is created only on a live install (no DESTDIR), as root;
# it joins the libvirt group where there is one, to reach libvirtd.
DAEMON_USER ?= vpowercap
UNITDIR ?= $(PREFIX)/lib/systemd/system

# What a guest needs: the agent, its config example and the guest's units.
MANDIR ?= $(PREFIX)/share/man
install-agent: $(AGENT) $(CHANNEL) $(NET_MOD) $(AGENT_MAN)
	install -d $(DESTDIR)$(PREFIX)/lib/vpowercap
	install -m 0644 $(NET_MOD) $(DESTDIR)$(PREFIX)/lib/vpowercap/
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/vpowercap \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/vpowercap \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(AGENT) $(DESTDIR)$(PREFIX)/bin/vpowercap-agent
	install -m 0755 $(CHANNEL) $(DESTDIR)$(PREFIX)/bin/vpowercap-channel
	install -m 0644 $(BUILD)/man/vpowercap-agent.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(BUILD)/man/vpowercap-agent.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 docs/agent.conf.example $(DESTDIR)$(SYSCONFDIR)/vpowercap/agent.conf.example
	install -m 0644 'guest/systemd/run-vpowercap\x2dguest.mount' guest/systemd/sys-class-powercap.mount \
		$(DESTDIR)$(UNITDIR)/
	sed 's|/usr/local/bin|$(PREFIX)/bin|' guest/systemd/vpowercap-agent.service \
		>$(DESTDIR)$(UNITDIR)/vpowercap-agent.service
	sed 's|/usr/local/bin|$(PREFIX)/bin|' guest/systemd/vpowercap-agent-prometheus.service \
		>$(DESTDIR)$(UNITDIR)/vpowercap-agent-prometheus.service
	sed 's|/usr/local/bin|$(PREFIX)/bin|' guest/systemd/vpowercap-channel.service \
		>$(DESTDIR)$(UNITDIR)/vpowercap-channel.service
	install -m 0644 guest/systemd/vpowercap-virtiofs.mount.in $(DESTDIR)$(PREFIX)/share/vpowercap/
	install -d $(DESTDIR)$(PREFIX)/share/vpowercap/grafana
	install -m 0644 guest/grafana/vpowercap-agent.json $(DESTDIR)$(PREFIX)/share/vpowercap/grafana/

# Prometheus rules (with their promtool tests) and Grafana dashboards, for
# the operator to copy into their servers (docs/fleet.md).
PROMETHEUS_FILES := host/prometheus/vpowercap-rules.yml host/prometheus/vpowercap-alerts.yml \
	host/prometheus/vpowercap-rules.test.yml
GRAFANA_FILES := host/grafana/vpowercap-fleet.json host/grafana/vpowercap-host.json \
	host/grafana/vpowercap-tenant.json

install: all install-agent
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include/vpowercap $(DESTDIR)$(SYSCONFDIR)/vpowercap
	install -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/vpowercapd
	install -m 0644 $(BUILD)/man/vpowercapd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(BUILD)/man/vpowercapd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(PREFIX)/lib/vpowercap
	install -m 0644 $(LIBVIRT_MOD) $(DESTDIR)$(PREFIX)/lib/vpowercap/
	install -m 0755 $(FUSED) $(DESTDIR)$(PREFIX)/lib/vpowercap/
	install -d $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d
	install -m 0755 $(HOOK) $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d/vpowercap
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libvpowercap.a
	install -d $(DESTDIR)$(PREFIX)/include/vpowercap/common
	install -m 0644 $(filter-out %_i.h common/version.h,$(wildcard common/*.h)) $(DESTDIR)$(PREFIX)/include/vpowercap/common/
	sed 's|^#error .*|#define VPOWERCAP_VERSION "$(VERSION)"|' common/version.h \
		>$(DESTDIR)$(PREFIX)/include/vpowercap/common/version.h
	install -m 0644 docs/vpowercapd.conf.example $(DESTDIR)$(SYSCONFDIR)/vpowercap/vpowercapd.conf.example
	install -d $(DESTDIR)$(PREFIX)/share/vpowercap/prometheus $(DESTDIR)$(PREFIX)/share/vpowercap/grafana
	install -m 0644 $(PROMETHEUS_FILES) $(DESTDIR)$(PREFIX)/share/vpowercap/prometheus/
	install -m 0644 $(GRAFANA_FILES) $(DESTDIR)$(PREFIX)/share/vpowercap/grafana/
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin|$(PREFIX)/sbin|' host/systemd/vpowercapd.service \
		>$(DESTDIR)$(UNITDIR)/vpowercapd.service
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && ! getent passwd $(DAEMON_USER) >/dev/null; then \
		groups=""; getent group libvirt >/dev/null && groups="--groups libvirt"; \
		echo "  USER   $(DAEMON_USER)"; \
		useradd --system --no-create-home --home-dir /var/lib/vpowercap \
			--shell /usr/sbin/nologin $$groups $(DAEMON_USER); \
	fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vpowercap-agent $(DESTDIR)$(PREFIX)/sbin/vpowercapd
	rm -f $(DESTDIR)$(PREFIX)/bin/vpowercap-channel $(DESTDIR)$(UNITDIR)/vpowercap-channel.service
	rm -f $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d/vpowercap
	rm -f $(DESTDIR)$(PREFIX)/lib/libvpowercap.a
	rm -rf $(DESTDIR)$(PREFIX)/lib/vpowercap
	rm -rf $(DESTDIR)$(PREFIX)/include/vpowercap
	rm -f $(DESTDIR)$(SYSCONFDIR)/vpowercap/agent.conf.example
	rm -f $(DESTDIR)$(SYSCONFDIR)/vpowercap/vpowercapd.conf.example
	rm -f '$(DESTDIR)$(UNITDIR)/run-vpowercap\x2dguest.mount' $(DESTDIR)$(UNITDIR)/sys-class-powercap.mount
	rm -f $(DESTDIR)$(UNITDIR)/vpowercap-agent.service $(DESTDIR)$(UNITDIR)/vpowercapd.service
	rm -f $(DESTDIR)$(UNITDIR)/vpowercap-agent-prometheus.service
	rm -rf $(DESTDIR)$(PREFIX)/share/vpowercap
	rm -f $(DESTDIR)$(MANDIR)/man8/vpowercapd.8 $(DESTDIR)$(MANDIR)/man8/vpowercap-agent.8
	rm -f $(DESTDIR)$(MANDIR)/man5/vpowercapd.conf.5 $(DESTDIR)$(MANDIR)/man5/vpowercap-agent.conf.5

# The Debian packages, built from a copy of the sources in build/deb/
# (dpkg-buildpackage writes its results next to the source directory).
# Nothing is fetched: the build dependencies are installed like make deps's.
DEB_DIR := $(BUILD)/deb
DEB_SRCS := Makefile LICENSE README.md common debian docs fuse guest host libvirt-hooks man tests
deb:
	$(Q)tests/deps.sh debhelper dpkg-dev lintian fakeroot
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/vpowercap-$(VERSION)
	$(Q)tar -cf - $(DEB_SRCS) | tar -xf - -C $(DEB_DIR)/vpowercap-$(VERSION)
	$(Q)cd $(DEB_DIR)/vpowercap-$(VERSION) && \
		env -u MAKEFLAGS -u MAKEOVERRIDES -u MAKELEVEL -u BUILD -u SANITIZE \
		DEB_BUILD_OPTIONS="parallel=$$(nproc) $$DEB_BUILD_OPTIONS" \
		dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -n 40 $(abspath $(DEB_DIR))/build.log; \
		  echo "deb: dpkg-buildpackage failed, see $(DEB_DIR)/build.log" >&2; exit 1; }
	$(Q)lintian --fail-on error $(DEB_DIR)/vpowercap_$(VERSION)_*.changes
	$(Q)ls $(DEB_DIR)/*.deb

# BUILD is build/ unless set (SANITIZE=... sets build/sanitize, inside it).
clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)
