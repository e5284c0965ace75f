// SPDX-License-Identifier: MIT
/* Per-process power from CPU time shares. */
#include "guest/process_power.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/proc.h"

size_t process_power_top(struct proc_table *t, uint64_t dbusy, double host_power_w,
			 double interval_s, const regex_t *filter,
			 struct report_process *out, size_t n)
{
	struct process_select sel = { .comm = filter };

	return process_power_select(t, dbusy, host_power_w, interval_s, &sel, out, n);
}

/*
 * Whether @l's container passes @sel's container filter; its name, when
 * known, in *@name.
 */
static bool container_selected(const struct process_select *sel,
			       const struct container_labels *l, const char **name)
{
	*name = l && l->id[0] ? container_names_find(sel->names, l->id) : NULL;
	if (!sel->container)
		return true;
	if (!l || !l->id[0])
		return false;
	return regexec(sel->container, l->id, 0, NULL, 0) == 0 ||
	       (*name && regexec(sel->container, *name, 0, NULL, 0) == 0);
}

size_t process_power_select(struct proc_table *t, uint64_t dbusy, double host_power_w,
			    double interval_s, const struct process_select *sel,
			    struct report_process *out, size_t n)
{
	const regex_t *filter = sel->comm;
	uint64_t sum = 0, divisor;
	size_t count = 0;
	double hz = (double)proc_clock_ticks();

	for (size_t i = 0; i < t->ncur; i++)
		sum += t->cur[i].delta;
	divisor = sum > dbusy ? sum : dbusy;
	if (!divisor || !n)
		return 0;

	for (size_t i = 0; i < t->ncur; i++) {
		struct process *p = &t->cur[i];
		const struct container_labels *labels = NULL;
		const char *name = NULL;
		size_t at;

		if (!p->delta)
			continue;
		if (filter && regexec(filter, p->stat.comm, 0, NULL, 0) != 0)
			continue;
		if (sel->containers) {
			labels = proc_process_labels(t, p);
			if (!container_selected(sel, labels, &name))
				continue;
		}
		struct report_process rp = {
			.pid = p->stat.pid,
			.comm = p->stat.comm,
			.cpu_percent = interval_s > 0 ? 100.0 * (double)p->delta / hz / interval_s : 0,
			.cpu_ticks = p->delta,
			.power_w = host_power_w * (double)p->delta / (double)divisor,
			.container = labels,
			.container_name = name,
		};

		/* Insertion into the top n, by CPU time (power follows it); n is small. */
		at = count < n ? count : n;
		while (at > 0 && out[at - 1].cpu_ticks < rp.cpu_ticks)
			at--;
		if (at >= n)
			continue;
		memmove(&out[at + 1], &out[at], (count < n ? count - at : n - 1 - at) * sizeof(*out));
		out[at] = rp;
		if (count < n)
			count++;
	}
	return count;
}

/* Where sampling skew makes the processes' CPU time exceed the machine's. */
static uint64_t cpu_divisor(const struct proc_table *t, uint64_t dbusy)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->ncur; i++)
		sum += t->cur[i].delta;
	return sum > dbusy ? sum : dbusy;
}

static const struct process *find_process(const struct proc_table *t, pid_t pid)
{
	size_t lo = 0, hi = t->ncur;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->cur[mid].stat.pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->ncur && t->cur[lo].stat.pid == pid ? &t->cur[lo] : NULL;
}

/* Index of @pid in @pe, or where it would go. */
static size_t energy_slot(const struct process_energy_table *pe, pid_t pid)
{
	size_t lo = 0, hi = pe->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pe->e[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t share_uj(uint64_t host_uj, uint64_t delta, uint64_t divisor)
{
	return divisor ? (uint64_t)llround((double)host_uj * (double)delta / (double)divisor) : 0;
}

int process_energy_update(struct process_energy_table *pe, const struct proc_table *t,
			  uint64_t dbusy, uint64_t host_uj, struct report_process *top, size_t ntop)
{
	uint64_t divisor = cpu_divisor(t, dbusy);
	size_t cap = 4 * ntop + 16, kept = 0, j = 0;

	pe->updates++;
	if (cap > pe->cap) {
		struct process_energy *e = realloc(pe->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		pe->e = e;
		pe->cap = cap;
	}
	/* Both sorted by pid: one merge finds every tracked process. */
	for (size_t i = 0; i < pe->n; i++) {
		struct process_energy *x = &pe->e[i];

		while (j < t->ncur && t->cur[j].stat.pid < x->pid)
			j++;
		if (j == t->ncur || t->cur[j].stat.pid != x->pid ||
		    t->cur[j].stat.starttime != x->starttime)
			continue;  /* exited, or its pid was reused */
		x->energy_uj += share_uj(host_uj, t->cur[j].delta, divisor);
		pe->e[kept++] = *x;
	}
	pe->n = kept;

	for (size_t i = 0; i < ntop; i++) {
		size_t at = energy_slot(pe, top[i].pid);
		const struct process *p;

		if (at == pe->n || pe->e[at].pid != top[i].pid) {
			p = find_process(t, top[i].pid);
			if (!p)
				continue;
			if (pe->n == pe->cap) {
				/* Forget the one longest out of the top N. */
				size_t old = 0;

				for (size_t k = 1; k < pe->n; k++)
					if (pe->e[k].last_top < pe->e[old].last_top)
						old = k;
				memmove(&pe->e[old], &pe->e[old + 1], (pe->n - old - 1) * sizeof(*pe->e));
				pe->n--;
				at = energy_slot(pe, top[i].pid);
			}
			memmove(&pe->e[at + 1], &pe->e[at], (pe->n - at) * sizeof(*pe->e));
			pe->e[at] = (struct process_energy){
				.pid = p->stat.pid,
				.starttime = p->stat.starttime,
				.energy_uj = share_uj(host_uj, p->delta, divisor),
			};
			pe->n++;
		}
		pe->e[at].last_top = pe->updates;
		top[i].energy_j = (double)pe->e[at].energy_uj / 1e6;
	}
	return 0;
}

void process_energy_release(struct process_energy_table *pe)
{
	free(pe->e);
	memset(pe, 0, sizeof(*pe));
}

static int sum_by_path(const void *a, const void *b)
{
	return strcmp(((const struct cgroup_sum *)a)->path, ((const struct cgroup_sum *)b)->path);
}

static int sum_by_delta(const void *a, const void *b)
{
	const struct cgroup_sum *x = a, *y = b;

	if (x->delta != y->delta)
		return x->delta < y->delta ? 1 : -1;
	return strcmp(x->path, y->path);
}

size_t process_power_cgroups(struct proc_table *t, uint64_t dbusy, double host_power_w,
			     struct cgroup_scratch *scratch, struct report_cgroup *out, size_t n)
{
	uint64_t divisor = cpu_divisor(t, dbusy);
	size_t count = 0, groups = 0;

	if (!divisor || !n)
		return 0;
	for (size_t i = 0; i < t->ncur; i++) {
		struct process *p = &t->cur[i];
		const char *path;

		if (!p->delta || !(path = proc_process_cgroup(t, p)))
			continue;
		if (ALLOC_GROW(scratch->sums, count + 1, scratch->alloc) < 0)
			break;
		scratch->sums[count++] = (struct cgroup_sum){ path, p->delta };
	}
	if (!count)
		return 0;
	qsort(scratch->sums, count, sizeof(*scratch->sums), sum_by_path);
	for (size_t i = 0; i < count; i++) {
		if (groups && !strcmp(scratch->sums[groups - 1].path, scratch->sums[i].path))
			scratch->sums[groups - 1].delta += scratch->sums[i].delta;
		else
			scratch->sums[groups++] = scratch->sums[i];
	}
	qsort(scratch->sums, groups, sizeof(*scratch->sums), sum_by_delta);
	if (groups > n)
		groups = n;
	for (size_t i = 0; i < groups; i++)
		out[i] = (struct report_cgroup){
			.path = scratch->sums[i].path,
			.power_w = host_power_w * (double)scratch->sums[i].delta / (double)divisor,
		};
	return groups;
}

void cgroup_scratch_release(struct cgroup_scratch *s)
{
	free(s->sums);
	memset(s, 0, sizeof(*s));
}

static int share_by_id(const void *a, const void *b)
{
	const struct container_share *x = a, *y = b;

	return strcmp(x->labels->id, y->labels->id);
}

static int share_by_pod(const void *a, const void *b)
{
	const struct container_share *x = a, *y = b;
	int c = strcmp(x->labels->pod_uid, y->labels->pod_uid);

	return c ? c : strcmp(x->labels->id, y->labels->id);
}

static int container_by_power(const void *a, const void *b)
{
	const struct report_container *x = a, *y = b;

	if (x->power_w != y->power_w)
		return x->power_w < y->power_w ? 1 : -1;
	return strcmp(x->labels->id, y->labels->id);
}

static int pod_by_power(const void *a, const void *b)
{
	const struct report_pod *x = a, *y = b;

	if (x->power_w != y->power_w)
		return x->power_w < y->power_w ? 1 : -1;
	return strcmp(x->uid, y->uid);
}

/* Index of @key in @c, or where it would go. */
static size_t counter_slot(const struct energy_counters *c, const char *key)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c->v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Add @uj to @key's counter in @c (made when new, room kept for @nseen
 * counters in use at update @now), and return its total in joules.
 */
static double counter_add(struct energy_counters *c, const char *key, uint64_t uj,
			  unsigned long now, size_t nseen)
{
	size_t cap = 4 * nseen + 64, at = counter_slot(c, key);

	if (at == c->n || strcmp(c->v[at].key, key)) {
		if (cap > c->cap) {
			struct energy_counter *v = realloc(c->v, cap * sizeof(*v));

			if (!v)
				return NAN;
			c->v = v;
			c->cap = cap;
		}
		if (c->n == c->cap) {
			/* Forget the one idle longest. */
			size_t old = 0;

			for (size_t k = 1; k < c->n; k++)
				if (c->v[k].last_seen < c->v[old].last_seen)
					old = k;
			memmove(&c->v[old], &c->v[old + 1], (c->n - old - 1) * sizeof(*c->v));
			c->n--;
			at = counter_slot(c, key);
		}
		memmove(&c->v[at + 1], &c->v[at], (c->n - at) * sizeof(*c->v));
		c->v[at] = (struct energy_counter){ .energy_uj = 0 };
		snprintf(c->v[at].key, sizeof(c->v[at].key), "%s", key);
		c->n++;
	}
	c->v[at].energy_uj += uj;
	c->v[at].last_seen = now;
	return (double)c->v[at].energy_uj / 1e6;
}

int process_power_containers(struct proc_table *t, uint64_t dbusy, double host_power_w,
			     uint64_t host_uj, const struct process_select *sel,
			     struct container_sums *cs, struct report *r)
{
	uint64_t divisor = cpu_divisor(t, dbusy);
	size_t nc = 0, np = 0, n = 0;

	r->containers = true;
	r->ncontainers = r->npods = 0;
	cs->updates++;
	if (!divisor)
		return 0;
	for (size_t i = 0; i < t->ncur; i++) {
		struct process *p = &t->cur[i];
		const struct container_labels *l;
		const char *name;

		if (!p->delta || !(l = proc_process_labels(t, p)) || !(l->id[0] || l->pod_uid[0]))
			continue;
		if (!container_selected(sel, l, &name))
			continue;
		if (ALLOC_GROW(cs->shares, n + 1, cs->alloc_shares) < 0)
			return -ENOMEM;
		cs->shares[n++] = (struct container_share){ l, p->delta };
	}
	if (!n)
		return 0;
	if (ALLOC_GROW(cs->containers, n + 1, cs->alloc_containers) < 0 ||
	    ALLOC_GROW(cs->pods, n + 1, cs->alloc_pods) < 0)
		return -ENOMEM;
	qsort(cs->shares, n, sizeof(*cs->shares), share_by_id);
	for (size_t i = 0; i < n; i++) {
		const struct container_labels *l = cs->shares[i].labels;

		if (!l->id[0])
			continue;  /* in a pod's own cgroup, not a container's */
		if (nc && !strcmp(cs->containers[nc - 1].labels->id, l->id)) {
			cs->containers[nc - 1].cpu_ticks += cs->shares[i].delta;
			cs->containers[nc - 1].nprocesses++;
			continue;
		}
		cs->containers[nc++] = (struct report_container){
			.labels = l,
			.name = container_names_find(sel->names, l->id),
			.nprocesses = 1,
			.cpu_ticks = cs->shares[i].delta,
		};
	}
	qsort(cs->shares, n, sizeof(*cs->shares), share_by_pod);
	for (size_t i = 0; i < n; i++) {
		const struct container_share *s = &cs->shares[i];
		bool new_container;

		if (!s->labels->pod_uid[0])
			continue;
		new_container = s->labels->id[0] &&
				(i == 0 || strcmp(cs->shares[i - 1].labels->id, s->labels->id) ||
				 strcmp(cs->shares[i - 1].labels->pod_uid, s->labels->pod_uid));
		if (np && !strcmp(cs->pods[np - 1].uid, s->labels->pod_uid)) {
			cs->pods[np - 1].cpu_ticks += s->delta;
			cs->pods[np - 1].ncontainers += new_container;
			continue;
		}
		cs->pods[np++] = (struct report_pod){
			.uid = s->labels->pod_uid,
			.qos = pod_qos_name(s->labels->qos),
			.ncontainers = new_container,
			.cpu_ticks = s->delta,
		};
	}
	for (size_t i = 0; i < nc; i++) {
		struct report_container *c = &cs->containers[i];

		c->power_w = host_power_w * (double)c->cpu_ticks / (double)divisor;
		c->energy_j = counter_add(&cs->container_energy, c->labels->id,
					  share_uj(host_uj, c->cpu_ticks, divisor), cs->updates, nc);
	}
	for (size_t i = 0; i < np; i++) {
		struct report_pod *pod = &cs->pods[i];

		pod->power_w = host_power_w * (double)pod->cpu_ticks / (double)divisor;
		pod->energy_j = counter_add(&cs->pod_energy, pod->uid,
					    share_uj(host_uj, pod->cpu_ticks, divisor), cs->updates, np);
	}
	qsort(cs->containers, nc, sizeof(*cs->containers), container_by_power);
	qsort(cs->pods, np, sizeof(*cs->pods), pod_by_power);
	r->container_list = cs->containers;
	r->ncontainers = nc;
	r->pods = cs->pods;
	r->npods = np;
	return 0;
}

void container_sums_release(struct container_sums *cs)
{
	free(cs->shares);
	free(cs->containers);
	free(cs->pods);
	free(cs->container_energy.v);
	free(cs->pod_energy.v);
	memset(cs, 0, sizeof(*cs));
}
