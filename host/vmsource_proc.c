// SPDX-License-Identifier: MIT
/*
 * The proc VM source: qemu processes found in /proc, for hosts without
 * libvirt. Names come from libvirt's "-name guest=NAME,...", a plain
 * "-name NAME" or Proxmox's "kvm -id N -name NAME"; the UUID from "-uuid"
 * or "-smbios type=1,uuid=..."; CPU time from /proc/PID/stat, which sums
 * the process's threads (live and exited), and on hosts of several
 * packages where it was spent, from its threads (host/placement.h).
 *
 * Each tick costs one directory scan plus one pread per qemu process: a
 * pid's command line is read once, when the pid first appears, and a qemu
 * process's stat file stays open. A pid that leaves the scan is forgotten,
 * so a reused pid is read afresh (reuse within one tick would need the pid
 * space to wrap in that time).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/log.h"
#include "common/proc.h"
#include "host/placement.h"
#include "host/vmsource_i.h"
#include "host/vmsource_proc_i.h"

/* A pid seen at the last scan. */
struct known_pid {
	pid_t pid;
	int stat_fd;           /* -1: not a qemu process */
	unsigned long long starttime;
	struct vm_info vm;     /* name, uuid, vcpus, for qemu processes */
};

struct proc_source {
	int procfd;
	struct known_pid *known, *next;  /* sorted by pid; next is scratch */
	size_t nknown, alloc_known, alloc_next;
	bool fd_limit_raised;
	struct placement placement;
};

/* Whether argv[0] names a qemu system emulator or Proxmox's kvm wrapper. */
static bool is_qemu(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	return !strncmp(base, "qemu-system-", 12) || !strcmp(base, "qemu-kvm") ||
	       !strcmp(base, "kvm");
}

/*
 * Copy the value of qemu option text @opt up to its first unescaped comma
 * (",," is an escaped comma) into @out. @key, when given, selects the
 * "key=value" part of the option instead of its leading value.
 */
static bool option_value(const char *opt, const char *key, char *out, size_t size)
{
	const char *p = opt;
	size_t len = 0, klen = key ? strlen(key) : 0;

	if (key) {
		for (;;) {
			if (!strncmp(p, key, klen) && p[klen] == '=') {
				p += klen + 1;
				break;
			}
			/* skip to the next unescaped comma */
			while (*p && !(*p == ',' && p[1] != ',')) {
				p += (*p == ',' && p[1] == ',') ? 2 : 1;
			}
			if (!*p)
				return false;
			p++;
		}
	} else if (!strncmp(p, "guest=", 6)) {
		p += 6;
	}
	while (*p && len + 1 < size) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		}
		out[len++] = *p++;
	}
	out[len] = '\0';
	return len > 0;
}

static void lowercase(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

bool proc_source_parse_cmdline(const char *buf, size_t len, pid_t pid, unsigned long long start,
			       struct vm_info *vm)
{
	const char *args[512];
	size_t nargs = 0;
	char id[32] = "";

	for (size_t off = 0; off < len && nargs < 512; off += strlen(buf + off) + 1)
		args[nargs++] = buf + off;
	if (!nargs || !is_qemu(args[0]))
		return false;
	vm->vcpus = 1;
	for (size_t i = 1; i + 1 < nargs; i++) {
		const char *opt = args[i], *val = args[i + 1];
		char tmp[64];

		if (opt[0] == '-' && opt[1] == '-')
			opt++;  /* qemu takes --name as -name */
		if (!strcmp(opt, "-name"))
			option_value(val, NULL, vm->name, sizeof(vm->name));
		else if (!strcmp(opt, "-uuid"))
			snprintf(vm->uuid, sizeof(vm->uuid), "%s", val);
		else if (!strcmp(opt, "-smbios")) {
			if (!vm->uuid[0])
				option_value(val, "uuid", vm->uuid, sizeof(vm->uuid));
		} else if (!strcmp(opt, "-id"))
			snprintf(id, sizeof(id), "%s", val);
		else if (!strcmp(opt, "-smp")) {
			unsigned long n = strtoul(val, NULL, 10);

			if (!n && option_value(val, "cpus", tmp, sizeof(tmp)))
				n = strtoul(tmp, NULL, 10);
			if (n)
				vm->vcpus = (unsigned)n;
		} else {
			continue;
		}
		i++;
	}
	lowercase(vm->uuid);
	/* Never an empty name, never two VMs on one key. */
	if (!vm->name[0]) {
		if (id[0])
			snprintf(vm->name, sizeof(vm->name), "qemu-id-%s", id);
		else if (vm->uuid[0])
			snprintf(vm->name, sizeof(vm->name), "qemu-%s", vm->uuid);
		else
			snprintf(vm->name, sizeof(vm->name), "qemu-pid-%d", (int)pid);
	}
	if (!vm->uuid[0])
		snprintf(vm->uuid, sizeof(vm->uuid), "pid-%d-%llu", (int)pid, start);
	return true;
}

static int proc_open(struct vm_source *src)
{
	struct proc_source *ps = calloc(1, sizeof(*ps));
	const char *root = src->cfg.proc_root ? src->cfg.proc_root : "/proc";

	if (!ps)
		return -ENOMEM;
	ps->procfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ps->procfd < 0) {
		int err = -errno;

		free(ps);
		return err;
	}
	placement_init(&ps->placement, ps->procfd, src->cfg.topology);
	src->priv = ps;
	return 0;
}

static void known_release(struct known_pid *k)
{
	if (k->stat_fd >= 0)
		close(k->stat_fd);
	k->stat_fd = -1;
}

/* A process's stat file holds more than CPU time; keep the parse in one place. */
static int read_stat_fd(int fd, struct pid_stat *st)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return n == 0 ? -ESRCH : -errno;
	buf[n] = '\0';
	return proc_parse_pid_stat(buf, st);
}

/* One qemu process per open descriptor: make room for a thousand VMs. */
static void raise_fd_limit(struct proc_source *ps)
{
	struct rlimit rl;

	if (ps->fd_limit_raised || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	ps->fd_limit_raised = true;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* First sight of @pid: is it qemu, and which VM? */
static void learn_pid(struct proc_source *ps, struct known_pid *k)
{
	char path[64], buf[8192];
	struct pid_stat st;
	ssize_t n;
	int fd;

	k->stat_fd = -1;
	memset(&k->vm, 0, sizeof(k->vm));
	snprintf(path, sizeof(path), "%d/cmdline", (int)k->pid);
	fd = openat(ps->procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;  /* a kernel thread, or gone */
	buf[n] = '\0';
	snprintf(path, sizeof(path), "%d/stat", (int)k->pid);
	fd = openat(ps->procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (read_stat_fd(fd, &st) < 0 ||
	    !proc_source_parse_cmdline(buf, (size_t)n, k->pid, (unsigned long long)st.starttime, &k->vm)) {
		close(fd);
		return;
	}
	k->starttime = st.starttime;
	k->stat_fd = fd;
	raise_fd_limit(ps);
}

static struct known_pid *find_known(struct proc_source *ps, pid_t pid)
{
	size_t lo = 0, hi = ps->nknown;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->known[mid].pid == pid)
			return &ps->known[mid];
		if (ps->known[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int compare_known(const void *a, const void *b)
{
	pid_t pa = ((const struct known_pid *)a)->pid, pb = ((const struct known_pid *)b)->pid;

	return (pa > pb) - (pa < pb);
}

static int proc_list(struct vm_source *src, struct vm_list *out)
{
	struct proc_source *ps = src->priv;
	struct known_pid *swap;
	size_t nnext = 0, swap_alloc;
	bool sorted = true;
	struct dirent *e;
	int dfd;
	DIR *d;

	out->n = 0;
	dfd = openat(ps->procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		int err = -errno;

		if (dfd >= 0)
			close(dfd);
		return err;
	}
	while ((e = readdir(d))) {
		struct known_pid *k, *old;
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (ALLOC_GROW(ps->next, nnext + 1, ps->alloc_next) < 0)
			break;
		k = &ps->next[nnext];
		old = find_known(ps, (pid_t)pid);
		if (old) {
			*k = *old;
			old->stat_fd = -1;  /* moved */
		} else {
			k->pid = (pid_t)pid;
			learn_pid(ps, k);
		}
		if (nnext && ps->next[nnext - 1].pid > k->pid)
			sorted = false;
		nnext++;
	}
	closedir(d);
	/* Pids gone from the scan are forgotten. */
	for (size_t i = 0; i < ps->nknown; i++)
		known_release(&ps->known[i]);
	if (!sorted)
		qsort(ps->next, nnext, sizeof(*ps->next), compare_known);
	swap = ps->known;
	swap_alloc = ps->alloc_known;
	ps->known = ps->next;
	ps->alloc_known = ps->alloc_next;
	ps->nknown = nnext;
	ps->next = swap;
	ps->alloc_next = swap_alloc;

	for (size_t i = 0; i < ps->nknown; i++) {
		struct known_pid *k = &ps->known[i];
		struct pid_stat st;
		struct vm_info *vm;

		if (k->stat_fd < 0)
			continue;
		if (read_stat_fd(k->stat_fd, &st) < 0 || st.starttime != k->starttime) {
			known_release(k);  /* exited while we looked */
			continue;
		}
		vm = vm_list_add(out);
		if (!vm)
			return -ENOMEM;
		*vm = k->vm;
		vm->running = true;
		vm->cpu_ns = st.cpu * (1000000000ULL / (uint64_t)proc_clock_ticks());
		/* unreadable threads leave its placement unknown for this tick */
		placement_read(&ps->placement, k->pid, k->starttime, vm);
	}
	placement_sweep(&ps->placement);
	return 0;
}

static void proc_close(struct vm_source *src)
{
	struct proc_source *ps = src->priv;

	if (!ps)
		return;
	for (size_t i = 0; i < ps->nknown; i++)
		known_release(&ps->known[i]);
	free(ps->known);
	free(ps->next);
	placement_release(&ps->placement);
	close(ps->procfd);
	free(ps);
}

const struct vm_source_ops proc_vm_source_ops = {
	.name = "proc",
	.open = proc_open,
	.list = proc_list,
	.close = proc_close,
};
