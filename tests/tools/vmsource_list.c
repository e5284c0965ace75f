// SPDX-License-Identifier: MIT
/*
 * vmsource-list: open a VM source and print what it lists, the way the
 * daemon asks it, for tests against a real libvirtd or a /proc tree.
 *
 *   vmsource-list [--uri URI | --proc ROOT [--qemu-users LIST]] [--count N] [--interval S] [--debug]
 *
 * Every S seconds (default 1), one line per VM: "name uuid vcpus running
 * persistent cpu_ns" (running and persistent as 1 or 0), or "-- ENOTCONN"
 * while the source is away ("-- error N" for another error), then "--".
 * Exits after N listings (default 1; 0 runs until told to stop), or at
 * SIGTERM or SIGINT, closing the source as the daemon does (so leaks show
 * under LeakSanitizer). Logs go to standard error.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "host/vmsource.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: vmsource-list [--uri URI | --proc ROOT [--qemu-users LIST]] [--count N] [--interval S] [--debug]\n");
}

static void print_listing(int ret, const struct vm_list *vms)
{
	if (ret == -ENOTCONN)
		printf("-- ENOTCONN\n");
	else if (ret < 0)
		printf("-- error %d\n", -ret);
	for (size_t i = 0; i < vms->n; i++) {
		const struct vm_info *vm = &vms->vms[i];

		printf("%s %s %u %d %d %" PRIu64 "\n", vm->name, vm->uuid, vm->vcpus, vm->running,
		       vm->persistent, vm->cpu_ns);
	}
	printf("--\n");
	fflush(stdout);
}

/*
 * Sleep until @deadline_ns (monotonic); false when SIGTERM or SIGINT came.
 * The signals are blocked in every thread, so they wait here for us.
 */
static bool sleep_until(uint64_t deadline_ns, const sigset_t *stop)
{
	for (;;) {
		uint64_t now = clock_mono_ns();
		struct timespec left = clock_timespec(now < deadline_ns ? deadline_ns - now : 0);

		if (sigtimedwait(stop, NULL, &left) >= 0)
			return false;
		if (errno == EAGAIN)
			return true;
		/* EINTR: another signal; wait on */
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "uri", required_argument, NULL, 'u' },
		{ "proc", required_argument, NULL, 'p' },
		{ "qemu-users", required_argument, NULL, 'q' },
		{ "count", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_source_config cfg = { .proc_root = "/proc" };
	enum vm_source_kind kind = VM_SOURCE_LIBVIRT;
	struct vm_list vms = { 0 };
	struct vm_source *src;
	uint64_t next;
	sigset_t stop;
	unsigned long count = 1;
	double interval = 1.0;
	char *end;
	int opt;

	log_set_program("vmsource-list");
	while ((opt = getopt_long(argc, argv, "u:p:q:n:i:dh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			kind = VM_SOURCE_LIBVIRT;
			cfg.libvirt_uri = optarg;
			break;
		case 'p':
			kind = VM_SOURCE_PROC;
			cfg.proc_root = optarg;
			break;
		case 'q':
			cfg.qemu_users = optarg;
			break;
		case 'n':
			errno = 0;
			count = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-') {
				fprintf(stderr, "vmsource-list: bad --count '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || !(interval >= 0 && interval <= 3600)) {
				fprintf(stderr, "vmsource-list: bad --interval '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* before the source starts its threads, which inherit the mask */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	/* as the daemon does: libvirt writes to a libvirtd that may be gone */
	signal(SIGPIPE, SIG_IGN);
	src = vm_source_open(kind, &cfg);
	if (!src)
		return 1;
	next = clock_mono_ns();
	for (unsigned long i = 0; count == 0 || i < count; i++) {
		if (i > 0) {
			next += (uint64_t)(interval * 1e9);
			if (!sleep_until(next, &stop))
				break;
		}
		print_listing(vm_source_list(src, &vms), &vms);
	}
	vm_list_release(&vms);
	vm_source_free(src);
	return 0;
}
