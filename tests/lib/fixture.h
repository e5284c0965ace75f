/* SPDX-License-Identifier: MIT */
/*
 * Fixture trees for the unit tests: a fresh mkdtemp() directory per test,
 * powercap zones and /proc entries in their real layouts, output capture.
 * Helpers return 0 or -errno (constructors NULL): no test framework here.
 */
#ifndef VPOWERCAP_TESTS_FIXTURE_H
#define VPOWERCAP_TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * Make a fresh directory with mkdtemp() under $TMPDIR (or /tmp). Returns
 * its malloc'd path, which the caller frees, or NULL with errno set.
 */
char *fixture_tmpdir(void);

/** Remove @path and everything below it, not following links. Returns 0 or -errno. */
int fixture_rmtree(const char *path);

/**
 * cmocka setup and teardown: *@state is a fresh fixture_tmpdir(), removed
 * with all it holds afterwards (a test may have removed it already).
 */
int fixture_setup_dir(void **state);
int fixture_teardown_dir(void **state);

/** "@root/@rel" in a malloc'd string the caller frees; NULL when out of memory. */
char *fixture_path(const char *root, const char *rel);

/** Make directory @path and its missing parents. Returns 0 or -errno. */
int fixture_mkdirs(const char *path);

/**
 * Write @contents to @root/@rel, creating or truncating it and creating
 * missing parent directories. Returns 0 or -errno.
 */
int fixture_write(const char *root, const char *rel, const char *contents);

/**
 * Rewrite @root/@rel in place: the same inode keeps its descriptors, the
 * new text is written at offset 0 without O_TRUNC (so a reader never sees
 * an empty file while the value grows), and the tail is cut only when the
 * text got shorter. Returns 0 or -errno.
 */
int fixture_rewrite(const char *root, const char *rel, const char *contents);

/** Make symbolic link @root/@rel pointing at @target (kept as given, e.g. relative). */
int fixture_symlink(const char *root, const char *rel, const char *target);

/**
 * Read the whole of @path into a malloc'd NUL-terminated string (length in
 * *@len when @len is not NULL). Returns NULL with errno set on failure.
 */
char *fixture_read(const char *path, size_t *len);

/**
 * A powercap zone directory @root/@rel (for example "intel-rapl:0" or
 * "intel-rapl/intel-rapl:0/intel-rapl:0:0") holding name, energy_uj,
 * max_energy_range_uj and enabled, as sysfs has them. Returns 0 or -errno.
 */
int fixture_zone(const char *root, const char *rel, const char *name,
		 uint64_t energy_uj, uint64_t max_energy_range_uj);

/** Set the energy_uj of zone @root/@rel in place (see fixture_rewrite). */
int fixture_zone_set(const char *root, const char *rel, uint64_t energy_uj);

/** Put arbitrary text (garbage, nothing) into the energy_uj of zone @root/@rel, in place. */
int fixture_zone_set_raw(const char *root, const char *rel, const char *text);

/**
 * Write @root/stat: @cpu_lines as given ("cpu  1 2 3 4 ...\ncpu0 ...\n"),
 * followed by the other lines a real /proc/stat has. Returns 0 or -errno.
 */
int fixture_proc_stat(const char *root, const char *cpu_lines);

/**
 * Write @root/stat from times in clock ticks: the aggregate "cpu" line and
 * @ncpu "cpuN" lines sharing them out. Returns 0 or -errno.
 */
int fixture_proc_stat_times(const char *root, unsigned ncpu, uint64_t user, uint64_t nice,
			    uint64_t system, uint64_t idle, uint64_t iowait, uint64_t irq,
			    uint64_t softirq, uint64_t steal);

/**
 * Write @root/@pid/stat in the real field layout: pid (comm) state ppid pgrp
 * session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime
 * cstime priority nice num_threads itrealvalue starttime vsize rss ... up to
 * exit_code. Returns 0 or -errno.
 */
int fixture_proc_pid(const char *root, pid_t pid, const char *comm, uint64_t utime,
		     uint64_t stime, uint64_t starttime);

/** Write @root/@pid/cgroup with @text ("0::/system.slice/x.service\n"). */
int fixture_proc_cgroup(const char *root, pid_t pid, const char *text);

/** Remove @root/@pid, as when the process exits. Returns 0 or -errno. */
int fixture_proc_exit(const char *root, pid_t pid);

/*
 * What a call prints on a descriptor (1 or 2), diverted to a file in a
 * fixture directory between fixture_capture_start() and _end().
 */
struct fixture_capture {
	int fd;        /* the descriptor diverted */
	int saved;     /* a copy of what it was */
	int file;      /* the capture file, already unlinked */
};

/** Divert @fd into a new file in @dir. Returns 0 or -errno. */
int fixture_capture_start(struct fixture_capture *c, int fd, const char *dir);

/**
 * Restore the descriptor and return what was written to it meanwhile, in
 * a malloc'd NUL-terminated string the caller frees (NULL on failure).
 */
char *fixture_capture_end(struct fixture_capture *c);

#endif
