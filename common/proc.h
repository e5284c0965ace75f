/* SPDX-License-Identifier: MIT */
/*
 * Readers of /proc (or a fixture of it): the machine's busy CPU time from
 * /proc/stat, and each process's CPU time and comm from /proc/<pid>/stat.
 * All CPU times are in clock ticks (USER_HZ), the unit /proc uses.
 */
#ifndef VPOWERCAP_PROC_H
#define VPOWERCAP_PROC_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/container.h"

#define COMM_MAX 64

struct cpu_times {
	uint64_t busy;   /* user+nice+system+irq+softirq+steal (guest is in user) */
	uint64_t total;  /* busy + idle + iowait */
	unsigned ncpu;   /* cpuN lines */
};

/**
 * Read the small file @path below directory @dirfd (AT_FDCWD: the current
 * one) into @buf, at most @size - 1 bytes, NUL-terminated. Returns its
 * length or -errno.
 */
ssize_t proc_read_file(int dirfd, const char *path, char *buf, size_t size);

/** Open the directory @path below @dirfd for readdir(); NULL with errno set. */
DIR *proc_opendir(int dirfd, const char *path);

/** Clock ticks per second (USER_HZ), the unit of every CPU time here. */
long proc_clock_ticks(void);

/**
 * Whether the CPUs are AMD's (or Hygon's, the same design), from the first
 * vendor_id of @procfd's cpuinfo: their RAPL 'core' zone is one core's
 * counter, not the cores'.
 */
bool proc_cpu_is_amd(int procfd);

/* Busy time of a CPU with no line in /proc/stat (offline). */
#define PROC_CPU_ABSENT UINT64_MAX

struct pid_stat {
	pid_t pid;
	char comm[COMM_MAX];
	uint64_t cpu;        /* utime + stime */
	uint64_t starttime;  /* tells a reused pid from the old process */
	int processor;       /* the CPU it last ran on; -1 when the line stops short */
};

/**
 * Parse the text of /proc/<pid>/stat. comm is taken between the first '('
 * and the last ')', so spaces and parentheses inside it are kept.
 * Returns 0 or -EINVAL.
 */
int proc_parse_pid_stat(const char *text, struct pid_stat *st);

/**
 * Read /proc/<pid>/task/<tid>/stat below @procfd: one thread's CPU time
 * and the CPU it last ran on. Returns 0, -ENOENT or -ESRCH when the thread
 * is gone, or -EINVAL.
 */
int proc_read_thread_stat(int procfd, pid_t pid, pid_t tid, struct pid_stat *st);

/**
 * Parse the "Uid:" line of /proc/<pid>/status: its real and effective
 * uids. Unlike the owner of /proc/<pid>, which a process can make root's
 * (PR_SET_DUMPABLE), these are who the process runs as. Returns 0 or
 * -EINVAL.
 */
int proc_parse_status_uid(const char *text, uid_t *real, uid_t *effective);

/* A process's cgroup, as last read: it passes from scan to scan with the process. */
struct process_cgroup {
	char *path;          /* NULL until proc_process_cgroup() reads it */
	struct container_labels *labels;  /* with the path, when the table wants labels */
	unsigned long scan;  /* the scan that last read the cgroup file */
};

struct process {
	struct pid_stat stat;
	uint64_t delta;      /* CPU ticks over the last interval */
	struct process_cgroup cg;
};

/* A process's cgroup is read again every this many scans (staggered by pid). */
#define PROC_CGROUP_REFRESH 32


/*
 * What a scan keeps of each process of the scan before: enough to tell its
 * CPU time since, and its cgroup, which passes on to the new scan's entry.
 */
struct process_base {
	pid_t pid;
	uint64_t cpu;
	uint64_t starttime;
	struct process_cgroup cg;
};

/*
 * The processes seen at the last scan, sorted by pid, and the base that
 * scan was measured against: a scan finds every process's previous CPU
 * time by merging with the base, which holds only what that needs (a third
 * of a process's entry, whose comm alone is 64 bytes). Both arrays are kept
 * between scans: a steady machine costs no allocation per scan.
 */
struct proc_table {
	int procfd;
	int statfd;          /* stat below procfd, opened at the first proc_table_read_stat() */
	DIR *listing;        /* procfd's listing, opened at the first scan, rewound at each */
	struct process *cur;
	struct process_base *base;
	size_t ncur, nbase;
	size_t alloc_cur, alloc_base;
	unsigned long scans;
	bool want_labels;    /* parse each process's container labels with its cgroup */
};

/** Open @proc_root for scanning. Returns 0 or -errno. */
int proc_table_init(struct proc_table *t, const char *proc_root);

/**
 * Read /proc/stat below @t's proc root into @cpu, and each CPU's busy
 * time, by its number N of the "cpuN" line, into @cpu_busy[0..@ncpus):
 * PROC_CPU_ABSENT for a CPU with no line, lines beyond @ncpus ignored
 * (@ncpus 0: none). Through a descriptor kept open from one call to the
 * next and read from its start (the kernel writes the file anew for each
 * read from offset 0). Returns 0 or -errno (-EINVAL: no cpu line).
 */
int proc_table_read_stat(struct proc_table *t, struct cpu_times *cpu, uint64_t *cpu_busy, unsigned ncpus);

/**
 * List the processes now running and their CPU time since the previous
 * scan. A process first seen now, or whose pid was reused, has delta 0.
 * Returns 0 or -errno when the proc root itself cannot be read.
 */
int proc_table_scan(struct proc_table *t);

/**
 * The cgroup of @p, a process of @t's latest scan ("/system.slice/
 * nginx.service", "/docker/<id>"). Read lazily from /proc/PID/cgroup, then
 * kept with the process across scans and re-read every PROC_CGROUP_REFRESH
 * scans, so a steady machine costs few reads. The string belongs to @t.
 * Returns NULL when it cannot be read (the process exited).
 */
const char *proc_process_cgroup(struct proc_table *t, struct process *p);

/**
 * The container labels of @p (common/container.h), read with its cgroup
 * (the same file, cached the same way) when @t->want_labels is set; NULL
 * when they cannot be read or are not wanted. They belong to @t.
 */
const struct container_labels *proc_process_labels(struct proc_table *t, struct process *p);

/** Free the arrays and close the root; the table may be initialised again. */
void proc_table_release(struct proc_table *t);

#endif
