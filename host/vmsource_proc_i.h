/* SPDX-License-Identifier: MIT */
/* The proc VM source's command-line parser, for its tests. */
#ifndef VPOWERCAP_VMSOURCE_PROC_I_H
#define VPOWERCAP_VMSOURCE_PROC_I_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "host/vmsource.h"

/* What a qemu command line says of its VM. */
struct proc_cmdline {
	char uuid[VM_UUID_MAX];
	char name[VM_NAME_MAX];
	unsigned vcpus;
};

/**
 * Parse the command line of process @pid, started at @start (clock ticks
 * since boot): @len bytes of NUL-separated arguments at @buf, as
 * /proc/PID/cmdline has them, with a NUL at @buf[@len]. Returns false when
 * it is not a qemu process; true with the name, uuid and vcpus of @vm,
 * zeroed by the caller, filled in (name and uuid never empty).
 */
bool proc_source_parse_cmdline(const char *buf, size_t len, pid_t pid, unsigned long long start,
			       struct proc_cmdline *vm);

/**
 * Proxmox's VM id: the number after "-id" on qemu command line @buf (@len
 * bytes, as for proc_source_parse_cmdline()), into @id of @size bytes.
 * Returns false when there is none, or it is not a number.
 */
bool proc_source_cmdline_id(const char *buf, size_t len, char *id, size_t size);

#endif
