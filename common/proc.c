// SPDX-License-Identifier: MIT
/* /proc/stat and /proc/<pid>/stat readers, and the process table. */
#include "common/proc_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/decimal.h"
#include "common/nocancel.h"

ssize_t proc_read_file(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

DIR *proc_opendir(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return d;
}

bool proc_cpu_is_amd(int procfd)
{
	char buf[4096];
	const char *v;

	if (proc_read_file(procfd, "cpuinfo", buf, sizeof(buf)) < 0 || !(v = strstr(buf, "vendor_id")))
		return false;
	v += strcspn(v, ":\n");
	if (*v != ':')
		return false;
	v += 1 + strspn(v + 1, " \t");
	return !strncmp(v, "AuthenticAMD", 12) || !strncmp(v, "HygonGenuine", 12);
}

long proc_clock_ticks(void)
{
	static long hz;

	if (!hz) {
		hz = sysconf(_SC_CLK_TCK);
		if (hz <= 0)
			hz = 100;
	}
	return hz;
}

/* A cpu line's busy time (user+nice+system+irq+softirq+steal) and idle time; -EINVAL. */
static int parse_cpu_line(const char *fields, uint64_t *busy, uint64_t *idle)
{
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	uint64_t v[8] = { 0 };
	const char *p = fields;
	int n = 0;

	/* by hand, as the stat lines below: sscanf's format handling cost more than the read */
	for (; n < 8; n++) {
		uint64_t x = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break;
		while (*p >= '0' && *p <= '9')
			x = x * 10 + (uint64_t)(*p++ - '0');
		v[n] = x;
	}
	if (n < 4)
		return -EINVAL;
	*busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	*idle = v[3] + v[4];
	return 0;
}

int proc_parse_stat_cpus(const char *text, struct cpu_times *t, uint64_t *cpu_busy, unsigned ncpus)
{
	const char *line = text;
	bool found = false;

	memset(t, 0, sizeof(*t));
	for (unsigned c = 0; c < ncpus; c++)
		cpu_busy[c] = PROC_CPU_ABSENT;
	while (line && *line) {
		uint64_t busy, idle;

		if (!strncmp(line, "cpu ", 4)) {
			if (parse_cpu_line(line + 4, &busy, &idle) < 0)
				return -EINVAL;
			t->busy = busy;
			t->total = busy + idle;
			found = true;
		} else if (!strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9') {
			char *end;
			unsigned long cpu = strtoul(line + 3, &end, 10);

			t->ncpu++;
			if (cpu < ncpus && parse_cpu_line(end, &busy, &idle) == 0)
				cpu_busy[cpu] = busy;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!found)
		return -EINVAL;
	if (t->ncpu == 0)
		t->ncpu = 1;
	return 0;
}

int proc_parse_stat(const char *text, struct cpu_times *t)
{
	return proc_parse_stat_cpus(text, t, NULL, 0);
}

/*
 * The next whitespace-separated field of a stat line at *@p, an integer
 * (optionally signed), into *@v (its magnitude; *@neg for the sign).
 * False when there is none, or it is not a number.
 */
static bool stat_field(const char **p, unsigned long long *v, bool *neg)
{
	const char *q = *p;
	unsigned long long x = 0;

	while (*q == ' ' || (*q >= '\t' && *q <= '\r'))
		q++;
	*neg = *q == '-';
	if (*q == '-' || *q == '+')
		q++;
	if (*q < '0' || *q > '9')
		return false;
	while (*q >= '0' && *q <= '9')
		x = x * 10 + (unsigned long long)(*q++ - '0');
	if (*q && *q != ' ' && (*q < '\t' || *q > '\r'))
		return false;
	*v = x;
	*p = q;
	return true;
}

/*
 * Parsed by hand, not with sscanf: the daemon reads a stat file per VM
 * each tick, and sscanf's format handling cost as much as the read.
 */
int proc_parse_pid_stat(const char *text, struct pid_stat *st)
{
	const char *open = strchr(text, '(');
	const char *close = strrchr(text, ')');
	unsigned long long v, utime = 0, stime = 0, start = 0;
	const char *p, *end;
	int32_t pid;
	size_t len;
	bool neg;

	if (!open || !close || close < open)
		return -EINVAL;
	pid = decimal_pid(text, &end);
	if (!pid || (*end != ' ' && (*end < '\t' || *end > '\r')))
		return -EINVAL;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(st->comm))
		len = sizeof(st->comm) - 1;
	/* After comm: state(3), one character. */
	p = close + 1;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (!*p)
		return -EINVAL;
	p++;
	/*
	 * Then ppid(4) pgrp session tty_nr tpgid flags minflt cminflt majflt
	 * cmajflt utime(14) stime(15) cutime cstime priority nice num_threads
	 * itrealvalue starttime(22): all needed.
	 */
	for (int field = 4; field <= 22; field++) {
		if (!stat_field(&p, &v, &neg))
			return -EINVAL;
		if (field == 14)
			utime = neg ? -v : v;
		else if (field == 15)
			stime = neg ? -v : v;
		else if (field == 22)
			start = neg ? -v : v;
	}
	/*
	 * Then vsize(23) rss rsslim startcode endcode startstack kstkesp
	 * kstkeip signal blocked sigignore sigcatch wchan nswap cnswap
	 * exit_signal(38) processor(39), which older kernels or a short
	 * line may lack.
	 */
	st->processor = -1;
	for (int field = 23; field <= 39; field++) {
		if (!stat_field(&p, &v, &neg))
			break;
		if (field == 39 && !neg && v <= INT_MAX)
			st->processor = (int)v;
	}
	st->pid = (pid_t)pid;
	memcpy(st->comm, open + 1, len);
	st->comm[len] = '\0';
	st->cpu = utime + stime;
	st->starttime = start;
	return 0;
}

int proc_parse_status_uid(const char *text, uid_t *real, uid_t *effective)
{
	const char *line = text;
	unsigned long r, e;
	char *end;

	while (strncmp(line, "Uid:", 4)) {
		line = strchr(line, '\n');
		if (!line)
			return -EINVAL;
		line++;
	}
	line += 4;
	errno = 0;
	r = strtoul(line, &end, 10);
	if (end == line || (*end != ' ' && *end != '\t') || errno)
		return -EINVAL;
	line = end;
	e = strtoul(line, &end, 10);
	if (end == line || errno || r > (uid_t)-2 || e > (uid_t)-2)
		return -EINVAL;
	*real = (uid_t)r;
	*effective = (uid_t)e;
	return 0;
}

/*
 * Read and parse the stat file at @path below @procfd. One read: the
 * kernel makes the whole line at once (it is far shorter than the
 * buffer), so reading on to the end of the file would cost a second call
 * per process that returns nothing.
 */
static int read_stat_file(int procfd, const char *path, struct pid_stat *st)
{
	char buf[1024];
	int fd = openat_nocancel(procfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read_nocancel(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		n = -errno;
		close_nocancel(fd);
		return (int)n;
	}
	close_nocancel(fd);
	if (n == 0)
		return -ESRCH;  /* the process exited while we read */
	buf[n] = '\0';
	return proc_parse_pid_stat(buf, st);
}

int proc_read_pid_stat(int procfd, pid_t pid, struct pid_stat *st)
{
	char path[DECIMAL_U64_MAX + sizeof("/stat")];

	/* a process's path each step: by hand, not with snprintf */
	memcpy(path + decimal_u64(path, (uint64_t)pid), "/stat", sizeof("/stat"));
	return read_stat_file(procfd, path, st);
}

int proc_read_thread_stat(int procfd, pid_t pid, pid_t tid, struct pid_stat *st)
{
	char path[48];

	snprintf(path, sizeof(path), "%d/task/%d/stat", (int)pid, (int)tid);
	return read_stat_file(procfd, path, st);
}

int proc_table_init(struct proc_table *t, const char *proc_root)
{
	memset(t, 0, sizeof(*t));
	t->statfd = -1;
	t->procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return t->procfd < 0 ? -errno : 0;
}

int proc_table_read_stat(struct proc_table *t, struct cpu_times *cpu, uint64_t *cpu_busy, unsigned ncpus)
{
	char buf[65536];
	size_t len = 0;

	if (t->statfd < 0 && (t->statfd = openat(t->procfd, "stat", O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	/* the kernel makes the whole file at once: a short read is all of it */
	while (len < sizeof(buf) - 1) {
		size_t want = sizeof(buf) - 1 - len;
		ssize_t n = pread_nocancel(t->statfd, buf + len, want, (off_t)len);

		if (n < 0)
			return -errno;
		len += (size_t)n;
		if ((size_t)n < want)
			break;
	}
	buf[len] = '\0';
	return proc_parse_stat_cpus(buf, cpu, cpu_busy, ncpus);
}

static void free_cgroup(struct process_cgroup *cg)
{
	free(cg->path);
	free(cg->labels);
	*cg = (struct process_cgroup){ 0 };
}

static void free_cgroups(struct process *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_cgroup(&a[i].cg);
}

static void free_base_cgroups(struct process_base *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_cgroup(&a[i].cg);
}

void proc_table_release(struct proc_table *t)
{
	if (t->procfd >= 0)
		close(t->procfd);
	if (t->statfd >= 0)
		close(t->statfd);
	if (t->listing)
		closedir(t->listing);
	free_cgroups(t->cur, t->ncur);
	free_base_cgroups(t->base, t->nbase);
	free(t->cur);
	free(t->base);
	memset(t, 0, sizeof(*t));
	t->procfd = -1;
	t->statfd = -1;
}

static int process_cmp(const void *a, const void *b)
{
	pid_t pa = ((const struct process *)a)->stat.pid, pb = ((const struct process *)b)->stat.pid;

	return (pa > pb) - (pa < pb);
}

static pid_t parse_pid(const char *name)
{
	const char *end;
	int32_t v = decimal_pid(name, &end);

	return *end == '\0' ? (pid_t)v : 0;
}

/*
 * The last scan becomes the base: what the merge needs of each process, its
 * cgroup with it. Without room for it, the cgroups go and this scan
 * measures from nothing, as the first one does.
 */
static void take_base(struct proc_table *t)
{
	free_base_cgroups(t->base, t->nbase);
	t->nbase = 0;
	if (ALLOC_GROW(t->base, t->ncur, t->alloc_base) < 0) {
		free_cgroups(t->cur, t->ncur);
		t->ncur = 0;
		return;
	}
	for (size_t i = 0; i < t->ncur; i++) {
		const struct process *p = &t->cur[i];

		t->base[i] = (struct process_base){
			.pid = p->stat.pid,
			.cpu = p->stat.cpu,
			.starttime = p->stat.starttime,
			.cg = p->cg,
		};
	}
	t->nbase = t->ncur;
	t->ncur = 0;
}

int proc_table_scan(struct proc_table *t)
{
	size_t j = 0;
	bool sorted = true;
	struct dirent *e;

	t->scans++;
	take_base(t);

	if (t->listing)
		rewinddir(t->listing);
	else if (!(t->listing = proc_opendir(t->procfd, ".")))
		return -errno;
	while ((e = readdir(t->listing))) {
		pid_t pid = parse_pid(e->d_name);
		struct process *p;

		if (!pid)
			continue;
		if (ALLOC_GROW(t->cur, t->ncur + 1, t->alloc_cur) < 0)
			break;  /* keep what fits; the next scan tries again */
		p = &t->cur[t->ncur];
		if (proc_read_pid_stat(t->procfd, pid, &p->stat) < 0)
			continue;  /* exited, or not a process we can read */
		p->delta = 0;
		p->cg = (struct process_cgroup){ 0 };
		if (t->ncur && t->cur[t->ncur - 1].stat.pid > pid)
			sorted = false;
		t->ncur++;
	}
	if (!sorted)
		qsort(t->cur, t->ncur, sizeof(*t->cur), process_cmp);

	for (size_t i = 0; i < t->ncur; i++) {
		struct process *p = &t->cur[i];
		struct process_base *q;

		while (j < t->nbase && t->base[j].pid < p->stat.pid)
			j++;
		if (j == t->nbase)
			break;
		q = &t->base[j];
		if (q->pid != p->stat.pid || q->starttime != p->stat.starttime)
			continue;
		if (p->stat.cpu >= q->cpu)
			p->delta = p->stat.cpu - q->cpu;
		p->cg = q->cg;
		q->cg = (struct process_cgroup){ 0 };
	}
	/* what was not handed on belonged to processes that have exited */
	free_base_cgroups(t->base, t->nbase);
	return 0;
}

int proc_parse_cgroup(const char *text, char *path, size_t size)
{
	const char *best = NULL;
	size_t best_len = 0;
	int best_rank = 0;

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		const char *c1 = strchr(line, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t len = end ? (size_t)(end - line) : strlen(line);
		int rank = 0;

		if (c2 && c2 < line + len && c2[1] == '/') {
			const char *ctl = c1 + 1;
			size_t ctl_len = (size_t)(c2 - ctl);

			if (ctl_len == 0)
				rank = 1;  /* "0::/path", cgroup v2 */
			else if (ctl_len == 12 && !strncmp(ctl, "name=systemd", 12))
				rank = 3;
			else
				/* "cpu,cpuacct", "cpuacct,cpu", "cpu", "cpuacct" */
				for (const char *tok = ctl; tok < c2;) {
					const char *comma = memchr(tok, ',', (size_t)(c2 - tok));
					size_t tlen = (size_t)((comma ? comma : c2) - tok);

					if ((tlen == 3 && !strncmp(tok, "cpu", 3)) ||
					    (tlen == 7 && !strncmp(tok, "cpuacct", 7)))
						rank = 2;
					tok += tlen + 1;
				}
		}
		if (rank > best_rank) {
			best_rank = rank;
			best = c2 + 1;
			best_len = (size_t)(line + len - best);
		}
		line = end ? end + 1 : NULL;
	}
	if (!best)
		return -EINVAL;
	if (best_len >= size)
		return -ENAMETOOLONG;
	memcpy(path, best, best_len);
	path[best_len] = '\0';
	return 0;
}

const char *proc_process_cgroup(struct proc_table *t, struct process *p)
{
	char file[40], text[4096], path[1024];
	ssize_t n;

	/* read at most once a scan, whoever asks (labels, cgroup sums) */
	if (p->cg.path && (p->cg.scan == t->scans ||
			  (t->scans + (unsigned long)p->stat.pid) % PROC_CGROUP_REFRESH != 0))
		return p->cg.path;
	p->cg.scan = t->scans;
	snprintf(file, sizeof(file), "%d/cgroup", (int)p->stat.pid);
	n = proc_read_file(t->procfd, file, text, sizeof(text));
	if (n <= 0 || proc_parse_cgroup(text, path, sizeof(path)) < 0)
		return p->cg.path;  /* gone, or unreadable: keep what was known */
	if (t->want_labels) {
		struct container_labels l;

		if (container_parse_cgroup(text, &l) >= 0) {
			if (!p->cg.labels)
				p->cg.labels = malloc(sizeof(*p->cg.labels));
			if (p->cg.labels)
				*p->cg.labels = l;
		}
	}
	if (!p->cg.path || strcmp(p->cg.path, path)) {
		char *copy = strdup(path);

		if (!copy)
			return p->cg.path;
		free(p->cg.path);
		p->cg.path = copy;
	}
	return p->cg.path;
}

const struct container_labels *proc_process_labels(struct proc_table *t, struct process *p)
{
	if (!t->want_labels)
		return NULL;
	proc_process_cgroup(t, p);
	return p->cg.labels;
}
