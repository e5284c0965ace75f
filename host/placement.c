// SPDX-License-Identifier: MIT
/* A VM's CPU time by package, from its threads' stat files. */
#include "host/placement.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/decimal.h"
#include "common/proc.h"

void placement_init(struct placement *p, int procfd, const struct topology *topology)
{
	memset(p, 0, sizeof(*p));
	p->procfd = procfd;
	p->topology = topology;
}

static int compare_thread(const void *a, const void *b)
{
	pid_t ta = ((const struct placement_thread *)a)->tid, tb = ((const struct placement_thread *)b)->tid;

	return (ta > tb) - (ta < tb);
}

/* The process entry for @pid, added (zeroed) where missing; NULL when out of memory. */
static struct placement_process *process_of(struct placement *p, pid_t pid)
{
	size_t lo = 0, hi = p->nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->procs[mid].pid == pid)
			return &p->procs[mid];
		if (p->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ALLOC_GROW(p->procs, p->nprocs + 1, p->alloc) < 0)
		return NULL;
	memmove(&p->procs[lo + 1], &p->procs[lo], (p->nprocs - lo) * sizeof(*p->procs));
	memset(&p->procs[lo], 0, sizeof(*p->procs));
	p->procs[lo].pid = pid;
	p->nprocs++;
	return &p->procs[lo];
}

/* Read the threads of @pid into p->scratch, sorted; their count or -errno. */
static ssize_t read_threads(struct placement *p, pid_t pid)
{
	char path[32];
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%d/task", (int)pid);
	d = proc_opendir(p->procfd, path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct placement_thread *t;
		struct pid_stat st;
		const char *end;
		int32_t tid = decimal_pid(e->d_name, &end);

		if (*end || !tid)
			continue;
		if (proc_read_thread_stat(p->procfd, pid, (pid_t)tid, &st) < 0)
			continue;  /* ended while we looked: its last slice is lost */
		if (ALLOC_GROW(p->scratch, n + 1, p->scratch_alloc) < 0) {
			closedir(d);
			return -ENOMEM;
		}
		t = &p->scratch[n++];
		t->tid = (pid_t)tid;
		t->start = st.starttime;
		t->cpu = st.cpu;
		t->processor = st.processor;
	}
	closedir(d);
	qsort(p->scratch, n, sizeof(*p->scratch), compare_thread);
	return (ssize_t)n;
}

int placement_read(struct placement *p, pid_t pid, uint64_t start, struct vm_list *l, struct vm_info *vm)
{
	uint64_t package_ns[TOPOLOGY_PACKAGES_MAX];
	const struct topology *topo = p->topology;
	struct placement_process *proc;
	struct placement_thread *swap;
	size_t swap_alloc, j = 0;
	uint64_t ns_per_tick = 1000000000ULL / (uint64_t)proc_clock_ticks();
	bool first;
	ssize_t n;

	vm->npackages = 0;
	vm->package_ns = NULL;
	if (!topology_per_package(topo))
		return 0;
	n = read_threads(p, pid);
	if (n < 0)
		return (int)n;
	proc = process_of(p, pid);
	if (!proc)
		return -ENOMEM;
	first = proc->pass == 0 || proc->start != start;
	if (first) {
		/* new, or a reused pid: count from here */
		memset(proc->package_ticks, 0, sizeof(proc->package_ticks));
		proc->nthreads = 0;
		proc->start = start;
	}
	proc->pass = p->pass + 1;
	for (size_t i = 0; i < (size_t)n; i++) {
		const struct placement_thread *t = &p->scratch[i];
		uint64_t delta = 0;
		int cpu = t->processor, pkg;

		while (j < proc->nthreads && proc->threads[j].tid < t->tid)
			j++;
		if (j < proc->nthreads && proc->threads[j].tid == t->tid && proc->threads[j].start == t->start) {
			if (t->cpu >= proc->threads[j].cpu)
				delta = t->cpu - proc->threads[j].cpu;
		} else if (!first) {
			delta = t->cpu;  /* born since the last reading */
		}
		pkg = cpu >= 0 && (unsigned)cpu < topo->ncpus ? topo->cpu_package[cpu] : -1;
		if (pkg >= 0)
			proc->package_ticks[pkg] += delta;
	}
	/* the readings just made are the next base */
	swap = proc->threads;
	swap_alloc = proc->alloc;
	proc->threads = p->scratch;
	proc->alloc = p->scratch_alloc;
	proc->nthreads = (size_t)n;
	p->scratch = swap;
	p->scratch_alloc = swap_alloc;

	for (unsigned k = 0; k < topo->npackages; k++)
		package_ns[k] = proc->package_ticks[k] * ns_per_tick;
	return vm_list_set_packages(l, vm, package_ns, topo->npackages);
}

void placement_sweep(struct placement *p)
{
	size_t kept = 0;

	p->pass++;
	for (size_t i = 0; i < p->nprocs; i++) {
		if (p->procs[i].pass == p->pass) {
			p->procs[kept++] = p->procs[i];
			continue;
		}
		free(p->procs[i].threads);
	}
	p->nprocs = kept;
}

void placement_release(struct placement *p)
{
	for (size_t i = 0; i < p->nprocs; i++)
		free(p->procs[i].threads);
	free(p->procs);
	free(p->scratch);
	memset(p, 0, sizeof(*p));
	p->procfd = -1;
}
