// SPDX-License-Identifier: MIT
/* Fixture trees (temporary directories, powercap zones, /proc) for the unit tests. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1  /* asprintf, mkostemp, open_memstream */
#endif
#include "tests/lib/fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *fixture_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (!base || !base[0])
		base = "/tmp";
	if (asprintf(&path, "%s/vpowercap-unit.XXXXXX", base) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (!mkdtemp(path)) {
		int err = errno;

		free(path);
		errno = err;
		return NULL;
	}
	return path;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP || flag == FTW_DNR) ? rmdir(path) : unlink(path))
		return errno;
	return 0;
}

int fixture_rmtree(const char *path)
{
	struct stat st;
	int ret;

	if (lstat(path, &st) < 0)
		return -errno;
	/* FTW_DEPTH visits a directory after its contents; FTW_PHYS never follows links. */
	ret = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (ret < 0)
		return -errno;
	return -ret;
}

int fixture_setup_dir(void **state)
{
	char *dir = fixture_tmpdir();

	if (!dir)
		return -1;
	*state = dir;
	return 0;
}

int fixture_teardown_dir(void **state)
{
	char *dir = *state;
	int ret = fixture_rmtree(dir);

	free(dir);
	return ret == 0 || ret == -ENOENT ? 0 : -1;
}

char *fixture_path(const char *root, const char *rel)
{
	char *path;

	if (asprintf(&path, "%s/%s", root, rel) < 0)
		return NULL;
	return path;
}

int fixture_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/* Make the directories above @path. */
static int make_parents(const char *path)
{
	char buf[PATH_MAX];
	char *slash;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = '\0';
	return fixture_mkdirs(buf);
}

static int write_all(int fd, const char *text, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, text + done, len - done, (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

static int put_file(const char *root, const char *rel, const char *contents, bool in_place)
{
	char *path = fixture_path(root, rel);
	size_t len = strlen(contents);
	int fd, ret;

	if (!path)
		return -ENOMEM;
	ret = make_parents(path);
	if (ret < 0)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (in_place ? 0 : O_TRUNC), 0644);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = write_all(fd, contents, len);
	/* In place, a shorter value leaves the old tail behind: cut it off. */
	if (ret == 0 && in_place && ftruncate(fd, (off_t)len) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
out:
	free(path);
	return ret;
}

int fixture_write(const char *root, const char *rel, const char *contents)
{
	return put_file(root, rel, contents, false);
}

int fixture_rewrite(const char *root, const char *rel, const char *contents)
{
	return put_file(root, rel, contents, true);
}

int fixture_symlink(const char *root, const char *rel, const char *target)
{
	char *path = fixture_path(root, rel);
	int ret;

	if (!path)
		return -ENOMEM;
	ret = make_parents(path);
	if (ret == 0 && symlink(target, path) < 0)
		ret = -errno;
	free(path);
	return ret;
}

char *fixture_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 1 >= size) {
			size_t grown = size ? 2 * size : 4096;
			char *p = realloc(text, grown);

			if (!p) {
				free(text);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			text = p;
			size = grown;
		}
		size_t got = fread(text + n, 1, size - 1 - n, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(text);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	text[n] = '\0';
	if (len)
		*len = n;
	return text;
}

/* "@rel/@attr" in @buf. */
static int attr_path(char *buf, size_t size, const char *rel, const char *attr)
{
	if ((size_t)snprintf(buf, size, "%s/%s", rel, attr) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int zone_attr(const char *root, const char *rel, const char *attr, const char *text,
		     bool in_place)
{
	char path[PATH_MAX];
	int ret = attr_path(path, sizeof(path), rel, attr);

	if (ret < 0)
		return ret;
	return in_place ? fixture_rewrite(root, path, text) : fixture_write(root, path, text);
}

int fixture_zone(const char *root, const char *rel, const char *name,
		 uint64_t energy_uj, uint64_t max_energy_range_uj)
{
	char text[64];
	int ret;

	snprintf(text, sizeof(text), "%s\n", name);
	ret = zone_attr(root, rel, "name", text, false);
	if (ret == 0) {
		snprintf(text, sizeof(text), "%" PRIu64 "\n", max_energy_range_uj);
		ret = zone_attr(root, rel, "max_energy_range_uj", text, false);
	}
	if (ret == 0)
		ret = zone_attr(root, rel, "enabled", "1\n", false);
	if (ret == 0) {
		snprintf(text, sizeof(text), "%" PRIu64 "\n", energy_uj);
		ret = zone_attr(root, rel, "energy_uj", text, false);
	}
	return ret;
}

int fixture_zone_set(const char *root, const char *rel, uint64_t energy_uj)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRIu64 "\n", energy_uj);
	return zone_attr(root, rel, "energy_uj", text, true);
}

int fixture_zone_set_raw(const char *root, const char *rel, const char *text)
{
	return zone_attr(root, rel, "energy_uj", text, true);
}

/* The lines after the CPUs in a real /proc/stat. */
static const char stat_tail[] =
	"intr 123456 0 9 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	"ctxt 987654\n"
	"btime 1700000000\n"
	"processes 4242\n"
	"procs_running 2\n"
	"procs_blocked 0\n"
	"softirq 1000 1 2 3 4 5 6 7 8 9 10\n";

int fixture_proc_stat(const char *root, const char *cpu_lines)
{
	char *text;
	int ret;

	if (asprintf(&text, "%s%s", cpu_lines, stat_tail) < 0)
		return -ENOMEM;
	ret = fixture_rewrite(root, "stat", text);
	free(text);
	return ret;
}

int fixture_proc_stat_times(const char *root, unsigned ncpu, uint64_t user, uint64_t nice,
			    uint64_t system, uint64_t idle, uint64_t iowait, uint64_t irq,
			    uint64_t softirq, uint64_t steal)
{
	const uint64_t v[8] = { user, nice, system, idle, iowait, irq, softirq, steal };
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int ret;

	if (!f)
		return -ENOMEM;
	/* The aggregate line has two spaces after "cpu", as the kernel writes it. */
	fputs("cpu ", f);
	for (int i = 0; i < 8; i++)
		fprintf(f, " %" PRIu64, v[i]);
	fputs(" 0 0\n", f);
	for (unsigned c = 0; c < ncpu; c++) {
		fprintf(f, "cpu%u", c);
		/* CPU 0 takes the remainder, so the lines add up to the aggregate. */
		for (int i = 0; i < 8; i++)
			fprintf(f, " %" PRIu64, v[i] / ncpu + (c == 0 ? v[i] % ncpu : 0));
		fputs(" 0 0\n", f);
	}
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	ret = fixture_proc_stat(root, text);
	free(text);
	return ret;
}

int fixture_proc_pid(const char *root, pid_t pid, const char *comm, uint64_t utime,
		     uint64_t stime, uint64_t starttime)
{
	char rel[64], *text;
	int ret;

	snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
	/*
	 * pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice num_threads
	 * itrealvalue starttime vsize rss rsslim startcode endcode startstack
	 * kstkesp kstkeip signal blocked sigignore sigcatch wchan nswap cnswap
	 * exit_signal processor rt_priority policy delayed_blkio_ticks
	 * guest_time cguest_time start_data end_data start_brk arg_start
	 * arg_end env_start env_end exit_code
	 */
	if (asprintf(&text,
		     "%d (%s) S 1 %d %d 34816 -1 4194304 1234 5678 3 4 %" PRIu64 " %" PRIu64
		     " 7 8 20 0 1 0 %" PRIu64 " 12345678 1234 18446744073709551615 "
		     "94000000000000 94000000100000 140730000000000 0 0 0 0 0 0 1 0 0 17 1 0 0 "
		     "0 0 0 94000000200000 94000000300000 94000001000000 140730000001000 "
		     "140730000002000 140730000002000 140730000003000 0\n",
		     (int)pid, comm, (int)pid, (int)pid, utime, stime, starttime) < 0)
		return -ENOMEM;
	ret = fixture_rewrite(root, rel, text);
	free(text);
	return ret;
}

int fixture_proc_cgroup(const char *root, pid_t pid, const char *text)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
	return fixture_write(root, rel, text);
}

int fixture_proc_exit(const char *root, pid_t pid)
{
	char rel[32], *path;
	int ret;

	snprintf(rel, sizeof(rel), "%d", (int)pid);
	path = fixture_path(root, rel);
	if (!path)
		return -ENOMEM;
	ret = fixture_rmtree(path);
	free(path);
	return ret;
}

static void flush_for(int fd)
{
	if (fd == STDOUT_FILENO)
		fflush(stdout);
	else if (fd == STDERR_FILENO)
		fflush(stderr);
}

int fixture_capture_start(struct fixture_capture *c, int fd, const char *dir)
{
	char *path = fixture_path(dir, "capture.XXXXXX");
	int ret = 0;

	c->fd = fd;
	c->saved = -1;
	c->file = -1;
	if (!path)
		return -ENOMEM;
	c->file = mkostemp(path, O_CLOEXEC);
	if (c->file < 0) {
		ret = -errno;
		goto out;
	}
	unlink(path);
	flush_for(fd);
	c->saved = dup(fd);
	if (c->saved < 0 || dup2(c->file, fd) < 0) {
		ret = -errno;
		if (c->saved >= 0)
			close(c->saved);
		close(c->file);
		c->saved = c->file = -1;
	}
out:
	free(path);
	return ret;
}

char *fixture_capture_end(struct fixture_capture *c)
{
	char *text = NULL;
	struct stat st;
	size_t done = 0;

	if (c->saved < 0)
		return NULL;
	flush_for(c->fd);
	dup2(c->saved, c->fd);
	close(c->saved);
	c->saved = -1;
	if (fstat(c->file, &st) == 0 && (text = malloc((size_t)st.st_size + 1))) {
		while (done < (size_t)st.st_size) {
			ssize_t n = pread(c->file, text + done, (size_t)st.st_size - done, (off_t)done);

			if (n <= 0)
				break;
			done += (size_t)n;
		}
		text[done] = '\0';
	}
	close(c->file);
	c->file = -1;
	return text;
}
