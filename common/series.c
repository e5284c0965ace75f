// SPDX-License-Identifier: MIT
/* A report walked as series: the metrics of /metrics, one value at a time. */
#include "common/series.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct walk {
	const struct report *r;
	series_fn fn;
	void *arg;
	struct series_label source;  /* source="estimate", or no name */
};

/* A series' labels but the source, the first nkey naming it. */
struct label_list {
	struct series_label l[SERIES_LABELS_MAX - 1];
	size_t n, nkey;
};

/* @name=@value added to @ll; an empty or NULL value written empty, or left out unless @keep_empty. */
static void label_add(struct label_list *ll, const char *name, const char *value, bool keep_empty)
{
	if ((!value || !value[0]) && !keep_empty)
		return;
	if (ll->n < sizeof(ll->l) / sizeof(ll->l[0]))
		ll->l[ll->n++] = (struct series_label){ name, value ? value : "" };
}

/* One series: @name, @kind, @value, @ll's labels, then the source's when @source. */
static int emit(struct walk *w, const char *name, const char *kind, double value,
		const struct label_list *ll, bool source)
{
	struct series s = { .name = name, .kind = kind, .value = value, .nkey = ll->nkey };

	for (size_t i = 0; i < ll->n; i++)
		s.labels[s.nlabels++] = ll->l[i];
	if (source && w->source.name)
		s.labels[s.nlabels++] = w->source;
	return w->fn(w->arg, &s);
}

/* One series from NULL-terminated name, value pairs, every one naming it. */
static int emit_pairs(struct walk *w, const char *name, const char *kind, double value,
		      const char *const *pairs)
{
	struct label_list ll = { .n = 0 };

	for (size_t i = 0; pairs && pairs[2 * i]; i++)
		label_add(&ll, pairs[2 * i], pairs[2 * i + 1], true);
	ll.nkey = ll.n;
	return emit(w, name, kind, value, &ll, true);
}

#define EMIT(w, name, kind, value, ...) \
	do { \
		const char *const pairs_[] = { __VA_ARGS__, NULL }; \
		int ret_ = emit_pairs((w), (name), (kind), (value), pairs_); \
		if (ret_) \
			return ret_; \
	} while (0)

#define EMIT_LABELS(w, name, kind, value, ll, source) \
	do { \
		int ret_ = emit((w), (name), (kind), (value), (ll), (source)); \
		if (ret_) \
			return ret_; \
	} while (0)

/* A process's labels: pid and comm, then what its cgroup says, as /metrics has them. */
static void process_labels(struct label_list *ll, const struct report_process *p, const char *pid)
{
	const struct container_labels *l = p->container;

	*ll = (struct label_list){ .n = 0 };
	label_add(ll, "pid", pid, !l);
	label_add(ll, "comm", p->comm, !l);
	ll->nkey = ll->n;
	if (!l)
		return;
	label_add(ll, "container_id", l->id, false);
	label_add(ll, "container_name", p->container_name, false);
	label_add(ll, "runtime", container_runtime_name(l->runtime), false);
	label_add(ll, "pod_uid", l->pod_uid, false);
	label_add(ll, "qos", pod_qos_name(l->qos), false);
	label_add(ll, "systemd_unit", l->unit, false);
	label_add(ll, "systemd_slice", l->slice, false);
}

/*
 * A VM's labels: domain and uuid, the zone's id and name when @z, naming
 * it; then the labels of its metadata (project, flavor...), describing it.
 */
static void vm_labels(struct label_list *ll, const struct report_vm *vm, const struct report_zone *z)
{
	*ll = (struct label_list){ .n = 0 };
	label_add(ll, "domain", vm->domain, true);
	label_add(ll, "uuid", vm->uuid, true);
	if (z) {
		label_add(ll, "zone", z->id, true);
		label_add(ll, "name", z->name, true);
	}
	ll->nkey = ll->n;
	for (size_t i = 0; i < vm->nlabels; i++)
		label_add(ll, vm->labels[i].name, vm->labels[i].value, true);
}

static int walk_zones(struct walk *w, const char *energy, const char *power)
{
	const struct report *r = w->r;

	for (size_t i = 0; i < r->nzones; i++) {
		const struct report_zone *z = &r->zones[i];

		EMIT(w, energy, "counter", z->energy_j, "zone", z->id, "name", z->name);
		if (z->valid)
			EMIT(w, power, "gauge", z->power_w, "zone", z->id, "name", z->name);
		if (r->host) {
			EMIT(w, "vpowercap_unattributed_energy_joules_total", "counter", z->unattributed_j,
			     "zone", z->id, "name", z->name);
			if (z->valid)
				EMIT(w, "vpowercap_unattributed_power_watts", "gauge", z->unattributed_w,
				     "zone", z->id, "name", z->name);
		}
	}
	/* a guest's own name, and the old one for one release (see prometheus_text.c) */
	if (r->host_valid && r->guest)
		EMIT(w, "vpowercap_guest_power_watts", "gauge", r->host_power_w, NULL);
	if (r->host_valid)
		EMIT(w, "vpowercap_machine_power_watts", "gauge", r->host_power_w, NULL);
	return 0;
}

/* Per container and per pod, with /metrics's labels: the id or uid names it, the rest describe it. */
static int walk_containers(struct walk *w)
{
	const struct report *r = w->r;

	for (size_t i = 0; i < r->ncontainers; i++) {
		const struct report_container *c = &r->container_list[i];
		struct label_list ll = { .n = 0 };

		label_add(&ll, "container_id", c->labels->id, false);
		ll.nkey = ll.n;
		label_add(&ll, "container_name", c->name, false);
		label_add(&ll, "runtime", container_runtime_name(c->labels->runtime), false);
		label_add(&ll, "pod_uid", c->labels->pod_uid, false);
		label_add(&ll, "qos", pod_qos_name(c->labels->qos), false);
		EMIT_LABELS(w, "vpowercap_container_power_watts", "gauge", c->power_w, &ll, true);
		EMIT_LABELS(w, "vpowercap_container_energy_joules_total", "counter", c->energy_j, &ll, true);
		/* a count, not a measure: no source, as in /metrics */
		EMIT_LABELS(w, "vpowercap_container_processes", "gauge", c->nprocesses, &ll, false);
	}
	for (size_t i = 0; i < r->npods; i++) {
		const struct report_pod *p = &r->pods[i];
		struct label_list ll = { .n = 0 };

		label_add(&ll, "pod_uid", p->uid, false);
		ll.nkey = ll.n;
		label_add(&ll, "qos", p->qos, false);
		EMIT_LABELS(w, "vpowercap_pod_power_watts", "gauge", p->power_w, &ll, true);
		EMIT_LABELS(w, "vpowercap_pod_energy_joules_total", "counter", p->energy_j, &ll, true);
	}
	return 0;
}

static int walk_agent(struct walk *w)
{
	const struct report *r = w->r;
	int ret = walk_zones(w, "vpowercap_zone_energy_joules_total", "vpowercap_zone_power_watts");

	if (ret)
		return ret;
	for (size_t i = 0; i < r->nprocesses; i++) {
		const struct report_process *p = &r->processes[i];
		struct label_list ll;
		char pid[24];

		snprintf(pid, sizeof(pid), "%d", (int)p->pid);
		process_labels(&ll, p, pid);
		EMIT_LABELS(w, "vpowercap_process_power_watts", "gauge", p->power_w, &ll, true);
		EMIT_LABELS(w, "vpowercap_process_energy_joules_total", "counter", p->energy_j, &ll, true);
	}
	for (size_t i = 0; i < r->ncgroups; i++)
		EMIT(w, "vpowercap_cgroup_power_watts", "gauge", r->cgroups[i].power_w,
		     "cgroup", r->cgroups[i].path);
	return r->containers ? walk_containers(w) : 0;
}

static int walk_host(struct walk *w)
{
	const struct report *r = w->r;
	int ret = walk_zones(w, "vpowercap_host_energy_joules_total", "vpowercap_host_power_watts");

	if (ret)
		return ret;
	for (size_t v = 0; v < r->nvms; v++) {
		const struct report_vm *vm = &r->vms[v];
		struct label_list ll = { .n = 0 };

		for (size_t z = 0; z < r->nzones; z++) {
			const struct report_zone *rz = &r->zones[z];

			if (rz->host_only)
				continue;
			vm_labels(&ll, vm, rz);
			EMIT_LABELS(w, "vpowercap_vm_energy_joules_total", "counter", vm->zones[z].energy_j,
				    &ll, true);
			if (rz->valid)
				EMIT_LABELS(w, "vpowercap_vm_power_watts", "gauge", vm->zones[z].power_w, &ll,
					    true);
		}
		/* what the VM is, not a measure: no source, as in /metrics */
		vm_labels(&ll, vm, NULL);
		EMIT_LABELS(w, "vpowercap_vm_vcpus", "gauge", vm->vcpus, &ll, false);
		EMIT_LABELS(w, "vpowercap_vm_running", "gauge", vm->running, &ll, false);
	}
	if (r->vm_source) {
		w->source = (struct series_label){ NULL, NULL };
		EMIT(w, "vpowercap_vm_source_up", "gauge", r->vm_source_up, "vm_source", r->vm_source);
		EMIT(w, "vpowercap_wall_factor", "gauge", r->wall_factor, NULL);
		if (r->price_per_kwh > 0 && r->currency && r->currency[0])
			EMIT(w, "vpowercap_energy_price_per_kwh", "gauge", r->price_per_kwh, "currency", r->currency);
		else if (r->price_per_kwh > 0)
			EMIT(w, "vpowercap_energy_price_per_kwh", "gauge", r->price_per_kwh, NULL);
		if (r->carbon_grams_per_kwh > 0)
			EMIT(w, "vpowercap_carbon_intensity_grams_per_kwh", "gauge", r->carbon_grams_per_kwh, NULL);
	}
	if (r->host) {
		w->source = (struct series_label){ NULL, NULL };
		EMIT(w, "vpowercap_state_saved", "gauge", r->state_saved, NULL);
	}
	return 0;
}

int report_series(const struct report *r, series_fn fn, void *arg)
{
	struct walk w = { .r = r, .fn = fn, .arg = arg };
	int ret;

	if (r->source && !strcmp(r->source, "estimate"))
		w.source = (struct series_label){ "source", "estimate" };
	ret = r->host ? walk_host(&w) : walk_agent(&w);
	if (ret)
		return ret;
	w.source = (struct series_label){ NULL, NULL };
	for (size_t i = 0; i < r->nexporters; i++)
		EMIT(&w, "vpowercap_exporter_dropped_total", "counter", (double)r->exporters[i].dropped,
		     "exporter", r->exporters[i].name);
	return 0;
}
