// SPDX-License-Identifier: MIT
/*
 * The proc VM source: qemu processes found in /proc, for hosts without
 * libvirt. Names come from libvirt's "-name guest=NAME,...", a plain
 * "-name NAME" or Proxmox's "kvm -id N -name NAME"; the UUID from "-uuid"
 * or "-smbios type=1,uuid=..."; CPU time from /proc/PID/stat, which sums
 * the process's threads (live and exited).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "vmsource_i.h"

struct proc_source {
	int procfd;
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

/* Parse a qemu command line (NUL-separated) into @vm. Returns false when it is not qemu. */
static bool parse_cmdline(const char *buf, size_t len, pid_t pid, unsigned long long start,
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
	src->priv = ps;
	return 0;
}

static int proc_list(struct vm_source *src, struct vm_list *out)
{
	struct proc_source *ps = src->priv;
	struct dirent *e;
	DIR *d;
	int dfd;

	out->n = 0;
	dfd = openat(ps->procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	while ((e = readdir(d))) {
		char path[64], buf[8192];
		struct pid_stat st;
		struct vm_info *vm;
		ssize_t n;
		int fd;
		long pid;
		char *end;

		pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "%ld/cmdline", pid);
		fd = openat(ps->procfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;  /* a kernel thread, or gone */
		buf[n] = '\0';
		if (proc_read_pid_stat(ps->procfd, (pid_t)pid, &st) < 0)
			continue;  /* exited meanwhile */
		vm = vm_list_add(out);
		if (!vm)
			break;
		if (!parse_cmdline(buf, (size_t)n, (pid_t)pid, (unsigned long long)st.starttime, vm)) {
			out->n--;
			continue;
		}
		vm->running = true;
		vm->cpu_ns = st.cpu * (1000000000ULL / (uint64_t)proc_clock_ticks());
	}
	closedir(d);
	return 0;
}

static void proc_close(struct vm_source *src)
{
	struct proc_source *ps = src->priv;

	if (!ps)
		return;
	close(ps->procfd);
	free(ps);
}

const struct vm_source_ops proc_vm_source_ops = {
	.name = "proc",
	.open = proc_open,
	.list = proc_list,
	.close = proc_close,
};
