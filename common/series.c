// SPDX-License-Identifier: MIT
/* A report walked as series: the metrics of /metrics, one value at a time. */
#include "common/series.h"

#include <stdio.h>
#include <string.h>

struct walk {
	const struct report *r;
	series_fn fn;
	void *arg;
	struct series_label source;  /* source="estimate", or no name */
};

/* One series: @name, @kind, @value, and NULL-terminated name, value pairs. */
static int emit(struct walk *w, const char *name, const char *kind, double value,
		const char *const *pairs)
{
	struct series s = { .name = name, .kind = kind, .value = value };

	for (size_t i = 0; pairs && pairs[2 * i] && s.nlabels < SERIES_LABELS_MAX - 1; i++)
		s.labels[s.nlabels++] = (struct series_label){ pairs[2 * i], pairs[2 * i + 1] ? pairs[2 * i + 1] : "" };
	if (w->source.name)
		s.labels[s.nlabels++] = w->source;
	return w->fn(w->arg, &s);
}

#define EMIT(w, name, kind, value, ...) \
	do { \
		const char *const pairs_[] = { __VA_ARGS__, NULL }; \
		int ret_ = emit((w), (name), (kind), (value), pairs_); \
		if (ret_) \
			return ret_; \
	} while (0)

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
	if (r->host_valid)
		EMIT(w, "vpowercap_machine_power_watts", "gauge", r->host_power_w, NULL);
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
		char pid[24];

		snprintf(pid, sizeof(pid), "%d", (int)p->pid);
		EMIT(w, "vpowercap_process_power_watts", "gauge", p->power_w, "pid", pid, "comm", p->comm);
		EMIT(w, "vpowercap_process_energy_joules_total", "counter", p->energy_j, "pid", pid,
		     "comm", p->comm);
	}
	for (size_t i = 0; i < r->ncgroups; i++)
		EMIT(w, "vpowercap_cgroup_power_watts", "gauge", r->cgroups[i].power_w,
		     "cgroup", r->cgroups[i].path);
	return 0;
}

static int walk_host(struct walk *w)
{
	const struct report *r = w->r;
	int ret = walk_zones(w, "vpowercap_host_energy_joules_total", "vpowercap_host_power_watts");

	if (ret)
		return ret;
	for (size_t v = 0; v < r->nvms; v++) {
		const struct report_vm *vm = &r->vms[v];

		for (size_t z = 0; z < r->nzones; z++) {
			const struct report_zone *rz = &r->zones[z];

			EMIT(w, "vpowercap_vm_energy_joules_total", "counter", vm->zones[z].energy_j,
			     "domain", vm->domain, "uuid", vm->uuid, "zone", rz->id, "name", rz->name);
			if (rz->valid)
				EMIT(w, "vpowercap_vm_power_watts", "gauge", vm->zones[z].power_w,
				     "domain", vm->domain, "uuid", vm->uuid, "zone", rz->id, "name", rz->name);
		}
		EMIT(w, "vpowercap_vm_vcpus", "gauge", vm->vcpus, "domain", vm->domain, "uuid", vm->uuid);
		EMIT(w, "vpowercap_vm_running", "gauge", vm->running, "domain", vm->domain, "uuid", vm->uuid);
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
