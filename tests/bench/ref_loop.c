// SPDX-License-Identifier: MIT
/*
 * bench-ref-loop: the floor for a tick of the daemon and a step of the
 * agent, a bare C loop making the reads they cannot avoid, on the same
 * fixture files, every INTERVAL seconds (so that caches are as warm as
 * theirs), and printing its CPU time per pass (getrusage: every thread,
 * user and system, setup left out).
 *
 *   bench-ref-loop vms PROC POWERCAP INTERVAL PASSES
 *       the daemon's tick: PROC/stat and every zone's energy_uj read, PROC
 *       listed, and the stat file of each process in it (kept open, as the
 *       proc VM source does) read again with pread: utime + stime
 *   bench-ref-loop procs PROC POWERCAP INTERVAL PASSES
 *       the agent's step: the same, but each PROC/PID/stat opened, read
 *       and closed (the agent sees processes come and go)
 *
 * Prints "PASSES passes: CPU_US us of CPU per pass".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;  /* keeps the parse from being optimized away */

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "bench-ref-loop: %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

/* utime + stime of a stat line: fields 14 and 15, counted after comm's ')'. */
static uint64_t cpu_of(const char *buf)
{
	const char *p = strrchr(buf, ')');
	uint64_t v = 0;

	if (!p)
		return 0;
	for (int field = 2; *p && field < 14; p++)
		if (*p == ' ')
			field++;
	for (int i = 0; i < 2; i++) {
		uint64_t x = 0;

		while (*p >= '0' && *p <= '9')
			x = x * 10 + (uint64_t)(*p++ - '0');
		v += x;
		if (*p == ' ')
			p++;
	}
	return v;
}

static void read_fd(int fd)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n > 0) {
		buf[n] = '\0';
		sink += cpu_of(buf) + (uint64_t)buf[0];
	}
}

static void read_path(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		read_fd(fd);
		close(fd);
	}
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static bool is_pid(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++)
		if (*name < '0' || *name > '9')
			return false;
	return true;
}

int main(int argc, char **argv)
{
	int procfd, pcfd, *zone_fds = NULL, *stat_fds = NULL;
	size_t nzones = 0, nstats = 0;
	bool keep_open;
	double interval, start;
	long passes;
	struct timespec next;
	DIR *d;
	struct dirent *e;

	if (argc != 6 || (strcmp(argv[1], "vms") && strcmp(argv[1], "procs"))) {
		fprintf(stderr, "usage: bench-ref-loop vms|procs PROC POWERCAP INTERVAL PASSES\n");
		return 2;
	}
	keep_open = !strcmp(argv[1], "vms");
	interval = atof(argv[4]);
	passes = atol(argv[5]);
	procfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		die("cannot open", argv[2]);
	pcfd = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pcfd < 0 || !(d = fdopendir(dup(pcfd))))
		die("cannot open", argv[3]);
	/* the zones' counters, through the flat links at the top, kept open */
	while ((e = readdir(d))) {
		char path[512];
		int fd;

		if (strncmp(e->d_name, "intel-rapl:", 11))
			continue;
		snprintf(path, sizeof(path), "%s/energy_uj", e->d_name);
		fd = openat(pcfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		zone_fds = realloc(zone_fds, (nzones + 1) * sizeof(*zone_fds));
		if (!zone_fds)
			die("out of memory", "");
		zone_fds[nzones++] = fd;
	}
	closedir(d);

	/* the daemon opens a qemu process's stat file at its first sight: setup */
	if (keep_open) {
		int dfd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0 || !(d = fdopendir(dfd)))
			die("cannot list", argv[2]);
		while ((e = readdir(d))) {
			char path[300];

			if (!is_pid(e->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/stat", e->d_name);
			stat_fds = realloc(stat_fds, (nstats + 1) * sizeof(*stat_fds));
			if (!stat_fds)
				die("out of memory", "");
			stat_fds[nstats++] = openat(procfd, path, O_RDONLY | O_CLOEXEC);
		}
		closedir(d);
	}

	clock_gettime(CLOCK_MONOTONIC, &next);
	start = cpu_s();
	for (long pass = 0; pass < passes; pass++) {
		int dfd;

		read_path(procfd, "stat");
		for (size_t z = 0; z < nzones; z++)
			read_fd(zone_fds[z]);
		dfd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || !(d = fdopendir(dfd)))
			die("cannot list", argv[2]);
		while ((e = readdir(d))) {
			char path[300];

			if (!is_pid(e->d_name))
				continue;
			sink += (uint64_t)atoi(e->d_name);
			if (!keep_open) {
				snprintf(path, sizeof(path), "%s/stat", e->d_name);
				read_path(procfd, path);
			}
		}
		closedir(d);
		for (size_t i = 0; i < nstats; i++)
			if (stat_fds[i] >= 0)
				read_fd(stat_fds[i]);
		next.tv_nsec += (long)(interval * 1e9);
		next.tv_sec += next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	printf("%ld passes: %.1f us of CPU per pass\n", passes, (cpu_s() - start) * 1e6 / (double)(passes > 0 ? passes : 1));
	return 0;
}
