/* SPDX-License-Identifier: MIT */
/*
 * Where a VM's CPU time is spent, package by package: every thread of its
 * qemu process (vCPUs, emulator, I/O) is read from /proc/PID/task/TID/stat
 * each time the VM is listed, and the CPU time a thread used since the
 * previous reading is charged to the package of the CPU it last ran on
 * (the stat file's processor field). A thread that moved between packages
 * since the previous reading has its whole delta charged to the new one;
 * docs/attribution.md gives the error this makes.
 */
#ifndef VPOWERCAP_PLACEMENT_H
#define VPOWERCAP_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/topology.h"
#include "host/vmsource.h"

struct placement_thread {
	pid_t tid;
	uint64_t start;         /* starttime, tells a reused tid apart */
	uint64_t cpu;           /* utime + stime, clock ticks */
	int processor;
};

struct placement_process {
	pid_t pid;
	uint64_t start;
	unsigned long pass;     /* the last pass that read it */
	uint64_t package_ticks[TOPOLOGY_PACKAGES_MAX];  /* charged so far */
	struct placement_thread *threads;  /* sorted by tid */
	size_t nthreads, alloc;
};

struct placement {
	int procfd;             /* borrowed */
	const struct topology *topology;
	struct placement_process *procs;  /* sorted by pid */
	size_t nprocs, alloc;
	unsigned long pass;
	struct placement_thread *scratch;
	size_t scratch_alloc;
};

/** Set up for the proc root open at @procfd (the caller keeps it). */
void placement_init(struct placement *p, int procfd, const struct topology *topology);

/**
 * Read every thread of process @pid, started at @start (clock ticks since
 * boot), and set @vm's (an entry of list @l) npackages and package_ns: its threads' CPU time
 * charged to each package since the process was first read. A process read
 * for the first time starts from zero, and a thread first seen later is
 * charged all its CPU time (it was born since). Returns 0, or -errno when
 * its threads cannot be listed, or -ENOMEM (then @vm->npackages is 0).
 */
int placement_read(struct placement *p, pid_t pid, uint64_t start, struct vm_list *l, struct vm_info *vm);

/** A listing is done: forget the processes it did not read. */
void placement_sweep(struct placement *p);

void placement_release(struct placement *p);

#endif
