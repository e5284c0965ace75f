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
 * process's stat file stays open; a scan that lists the same pids as the
 * last one, in its order, is taken as it is. A pid that leaves the scan is forgotten,
 * so a reused pid is read afresh (reuse within one tick would need the pid
 * space to wrap in that time).
 *
 * Only qemu processes of the configured qemu users count, and a UUID or a
 * name belongs to the oldest live process that claims it: anyone can start
 * a process called qemu-system-x86_64 with another VM's -uuid.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/decimal.h"
#include "common/log.h"
#include "common/nocancel.h"
#include "common/proc.h"
#include "common/qemu_cmdline.h"
#include "common/users.h"
#include "host/placement.h"
#include "host/vmlabels.h"
#include "host/vmsource_i.h"

_Static_assert(QEMU_UUID_MAX == VM_UUID_MAX && QEMU_NAME_MAX == VM_NAME_MAX,
	       "a qemu command line's UUID and name fit a VM's");

/* What a qemu process's command line says, held once per process. */
struct proc_vm {
	char uuid[VM_UUID_MAX];
	char vmid[16];         /* Proxmox's "-id N", or "" */
	unsigned vcpus;
	uint64_t cpu_ns;       /* at the last scan */
	char name[];           /* as long as it is */
};

/*
 * A pid seen at the last scan. Every pid of /proc has one, moved from scan
 * to scan: small, with what only qemu processes need held apart.
 */
struct known_pid {
	pid_t pid;
	int stat_fd;           /* -1: not a qemu process */
	unsigned long long starttime;
	struct proc_vm *vm;    /* for qemu processes; else NULL */
	bool refusal_said;     /* a claim of a held UUID or name was logged */
	bool refused;          /* at the last check of claims: its UUID or name is held */
	size_t rank;           /* at the last check of claims: its place in the list */
};

struct proc_source {
	int procfd;
	DIR *listing;                    /* procfd's listing, opened once, rewound each scan */
	struct known_pid *known, *next;  /* sorted by pid; next is scratch */
	size_t nknown, alloc_known, alloc_next;
	pid_t *scan, *last_scan;         /* this scan's and the last one's pids, as listed */
	size_t nlast_scan, alloc_scan, alloc_last_scan;
	bool fd_limit_raised;
	struct placement placement;
	uid_t *qemu_uids;                /* whose qemu processes count */
	size_t nqemu_uids, alloc_qemu_uids;
	struct known_pid **live;         /* scratch: this scan's qemu processes */
	size_t alloc_live;
	struct known_pid **ordered;      /* scratch: the same, in the list's order */
	size_t alloc_ordered;
	/*
	 * Claims are checked (two sorts) only when the qemu processes change:
	 * otherwise the last check's refusals and order hold.
	 */
	bool claims_checked;
};

/*
 * Resolve @list ("libvirt-qemu,root", names or numeric uids) into the uids
 * whose qemu processes count. A name unknown here is skipped (a host
 * without libvirt has no libvirt-qemu); none known at all is an error.
 */
static int parse_qemu_users(struct proc_source *ps, const char *list)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		char name[64], *end;
		unsigned long uid;

		if (len == 0 || len >= sizeof(name)) {
			if (len)
				log_warning("proc source: qemu user '%.*s' is too long, skipped", (int)len, p);
			p += len + (p[len] == ',');
			continue;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len + (p[len] == ',');
		uid = strtoul(name, &end, 10);
		if (*end || !isdigit((unsigned char)name[0])) {
			uid_t found;
			gid_t gid;

			if (users_find(name, &found, &gid) < 0) {
				log_info("proc source: qemu user '%s' does not exist here, skipped", name);
				continue;
			}
			uid = found;
		}
		if (ALLOC_GROW(ps->qemu_uids, ps->nqemu_uids + 1, ps->alloc_qemu_uids) < 0)
			return -ENOMEM;
		ps->qemu_uids[ps->nqemu_uids++] = (uid_t)uid;
	}
	if (!ps->nqemu_uids)
		return log_error(-EINVAL, "proc source: none of the qemu users '%s' exists (set qemu_users "
				 "to the users qemu runs as)", list);
	return 0;
}

static bool is_qemu_uid(const struct proc_source *ps, uid_t uid)
{
	for (size_t i = 0; i < ps->nqemu_uids; i++)
		if (ps->qemu_uids[i] == uid)
			return true;
	return false;
}

/*
 * The file @name of pid @pid into @buf, NUL-terminated; its length, or 0
 * when it cannot be read or is empty (a kernel thread's cmdline, a pid
 * gone).
 */
static size_t read_pid_file(const struct proc_source *ps, pid_t pid, const char *name, char *buf,
			    size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/%s", (int)pid, name);
	fd = openat(ps->procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

/*
 * Whether pid @k runs as a qemu user, from its status: read once, at first
 * sight, so a refusal is logged once per process.
 */
static bool owned_by_qemu_user(struct proc_source *ps, const struct known_pid *k, const struct qemu_cmdline *vm)
{
	char buf[4096];
	uid_t real, effective;

	if (!read_pid_file(ps, k->pid, "status", buf, sizeof(buf)))
		return false;
	if (proc_parse_status_uid(buf, &real, &effective) < 0)
		return false;
	if (is_qemu_uid(ps, real) && is_qemu_uid(ps, effective))
		return true;
	log_warning("proc source: ignoring qemu process %d claiming '%s' (%s): it runs as uid %u, "
		    "not one of the qemu users (qemu_users)", (int)k->pid, vm->name, vm->uuid,
		    (unsigned)(is_qemu_uid(ps, real) ? effective : real));
	return false;
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
	if (parse_qemu_users(ps, src->cfg.qemu_users ? src->cfg.qemu_users
						     : VM_SOURCE_QEMU_USERS_DEFAULT) < 0) {
		close(ps->procfd);
		free(ps->qemu_uids);
		free(ps);
		return -EINVAL;
	}
	placement_init(&ps->placement, ps->procfd, src->cfg.topology);
	src->priv = ps;
	return 0;
}

/* Forget @k as a qemu process; true when it was one. */
static bool known_release(struct known_pid *k)
{
	bool was = k->stat_fd >= 0;

	if (was)
		close(k->stat_fd);
	k->stat_fd = -1;
	free(k->vm);
	k->vm = NULL;
	return was;
}

/* A process's stat file holds more than CPU time; keep the parse in one place. */
static int read_stat_fd(int fd, struct pid_stat *st)
{
	char buf[1024];
	ssize_t n = pread_nocancel(fd, buf, sizeof(buf) - 1, 0);

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

/* First sight of @pid: is it qemu, and which VM? True when it is. */
static bool learn_pid(struct proc_source *ps, struct known_pid *k)
{
	char path[64], buf[8192];
	struct qemu_cmdline vm = { 0 };
	struct pid_stat st;
	size_t name_len;
	size_t n;
	int fd;

	k->stat_fd = -1;
	k->vm = NULL;
	k->refusal_said = false;
	k->refused = false;
	n = read_pid_file(ps, k->pid, "cmdline", buf, sizeof(buf));
	if (!n)
		return false;  /* a kernel thread, or gone */
	snprintf(path, sizeof(path), "%d/stat", (int)k->pid);
	fd = openat(ps->procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read_stat_fd(fd, &st) < 0 ||
	    !qemu_cmdline_parse(buf, n, k->pid, (unsigned long long)st.starttime, &vm) ||
	    !owned_by_qemu_user(ps, k, &vm) ||
	    !(k->vm = malloc(sizeof(*k->vm) + (name_len = strlen(vm.name)) + 1))) {
		close(fd);
		return false;
	}
	memcpy(k->vm->uuid, vm.uuid, sizeof(vm.uuid));
	memcpy(k->vm->name, vm.name, name_len + 1);
	k->vm->vcpus = vm.vcpus;
	k->vm->cpu_ns = 0;
	k->starttime = st.starttime;
	k->stat_fd = fd;
	if (!qemu_cmdline_id(buf, n, k->vm->vmid, sizeof(k->vm->vmid)))
		k->vm->vmid[0] = '\0';
	raise_fd_limit(ps);
	return true;
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

/* Claims in order of key, then age: the holder of a key comes first. */
static int compare_age(const struct known_pid *a, const struct known_pid *b)
{
	if (a->starttime != b->starttime)
		return a->starttime < b->starttime ? -1 : 1;
	return (a->pid > b->pid) - (a->pid < b->pid);
}

/* The key a claim is about: a field of struct proc_vm, by offset. */
static const char *claim_key(const struct known_pid *k, size_t field)
{
	return (const char *)k->vm + field;
}

static int compare_claim(const void *pa, const void *pb, void *field)
{
	const struct known_pid *a = *(struct known_pid *const *)pa, *b = *(struct known_pid *const *)pb;
	int c;

	if (!a || !b)
		return !a - !b;
	c = strcmp(claim_key(a, *(size_t *)field), claim_key(b, *(size_t *)field));
	return c ? c : compare_age(a, b);
}

/*
 * Drop (set to NULL) every live process whose UUID or name (@what, the
 * proc_vm field at offset @field) an older live process holds: a second process
 * never takes over another VM's counters or directory. Refused entries
 * sort last.
 */
static void refuse_claims(struct proc_source *ps, size_t nlive, size_t field, const char *what)
{
	struct known_pid **live = ps->live;

	if (nlive < 2)
		return;
	qsort_r(live, nlive, sizeof(*live), compare_claim, &field);
	for (size_t i = 1, holder = 0; i < nlive && live[i]; i++) {
		const char *key = claim_key(live[i], field);

		if (strcmp(key, claim_key(live[holder], field))) {
			holder = i;
			continue;
		}
		if (!live[i]->refusal_said) {
			live[i]->refusal_said = true;
			log_warning("proc source: ignoring qemu process %d: its %s '%s' is held by process %d",
				    (int)live[i]->pid, what, key, (int)live[holder]->pid);
		}
		live[i]->refused = true;
		live[i] = NULL;
	}
}

/* The labels a qemu command line gives: Proxmox's VM id. Once per process. */
static void put_labels(struct vm_label_book *book, const struct known_pid *k)
{
	struct vm_label_set set = { 0 };

	if (vm_label_book_keep(book, k->vm->uuid))
		return;
	if ((!k->vm->vmid[0] || vm_label_set_add(&set, "proxmox_vmid", k->vm->vmid) == 0) &&
	    vm_label_book_put(book, k->vm->uuid, &set) == 0) {
		vm_label_set_release(&set);
		return;
	}
	vm_label_set_release(&set);
	log_warning("proc source: out of memory: VM '%s' goes without its labels for now", k->vm->name);
}

/* The pids of /proc now, in its order, into ps->scan: how many, or -errno. */
static ssize_t scan_pids(struct proc_source *ps)
{
	struct dirent *e;
	size_t n = 0;

	if (ps->listing)
		rewinddir(ps->listing);
	else if (!(ps->listing = proc_opendir(ps->procfd, ".")))
		return -errno;
	while ((e = readdir(ps->listing))) {
		const char *end;
		int32_t pid = decimal_pid(e->d_name, &end);

		if (*end || !pid)
			continue;
		if (ALLOC_GROW(ps->scan, n + 1, ps->alloc_scan) < 0)
			break;
		ps->scan[n++] = (pid_t)pid;
	}
	return (ssize_t)n;
}

/*
 * Make the known pids those of the @n scanned: new ones learnt, gone ones
 * forgotten. True when a qemu process came or went.
 */
static bool take_scan(struct proc_source *ps, size_t n)
{
	struct known_pid *swap;
	size_t nnext = 0, swap_alloc;
	bool sorted = true, changed = false;
	pid_t *pids;

	for (size_t i = 0; i < n; i++) {
		struct known_pid *k, *old;

		if (ALLOC_GROW(ps->next, nnext + 1, ps->alloc_next) < 0)
			break;
		k = &ps->next[nnext];
		old = find_known(ps, ps->scan[i]);
		if (old) {
			*k = *old;
			old->stat_fd = -1;  /* moved */
			old->vm = NULL;
		} else {
			k->pid = ps->scan[i];
			changed |= learn_pid(ps, k);
		}
		if (nnext && ps->next[nnext - 1].pid > k->pid)
			sorted = false;
		nnext++;
	}
	/* Pids gone from the scan are forgotten. */
	for (size_t i = 0; i < ps->nknown; i++)
		changed |= known_release(&ps->known[i]);
	if (!sorted)
		qsort(ps->next, nnext, sizeof(*ps->next), compare_known);
	swap = ps->known;
	swap_alloc = ps->alloc_known;
	ps->known = ps->next;
	ps->alloc_known = ps->alloc_next;
	ps->nknown = nnext;
	ps->next = swap;
	ps->alloc_next = swap_alloc;
	/* the next scan is compared with this one */
	pids = ps->last_scan;
	ps->last_scan = ps->scan;
	ps->scan = pids;
	swap_alloc = ps->alloc_last_scan;
	ps->alloc_last_scan = ps->alloc_scan;
	ps->alloc_scan = swap_alloc;
	ps->nlast_scan = nnext == n ? n : 0;  /* one cut short is never taken as the same */
	return changed;
}

static int proc_list(struct vm_source *src, struct vm_list *out)
{
	struct proc_source *ps = src->priv;
	bool changed = !ps->claims_checked;
	ssize_t nscan;
	size_t nlive;

	vm_list_clear(out);
	nscan = scan_pids(ps);
	if (nscan < 0)
		return (int)nscan;
	/*
	 * The same pids as the last scan, in the same order (a host's usual
	 * tick): the known pids are these already, without a lookup or a sort.
	 */
	if ((size_t)nscan != ps->nlast_scan ||
	    (nscan && memcmp(ps->scan, ps->last_scan, (size_t)nscan * sizeof(*ps->scan))))
		changed |= take_scan(ps, (size_t)nscan);

	nlive = 0;
	for (size_t i = 0; i < ps->nknown; i++) {
		struct known_pid *k = &ps->known[i];
		struct pid_stat st;

		if (k->stat_fd < 0)
			continue;
		if (read_stat_fd(k->stat_fd, &st) < 0 || st.starttime != k->starttime) {
			known_release(k);  /* exited while we looked */
			changed = true;
			continue;
		}
		if (ALLOC_GROW(ps->live, nlive + 1, ps->alloc_live) < 0 ||
		    ALLOC_GROW(ps->ordered, nlive + 1, ps->alloc_ordered) < 0)
			return -ENOMEM;
		ps->live[nlive++] = k;
		k->vm->cpu_ns = st.cpu * (1000000000ULL / (uint64_t)proc_clock_ticks());
	}
	/*
	 * The list: the live processes whose claims hold, in order of name.
	 * The same processes as at the last check make the same list.
	 */
	if (changed) {
		for (size_t i = 0; i < nlive; i++)
			ps->live[i]->refused = false;
		refuse_claims(ps, nlive, offsetof(struct proc_vm, uuid), "UUID");
		refuse_claims(ps, nlive, offsetof(struct proc_vm, name), "name");
		for (size_t i = 0; i < nlive; i++)
			if (ps->live[i])
				ps->live[i]->rank = i;
		if (nlive)  /* with no qemu process, neither array was ever made */
			memcpy(ps->ordered, ps->live, nlive * sizeof(*ps->ordered));
		ps->claims_checked = true;
	} else {
		for (size_t i = 0; i < nlive; i++)
			ps->ordered[i] = NULL;
		for (size_t i = 0; i < nlive; i++)
			if (!ps->live[i]->refused)
				ps->ordered[ps->live[i]->rank] = ps->live[i];
	}
	for (size_t i = 0; i < nlive; i++) {
		const struct known_pid *k = ps->ordered[i];
		struct vm_info *vm;

		if (!k)
			continue;
		vm = vm_list_add(out);
		if (!vm || vm_list_set_name(out, vm, k->vm->name) < 0)
			return -ENOMEM;
		memcpy(vm->uuid, k->vm->uuid, sizeof(vm->uuid));
		vm->vcpus = k->vm->vcpus;
		vm->cpu_ns = k->vm->cpu_ns;
		vm->running = true;
		/* unreadable threads leave its placement unknown for this tick */
		placement_read(&ps->placement, k->pid, k->starttime, out, vm);
		if (src->cfg.labels)
			put_labels(src->cfg.labels, k);
	}
	placement_sweep(&ps->placement);
	if (src->cfg.labels)
		vm_label_book_sweep(src->cfg.labels);
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
	free(ps->scan);
	free(ps->last_scan);
	placement_release(&ps->placement);
	free(ps->live);
	free(ps->ordered);
	free(ps->qemu_uids);
	if (ps->listing)
		closedir(ps->listing);
	close(ps->procfd);
	free(ps);
}

const struct vm_source_ops proc_vm_source_ops = {
	.name = "proc",
	.open = proc_open,
	.list = proc_list,
	.close = proc_close,
	.waits_on_nobody = true,
};
