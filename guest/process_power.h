/* SPDX-License-Identifier: MIT */
/*
 * Splitting the machine's power between its processes: a process gets the
 * share of the machine's busy CPU time it used, so the processes add up to
 * the machine.
 */
#ifndef VPOWERCAP_PROCESS_POWER_H
#define VPOWERCAP_PROCESS_POWER_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "common/container_names.h"
#include "common/proc.h"
#include "common/report.h"

/* Which processes a step shows, and what they are labelled with. */
struct process_select {
	const regex_t *comm;        /* NULL: every process; else those whose comm matches */
	bool containers;            /* label each with its container (@t->want_labels set) */
	const regex_t *container;   /* NULL: all; else only processes in a container whose
				       name or id matches */
	const struct container_names *names;  /* NULL: ids only */
};

/**
 * Fill @out with up to @n processes of @t that used CPU in the last
 * interval, by decreasing power, keeping only those whose comm matches
 * @filter when it is not NULL. A process's power is @host_power_w times its
 * CPU time over @dbusy, the machine's busy CPU time; where sampling skew
 * makes the processes' CPU time exceed @dbusy, their sum is the divisor.
 * @out's comm pointers point into @t, valid until its next scan.
 * Returns how many were written.
 */
size_t process_power_top(struct proc_table *t, uint64_t dbusy, double host_power_w,
			 double interval_s, const regex_t *filter,
			 struct report_process *out, size_t n);

/**
 * process_power_top() with @sel's filters, each entry labelled with its
 * container when @sel->containers (pointers into @t and @sel->names).
 */
size_t process_power_select(struct proc_table *t, uint64_t dbusy, double host_power_w,
			    double interval_s, const struct process_select *sel,
			    struct report_process *out, size_t n);

/* Energy counted by container id or pod uid, from the step each was first seen. */
struct energy_counter {
	char key[CONTAINER_ID_LEN + 1];
	uint64_t energy_uj;
	unsigned long last_seen;   /* the update at which it last used CPU */
};

/*
 * Bounded (4 N + 64 for N seen in a step): one idle for a while keeps its
 * count while there is room; when full, the one idle longest is forgotten.
 */
struct energy_counters {
	struct energy_counter *v;  /* sorted by key */
	size_t n, cap;
};

/* The containers and pods of a step, kept between steps. */
struct container_sums {
	struct container_share {
		const struct container_labels *labels;
		uint64_t delta;
	} *shares;
	size_t nshares, alloc_shares;
	struct report_container *containers;
	size_t alloc_containers;
	struct report_pod *pods;
	size_t alloc_pods;
	struct energy_counters container_energy, pod_energy;
	unsigned long updates;
};

/**
 * Sum the power of the processes of @t that used CPU in the last interval
 * by container and by pod (all of them, whatever the comm filter; only the
 * containers @sel->container matches), into @cs->containers and @cs->pods,
 * by decreasing power, and add their share of the interval's @host_uj to
 * each one's energy. Sets @r's lists. Returns 0 or -ENOMEM.
 */
int process_power_containers(struct proc_table *t, uint64_t dbusy, double host_power_w,
			     uint64_t host_uj, const struct process_select *sel,
			     struct container_sums *cs, struct report *r);

void container_sums_release(struct container_sums *cs);

/* One process's energy, counted from the step it first made the top N. */
struct process_energy {
	pid_t pid;
	uint64_t starttime;       /* with pid, tells the process from a reused pid */
	uint64_t energy_uj;
	unsigned long last_top;   /* the update at which it was last in the top N */
};

/*
 * Energy accumulators for the processes shown, bounded: a process keeps
 * its accumulator while it lives and the table has room (4 N + 16 entries),
 * so one that drops out of the top N and comes back continues its count.
 * When the table is full the process longest out of the top N is forgotten.
 */
struct process_energy_table {
	struct process_energy *e;   /* sorted by pid */
	size_t n, cap;
	unsigned long updates;
};

/**
 * After process_power_top() filled @top (@ntop entries) from @t: add the
 * last interval's energy (@host_uj of the machine, shared by CPU time over
 * @dbusy as process_power_top() does) to every tracked process, start
 * tracking the new ones in @top, forget those that exited, and set each
 * @top entry's energy_j. Returns 0 or -ENOMEM (energy_j left at 0).
 */
int process_energy_update(struct process_energy_table *pe, const struct proc_table *t,
			  uint64_t dbusy, uint64_t host_uj, struct report_process *top, size_t ntop);

void process_energy_release(struct process_energy_table *pe);

struct cgroup_sum {
	const char *path;
	uint64_t delta;
};

/* Scratch space kept between steps, so a steady machine allocates nothing. */
struct cgroup_scratch {
	struct cgroup_sum *sums;
	size_t alloc;
};

/**
 * Fill @out with up to @n cgroups by decreasing power: the power of every
 * process of @t that used CPU in the last interval (no filter applies),
 * summed by the cgroup proc_process_cgroup() gives. Paths point into @t,
 * valid until its next scan. Returns how many were written.
 */
size_t process_power_cgroups(struct proc_table *t, uint64_t dbusy, double host_power_w,
			     struct cgroup_scratch *scratch, struct report_cgroup *out, size_t n);

void cgroup_scratch_release(struct cgroup_scratch *s);

#endif
