// SPDX-License-Identifier: MIT
/*
 * fuse-reader: hammer an energy_uj file the way guests read it, and check
 * every value: never empty, never partial, never going back except by a
 * wrap at MAX. Prints read latency figures.
 *
 *   fuse-reader FILE MAX THREADS READS_PER_THREAD [--bytewise] [--shared] [--reopen]
 *
 * Each thread keeps the file open and preads offset 0 (as the agent and
 * qemu's 9p server do), or with --bytewise reads one byte at a time from
 * offset 0 to the end and checks the bytes make one number. With --shared
 * every thread reads one descriptor, opened once (as qemu's 9p server's
 * thread pool does for a guest's open file). With --reopen each read is an
 * open, a read and a close of FILE (a path's lookups included), as a guest
 * reading the file anew each time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

struct worker {
	pthread_t thread;
	const char *path;
	uint64_t max;
	long reads;
	bool bytewise;
	bool reopen;
	int shared_fd;        /* -1: each thread opens its own */
	double *latency;  /* seconds, one per read */
	long bad;
	char why[256];
};

static bool parse(const char *buf, size_t len, uint64_t *v)
{
	char *end;

	if (len < 2 || buf[len - 1] != '\n')
		return false;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return !errno && end == buf + len - 1 && buf[0] >= '0' && buf[0] <= '9';
}

static void *work(void *arg)
{
	struct worker *w = arg;
	int fd = w->shared_fd >= 0 ? w->shared_fd : w->reopen ? 0 : open(w->path, O_RDONLY);
	uint64_t last = 0;
	bool have_last = false;

	if (fd < 0) {
		snprintf(w->why, sizeof(w->why), "open: %s", strerror(errno));
		w->bad++;
		return NULL;
	}
	for (long i = 0; i < w->reads; i++) {
		char buf[64];
		size_t len = 0;
		uint64_t v;
		double t0 = clock_mono_s();

		if (w->reopen) {
			ssize_t n;

			fd = open(w->path, O_RDONLY);
			n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
			len = n > 0 ? (size_t)n : 0;
			if (fd >= 0)
				close(fd);
		} else if (w->bytewise) {
			ssize_t n;

			while (len < sizeof(buf) && (n = pread(fd, buf + len, 1, (off_t)len)) == 1)
				len++;
		} else {
			ssize_t n = pread(fd, buf, sizeof(buf), 0);

			len = n > 0 ? (size_t)n : 0;
		}
		w->latency[i] = clock_mono_s() - t0;
		if (!parse(buf, len, &v)) {
			if (!w->bad++)
				snprintf(w->why, sizeof(w->why), "read %ld: '%.*s' is not a value", i, (int)len, buf);
			continue;
		}
		/* Going back is allowed only as a wrap: from near MAX to near 0. */
		if (have_last && v < last && !(w->max && last > w->max / 2 && v < w->max / 2)) {
			if (!w->bad++)
				snprintf(w->why, sizeof(w->why), "read %ld: went back from %" PRIu64 " to %" PRIu64,
					 i, last, v);
		}
		last = v;
		have_last = true;
	}
	if (fd != w->shared_fd && !w->reopen)
		close(fd);
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct worker *w;
	double *all, start, elapsed;
	long threads, reads, total, bad = 0;
	bool bytewise = false, reopen = false;
	int shared_fd = -1;

	if (argc < 5) {
		fprintf(stderr, "usage: fuse-reader FILE MAX THREADS READS [--bytewise] [--shared] [--reopen]\n");
		return 2;
	}
	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--bytewise")) {
			bytewise = true;
		} else if (!strcmp(argv[i], "--reopen")) {
			reopen = true;
		} else if (!strcmp(argv[i], "--shared")) {
			shared_fd = open(argv[1], O_RDONLY);
			if (shared_fd < 0) {
				fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
				return 1;
			}
		} else {
			fprintf(stderr, "fuse-reader: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	threads = atol(argv[3]);
	reads = atol(argv[4]);
	total = threads * reads;
	w = calloc((size_t)threads, sizeof(*w));
	all = calloc((size_t)total, sizeof(*all));
	if (!w || !all)
		return 2;
	start = clock_mono_s();
	for (long t = 0; t < threads; t++) {
		w[t] = (struct worker){ .path = argv[1], .max = strtoull(argv[2], NULL, 10), .reads = reads,
					.bytewise = bytewise, .reopen = reopen, .shared_fd = shared_fd,
					.latency = all + t * reads };
		pthread_create(&w[t].thread, NULL, work, &w[t]);
	}
	for (long t = 0; t < threads; t++) {
		pthread_join(w[t].thread, NULL);
		if (w[t].bad) {
			fprintf(stderr, "thread %ld: %ld bad reads, first: %s\n", t, w[t].bad, w[t].why);
			bad += w[t].bad;
		}
	}
	elapsed = clock_mono_s() - start;
	qsort(all, (size_t)total, sizeof(*all), by_value);
	printf("%ld reads by %ld threads on %s in %.2f s: %.0f reads/s, latency median %.1f us, p99 %.1f us, %ld bad\n",
	       total, threads, shared_fd >= 0 ? "one descriptor" : reopen ? "opened for each read" : "descriptors of their own", elapsed, (double)total / elapsed, all[total / 2] * 1e6,
	       all[(long)((double)total * 0.99)] * 1e6, bad);
	if (shared_fd >= 0)
		close(shared_fd);
	free(all);
	free(w);
	return bad ? 1 : 0;
}
