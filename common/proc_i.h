/* SPDX-License-Identifier: MIT */
/* The /proc readers' own parsers and readers, for proc.c and its tests. */
#ifndef VPOWERCAP_PROC_I_H
#define VPOWERCAP_PROC_I_H

#include "common/proc.h"

/** Parse the text of /proc/stat. Returns 0 or -EINVAL. */
int proc_parse_stat(const char *text, struct cpu_times *t);

/** The same, with each CPU's busy time, as proc_table_read_stat(). */
int proc_parse_stat_cpus(const char *text, struct cpu_times *t, uint64_t *cpu_busy, unsigned ncpus);

/**
 * Read /proc/<pid>/stat below @procfd. Returns 0, -ENOENT or -ESRCH when
 * the process is gone (callers stay quiet about those), or -EINVAL.
 */
int proc_read_pid_stat(int procfd, pid_t pid, struct pid_stat *st);

/**
 * Pick a process's cgroup from the text of /proc/PID/cgroup: the path in
 * the name=systemd hierarchy where there is one (hybrid and v1 hosts), else
 * the cpu or cpuacct controller's, else the cgroup v2 path ("0::/path", all
 * a pure v2 host has). Copies it to @path. Returns 0, -EINVAL when there
 * is none, or -ENAMETOOLONG.
 */
int proc_parse_cgroup(const char *text, char *path, size_t size);

#endif
