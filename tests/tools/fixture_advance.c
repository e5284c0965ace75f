// SPDX-License-Identifier: MIT
/*
 * fixture-advance: drive fixture powercap and /proc trees at known rates,
 * standing in for RAPL hardware and a kernel in tests and benchmarks.
 *
 *   fixture-advance [--period-ms N] [--proc-period-ms N] [--duration S]
 *                   [--ready FILE] [--lag-file FILE] [--zone DIR=WATTS[,START_UJ]]...
 *                   [--glitch DIR=FROM,TO,garbage|empty] [--vanish DIR=AT]
 *                   [--links ROOT]
 *                   [--proc ROOT --ncpu N [--process PID:COMM:CPUS]...
 *                    [--other-busy CPUS] [--pids-from N --pids N --pid-cpus CPUS]]
 *
 * A zone's energy_uj is START_UJ + WATTS * elapsed, wrapped at the zone's
 * max_energy_range_uj. Between FROM and TO seconds a glitched zone reads
 * "garbage" or nothing; at AT seconds a vanishing zone's directory (and
 * every link to it at the tree's top) is removed. A process's utime grows by CPUS * elapsed seconds
 * in clock ticks; /proc/stat's busy time is the processes' sum plus
 * --other-busy, its idle time the rest of ncpu * elapsed. Values are
 * rewritten in place at a fixed width (padded with spaces), so a reader
 * holding the file open never sees a truncated file. With --lag-file, the
 * longest time between two rounds of writes so far (in seconds) is kept in
 * FILE: a reader's value is at most that old, which bounds what a test may
 * expect of a short step on a busy machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <dirent.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

#define MAX_ITEMS 100000

struct fzone {
	int fd;
	char dir[4096];
	double watts;
	uint64_t start, max;
	double glitch_from, glitch_to;
	bool glitch_empty;
	double vanish_at;       /* 0: never */
	bool gone;
};

struct fprocess {
	int fd;
	int pid;
	char comm[64];
	double cpus;
};

static struct fzone zones[256];
static size_t nzones;
static struct fprocess *procs;
static size_t nprocs;
static int stat_fd = -1;
static unsigned ncpu = 2;
static double other_busy;
static volatile sig_atomic_t stop;

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "fixture-advance: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static void put(int fd, const char *text)
{
	size_t len = strlen(text);

	if (pwrite(fd, text, len, 0) != (ssize_t)len)
		die("cannot write", strerror(errno));
}

static uint64_t read_u64(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long long v = 0;

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void add_zone(const char *spec)
{
	char dir[4096], path[4200];
	double watts;
	unsigned long long start = 0;
	struct fzone *z;

	if (nzones == sizeof(zones) / sizeof(zones[0]))
		die("too many zones", NULL);
	if (sscanf(spec, "%4095[^=]=%lf,%llu", dir, &watts, &start) < 2)
		die("bad --zone, want DIR=WATTS[,START_UJ]", spec);
	z = &zones[nzones++];
	snprintf(z->dir, sizeof(z->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/max_energy_range_uj", dir);
	z->max = read_u64(path);
	z->watts = watts;
	z->start = start;
	snprintf(path, sizeof(path), "%s/energy_uj", dir);
	z->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0444);
	if (z->fd < 0)
		die("cannot open", path);
}

static void add_process(const char *root, int pid, const char *comm, double cpus)
{
	char path[4200];

	if (nprocs >= MAX_ITEMS)
		die("too many processes", NULL);
	if (!procs && !(procs = calloc(MAX_ITEMS, sizeof(*procs))))
		die("out of memory", NULL);
	snprintf(path, sizeof(path), "%s/%d", root, pid);
	if (mkdir(path, 0555) < 0 && errno != EEXIST)
		die("cannot create", path);
	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	procs[nprocs].fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0444);
	if (procs[nprocs].fd < 0)
		die("cannot open", path);
	procs[nprocs].pid = pid;
	snprintf(procs[nprocs].comm, sizeof(procs[nprocs].comm), "%s", comm);
	procs[nprocs].cpus = cpus;
	nprocs++;
}

static struct fzone *find_zone(const char *dir)
{
	for (size_t i = 0; i < nzones; i++)
		if (!strcmp(zones[i].dir, dir))
			return &zones[i];
	die("--glitch or --vanish before its --zone", dir);
	return NULL;
}

static void add_glitch(const char *spec)
{
	char dir[4096], mode[16];
	double from, to;
	struct fzone *z;

	if (sscanf(spec, "%4095[^=]=%lf,%lf,%15s", dir, &from, &to, mode) != 4 ||
	    (strcmp(mode, "garbage") && strcmp(mode, "empty")))
		die("bad --glitch, want DIR=FROM,TO,garbage|empty", spec);
	z = find_zone(dir);
	z->glitch_from = from;
	z->glitch_to = to;
	z->glitch_empty = !strcmp(mode, "empty");
}

static void add_vanish(const char *spec)
{
	char dir[4096];
	double at;

	if (sscanf(spec, "%4095[^=]=%lf", dir, &at) != 2)
		die("bad --vanish, want DIR=AT", spec);
	find_zone(dir)->vanish_at = at;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove the zone's directory and the links at the tree's top to it. */
static void vanish(struct fzone *z, const char *root)
{
	char copy[4096], link_target[4096], path[8300];
	struct dirent *e;
	DIR *d;

	close(z->fd);
	z->gone = true;
	nftw(z->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (!root || !(d = opendir(root)))
		return;
	snprintf(copy, sizeof(copy), "%s", z->dir);
	while ((e = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", root, e->d_name);
		n = readlink(path, link_target, sizeof(link_target) - 1);
		if (n <= 0)
			continue;
		link_target[n] = '\0';
		if (strstr(link_target, basename(copy)) &&
		    !strcmp(basename(link_target), basename(copy)))
			unlink(path);
	}
	closedir(d);
}

static const char *vanish_root;

static void write_zones(double elapsed)
{
	char buf[64];

	for (size_t i = 0; i < nzones; i++) {
		struct fzone *z = &zones[i];
		uint64_t v = z->start + (uint64_t)(z->watts * elapsed * 1e6);

		if (z->gone)
			continue;
		if (z->vanish_at > 0 && elapsed >= z->vanish_at) {
			vanish(z, vanish_root);
			continue;
		}
		if (elapsed >= z->glitch_from && elapsed < z->glitch_to) {
			if (z->glitch_empty) {
				if (ftruncate(z->fd, 0) < 0)
					die("cannot truncate", z->dir);
			} else {
				put(z->fd, "garbage                \n");
			}
			continue;
		}

		if (z->max)
			v %= z->max;
		snprintf(buf, sizeof(buf), "%-23" PRIu64 "\n", v);
		put(z->fd, buf);
	}
}

static void write_procs(double elapsed)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t busy = 0, total = (uint64_t)(ncpu * elapsed * (double)hz) + 1000000;
	char buf[512];

	for (size_t i = 0; i < nprocs; i++) {
		struct fprocess *p = &procs[i];
		uint64_t ticks = (uint64_t)(p->cpus * elapsed * (double)hz);

		busy += ticks;
		/* pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
		 * majflt cmajflt utime stime cutime cstime prio nice threads
		 * itreal starttime vsize rss */
		snprintf(buf, sizeof(buf),
			 "%d (%s) R 1 1 1 0 -1 0 0 0 0 0 %-20" PRIu64 " 0 0 0 20 0 1 0 %d 0 0\n",
			 p->pid, p->comm, ticks, 100 + p->pid);
		put(p->fd, buf);
	}
	busy += (uint64_t)(other_busy * elapsed * (double)hz);
	if (stat_fd >= 0) {
		int len = snprintf(buf, sizeof(buf), "cpu  %-20" PRIu64 " 0 0 %-20" PRIu64 " 0 0 0 0 0 0\n",
				   busy, total > busy ? total - busy : 0);

		for (unsigned c = 0; c < ncpu && len < (int)sizeof(buf) - 64; c++)
			len += snprintf(buf + len, sizeof(buf) - (size_t)len, "cpu%u 0 0 0 0 0 0 0 0 0 0\n", c);
		snprintf(buf + len, sizeof(buf) - (size_t)len, "intr 0\nctxt 0\n");
		put(stat_fd, buf);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	double period = 0.001, proc_period = 0.01, duration = 0, start, last_proc = -1;
	const char *ready = NULL, *proc_root = NULL, *lag_file = NULL;
	double last = 0, max_gap = 0;
	int pids_from = 0, pids = 0;
	double pid_cpus = 0;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			die("option needs a value", a);
		i++;
		if (!strcmp(a, "--period-ms"))
			period = atof(v) / 1000;
		else if (!strcmp(a, "--proc-period-ms"))
			proc_period = atof(v) / 1000;
		else if (!strcmp(a, "--duration"))
			duration = atof(v);
		else if (!strcmp(a, "--lag-file"))
			lag_file = v;
		else if (!strcmp(a, "--ready"))
			ready = v;
		else if (!strcmp(a, "--zone"))
			add_zone(v);
		else if (!strcmp(a, "--glitch"))
			add_glitch(v);
		else if (!strcmp(a, "--vanish"))
			add_vanish(v);
		else if (!strcmp(a, "--links"))
			vanish_root = v;
		else if (!strcmp(a, "--proc"))
			proc_root = v;
		else if (!strcmp(a, "--ncpu"))
			ncpu = (unsigned)atoi(v);
		else if (!strcmp(a, "--other-busy"))
			other_busy = atof(v);
		else if (!strcmp(a, "--pids-from"))
			pids_from = atoi(v);
		else if (!strcmp(a, "--pids"))
			pids = atoi(v);
		else if (!strcmp(a, "--pid-cpus"))
			pid_cpus = atof(v);
		else if (!strcmp(a, "--process")) {
			char comm[64];
			int pid;
			double cpus;

			if (!proc_root)
				die("--process needs --proc first", v);
			if (sscanf(v, "%d:%63[^:]:%lf", &pid, comm, &cpus) != 3)
				die("bad --process, want PID:COMM:CPUS", v);
			add_process(proc_root, pid, comm, cpus);
		} else {
			die("unknown option", a);
		}
	}
	if (proc_root) {
		char path[4200];

		for (int i = 0; i < pids; i++) {
			char comm[32];

			snprintf(comm, sizeof(comm), "worker-%d", i);
			add_process(proc_root, pids_from + i, comm, pid_cpus);
		}
		snprintf(path, sizeof(path), "%s/stat", proc_root);
		stat_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0444);
		if (stat_fd < 0)
			die("cannot open", path);
	}

	start = clock_mono_s();
	write_zones(0);
	write_procs(0);
	last_proc = 0;
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT, 0644);

		if (fd >= 0)
			close(fd);
	}
	while (!stop) {
		struct timespec ts = { 0, (long)(period * 1e9) };
		double elapsed;

		nanosleep(&ts, NULL);
		elapsed = clock_mono_s() - start;
		if (duration > 0 && elapsed >= duration)
			break;
		write_zones(elapsed);
		if (elapsed - last > max_gap) {
			max_gap = elapsed - last;
			if (lag_file) {
				FILE *f = fopen(lag_file, "w");

				if (f) {
					fprintf(f, "%.6f\n", max_gap);
					fclose(f);
				}
			}
		}
		last = elapsed;
		if (elapsed - last_proc >= proc_period) {
			write_procs(elapsed);
			last_proc = elapsed;
		}
	}
	return 0;
}
