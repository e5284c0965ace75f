/* SPDX-License-Identifier: MIT */
/*
 * What a qemu process's command line says of its VM: the proc VM source
 * finds VMs by it, the libvirt source checks a domain's process by it, and
 * the tree server tells which VM's qemu connected to the channel socket.
 */
#ifndef VPOWERCAP_QEMU_CMDLINE_H
#define VPOWERCAP_QEMU_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define QEMU_UUID_MAX 48      /* as VM_UUID_MAX */
#define QEMU_NAME_MAX 256     /* as VM_NAME_MAX */

struct qemu_cmdline {
	char uuid[QEMU_UUID_MAX];
	char name[QEMU_NAME_MAX];
	unsigned vcpus;
};

/**
 * Parse the command line of process @pid, started at @start (clock ticks
 * since boot): @len bytes of NUL-separated arguments at @buf, as
 * /proc/PID/cmdline has them, with a NUL at @buf[@len]. Returns false when
 * it is not a qemu process; true with the name, uuid and vcpus of @vm,
 * zeroed by the caller, filled in (name and uuid never empty; a VM with no
 * UUID gets "pid-PID-START").
 */
bool qemu_cmdline_parse(const char *buf, size_t len, pid_t pid, unsigned long long start,
			struct qemu_cmdline *vm);

/**
 * Proxmox's VM id: the number after "-id" on qemu command line @buf (@len
 * bytes, as for qemu_cmdline_parse()), into @id of @size bytes.
 * Returns false when there is none, or it is not a number.
 */
bool qemu_cmdline_id(const char *buf, size_t len, char *id, size_t size);

#endif
