// SPDX-License-Identifier: MIT
/* What a qemu process's command line says of its VM (common/qemu_cmdline.h). */
#include "common/qemu_cmdline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* -smp past this is not believed (qemu's own limit is lower) */
#define VCPUS_MAX 16384

bool qemu_cmdline_parse(const char *buf, size_t len, pid_t pid, unsigned long long start,
			       struct qemu_cmdline *vm)
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
			/* more than any qemu runs is a garbled line: keep 1 */
			if (n && n <= VCPUS_MAX)
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

bool qemu_cmdline_id(const char *buf, size_t len, char *id, size_t size)
{
	size_t off = 0;

	if (!len || !is_qemu(buf))
		return false;
	while (off < len) {
		const char *arg = buf + off;
		size_t alen = strlen(arg);

		off += alen + 1;
		if (strcmp(arg, "-id") || off >= len)
			continue;
		arg = buf + off;
		alen = strlen(arg);
		if (!alen || alen >= size || strspn(arg, "0123456789") != alen)
			return false;
		memcpy(id, arg, alen + 1);
		return true;
	}
	return false;
}
