// SPDX-License-Identifier: MIT
/* Per-VM energy counters, advanced every tick. */
#include "host/ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/log.h"

/* Learning a zone's idle power: the 5th percentile of its recent power,
 * recomputed every minute of ticks, once half a minute is known. */
#define IDLE_PERCENTILE 0.05
#define IDLE_MIN_SAMPLES 30
#define IDLE_RECOMPUTE 60

void ledger_init(struct ledger *l, const struct ledger_config *cfg)
{
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
}

static void zone_set_idle(struct ledger *l, struct ledger_zone *z)
{
	double w = l->cfg.idle_watts ? l->cfg.idle_watts(z->name, l->cfg.idle_arg) : -1;

	z->idle_configured = w >= 0;
	if (z->idle_configured)
		z->idle_watts = w;
}

void ledger_configure(struct ledger *l, const struct ledger_config *cfg)
{
	l->cfg = *cfg;
	for (size_t i = 0; i < l->nzones; i++)
		zone_set_idle(l, &l->zones[i]);
}

/* A VM's name before it has one: not allocated. */
static const char no_name[] = "";

int ledger_vm_set_name(struct ledger_vm *vm, const char *name)
{
	size_t len = strnlen(name, VM_NAME_MAX - 1);
	char *copy;

	if (!strncmp(vm->info.name, name, len) && vm->info.name[len] == '\0')
		return 0;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, name, len);
	copy[len] = '\0';
	if (vm->info.name != no_name)
		free((char *)vm->info.name);  /* the ledger's own copy */
	vm->info.name = copy;
	return 0;
}

static void vm_free_contents(struct ledger_vm *vm)
{
	if (vm->info.name && vm->info.name != no_name)
		free((char *)vm->info.name);
	free(vm->shares);
	free(vm->ceilings);
	free(vm->last_package_ns);  /* the block of all four package arrays */
}

/* Give @vm its package arrays for @npackages packages, zeroed on a change. */
static int vm_packages(struct ledger_vm *vm, unsigned npackages)
{
	uint64_t *block;

	if (vm->npackages == npackages)
		return 0;
	block = calloc(4 * (size_t)npackages, sizeof(*block));
	if (!block)
		return -ENOMEM;
	free(vm->last_package_ns);
	vm->last_package_ns = block;
	vm->placement = block + npackages;
	vm->package_cpu_ns = block + 2 * npackages;
	vm->package_held = block + 3 * npackages;
	vm->npackages = npackages;
	vm->package_primed = false;
	vm->placed = false;
	return 0;
}

void ledger_release(struct ledger *l)
{
	for (size_t i = 0; i < l->nvms; i++)
		vm_free_contents(&l->vms[i]);
	for (size_t i = 0; i < l->nzones; i++)
		free(l->zones[i].idle_samples);
	free(l->vms);
	free(l->zones);
	free(l->who);
	free(l->cpu);
	free(l->vcpus);
	free(l->package_cpu);
	free(l->package_held);
	free(l->part);
	free(l->list_at);
	attribution_scratch_release(&l->scratch);
	memset(l, 0, sizeof(*l));
}

int ledger_find_zone(const struct ledger *l, const char *id)
{
	for (size_t i = 0; i < l->nzones; i++)
		if (!strcmp(l->zones[i].id, id))
			return (int)i;
	return -1;
}

int ledger_add_zone(struct ledger *l, const char *id, const char *name)
{
	int idx = ledger_find_zone(l, id);
	struct ledger_zone *zones, *z;

	if (idx >= 0)
		return idx;
	/* Every VM gets a share in the new zone first, so a failure leaves
	 * the ledger as it was. */
	for (size_t i = 0; i < l->nvms; i++) {
		struct ledger_vm *vm = &l->vms[i];
		struct share *shares = realloc(vm->shares, (l->nzones + 1) * sizeof(*shares));
		uint64_t *ceilings;

		if (!shares)
			return -1;
		vm->shares = shares;
		memset(&shares[l->nzones], 0, sizeof(*shares));
		ceilings = realloc(vm->ceilings, (l->nzones + 1) * sizeof(*ceilings));
		if (!ceilings)
			return -1;
		vm->ceilings = ceilings;
		ceilings[l->nzones] = 0;
	}
	zones = realloc(l->zones, (l->nzones + 1) * sizeof(*zones));
	if (!zones)
		return -1;
	l->zones = zones;
	z = &zones[l->nzones];
	memset(z, 0, sizeof(*z));
	snprintf(z->id, sizeof(z->id), "%s", id);
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->package = -1;
	z->host_only = l->cfg.core_host_only && !strcmp(name, "core");
	zone_set_idle(l, z);
	return (int)l->nzones++;
}

/* Binary search by uuid; *@at is where it is or would be inserted. */
static bool vm_search(const struct ledger *l, const char *uuid, size_t *at)
{
	size_t lo = 0, hi = l->nvms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->vms[mid].info.uuid, uuid);

		if (c == 0) {
			*at = mid;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return false;
}

struct ledger_vm *ledger_find_vm(struct ledger *l, const char *uuid)
{
	size_t at;

	return vm_search(l, uuid, &at) ? &l->vms[at] : NULL;
}

struct ledger_vm *ledger_add_vm(struct ledger *l, const char *uuid)
{
	struct ledger_vm *vm;
	size_t at;

	if (vm_search(l, uuid, &at))
		return &l->vms[at];
	if (ALLOC_GROW(l->vms, l->nvms + 1, l->vms_alloc) < 0)
		return NULL;
	vm = &l->vms[at];
	memmove(vm + 1, vm, (l->nvms - at) * sizeof(*vm));
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->info.uuid, sizeof(vm->info.uuid), "%s", uuid);
	vm->info.name = no_name;
	vm->shares = calloc(l->nzones ? l->nzones : 1, sizeof(*vm->shares));
	vm->ceilings = calloc(l->nzones ? l->nzones : 1, sizeof(*vm->ceilings));
	if (!vm->shares || !vm->ceilings) {
		vm_free_contents(vm);
		memmove(vm, vm + 1, (l->nvms - at) * sizeof(*vm));
		return NULL;
	}
	l->nvms++;
	return vm;
}

static int compare_float(const void *a, const void *b)
{
	float fa = *(const float *)a, fb = *(const float *)b;

	return (fa > fb) - (fa < fb);
}

/* Record the zone's power and, now and then, re-learn its idle power. */
static void zone_learn_idle(struct ledger *l, struct ledger_zone *z, double watts)
{
	float sorted[IDLE_WINDOW];

	if (z->idle_configured)
		return;
	if (!z->idle_samples) {
		z->idle_samples = calloc(IDLE_WINDOW, sizeof(*z->idle_samples));
		if (!z->idle_samples)
			return;
	}
	z->idle_samples[z->idle_next] = (float)watts;
	z->idle_next = (z->idle_next + 1) % IDLE_WINDOW;
	if (z->idle_count < IDLE_WINDOW)
		z->idle_count++;
	if (z->idle_count < IDLE_MIN_SAMPLES)
		return;
	if (z->idle_count != IDLE_MIN_SAMPLES && l->ticks % IDLE_RECOMPUTE)
		return;
	memcpy(sorted, z->idle_samples, z->idle_count * sizeof(*sorted));
	qsort(sorted, z->idle_count, sizeof(*sorted), compare_float);
	z->idle_watts = sorted[(size_t)(IDLE_PERCENTILE * (z->idle_count - 1))];
}

static int ensure_tick_arrays(struct ledger *l)
{
	size_t need = l->nvms + 1;
	size_t who_alloc = l->tick_alloc, cpu_alloc = l->tick_alloc, vcpus_alloc = l->tick_alloc;
	size_t pcpu_alloc = l->tick_alloc, held_alloc = l->tick_alloc, part_alloc = l->tick_alloc;

	/* parallel arrays: from one size, all grow to the same new size */
	if (ALLOC_GROW(l->who, need, who_alloc) < 0 || ALLOC_GROW(l->cpu, need, cpu_alloc) < 0 ||
	    ALLOC_GROW(l->vcpus, need, vcpus_alloc) < 0 ||
	    ALLOC_GROW(l->package_cpu, need, pcpu_alloc) < 0 ||
	    ALLOC_GROW(l->package_held, need, held_alloc) < 0 || ALLOC_GROW(l->part, need, part_alloc) < 0)
		return -ENOMEM;
	l->tick_alloc = who_alloc;
	return 0;
}

/*
 * Where @vm's CPU time went this tick, package by package: its CPU time
 * and vCPUs, shared out as its threads' CPU time was this tick (the last
 * tick it had any; before any, as the packages' CPU counts are).
 */
static int vm_place(const struct topology *t, struct ledger_vm *vm, const struct vm_info *info)
{
	uint64_t raw[TOPOLOGY_PACKAGES_MAX], sum = 0, weight_sum = 0;
	const uint64_t *weight;
	bool known, delta;
	uint64_t vcpus = info->vcpus ? info->vcpus : 1;

	if (vm_packages(vm, t->npackages) < 0)
		return -ENOMEM;
	weight = vm->placement;
	known = info->running && info->npackages == t->npackages;
	delta = known && vm->package_primed;

	for (unsigned k = 0; k < t->npackages && delta; k++) {
		if (info->package_ns[k] < vm->last_package_ns[k])
			delta = false;  /* a new process: count from here */
		else
			sum += raw[k] = info->package_ns[k] - vm->last_package_ns[k];
	}
	if (known)
		memcpy(vm->last_package_ns, info->package_ns, t->npackages * sizeof(uint64_t));
	vm->package_primed = known;
	if (delta && sum) {
		memcpy(vm->placement, raw, t->npackages * sizeof(uint64_t));
		vm->placed = true;
	}
	if (!vm->placed) {
		for (unsigned k = 0; k < t->npackages; k++)
			raw[k] = t->packages[k].ncpus;
		weight = raw;
	}
	for (unsigned k = 0; k < t->npackages; k++)
		weight_sum += weight[k];
	for (unsigned k = 0; k < t->npackages && weight_sum; k++) {
		unsigned __int128 w = weight[k];

		vm->package_cpu_ns[k] = (uint64_t)(w * vm->cpu_delta_ns / weight_sum);
		vm->package_held[k] = (uint64_t)(w * vcpus * ATTRIBUTION_VCPU_ONE / weight_sum);
	}
	return 0;
}

/* Take the source's view of the VMs: CPU deltas, who is running. */
static int sync_vms(struct ledger *l, const struct vm_list *vms)
{
	for (size_t i = 0; i < l->nvms; i++) {
		l->vms[i].cpu_delta_ns = 0;
		if (vms)
			l->vms[i].present = l->vms[i].announced;
	}
	if (!vms) {
		/* The source is away: nobody's CPU time is known. */
		for (size_t i = 0; i < l->nvms; i++) {
			l->vms[i].primed = false;
			l->vms[i].package_primed = false;
		}
		return 0;
	}
	if (ALLOC_GROW(l->list_at, vms->n, l->list_at_alloc) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < vms->n; i++) {
		const struct vm_info *info = &vms->vms[i];
		struct ledger_vm *vm;

		/* where the list's VM was at the last tick, most often where it still is */
		if (i < l->list_at_n && l->list_at[i] < l->nvms &&
		    !strcmp(l->vms[l->list_at[i]].info.uuid, info->uuid))
			vm = &l->vms[l->list_at[i]];
		else
			vm = ledger_add_vm(l, info->uuid);
		if (!vm || ledger_vm_set_name(vm, info->name) < 0)
			return -ENOMEM;
		l->list_at[i] = (size_t)(vm - l->vms);
		/* the name is the ledger's own; package times are the list's */
		vm->info.vcpus = info->vcpus;
		vm->info.running = info->running;
		vm->info.persistent = info->persistent;
		vm->info.cpu_ns = info->cpu_ns;
		vm->present = true;
		vm->last_seen = l->ticks;
		if (!info->running) {
			vm->primed = false;
			vm->package_primed = false;
			continue;
		}
		/* A CPU time that went back is a restarted VM: count from here. */
		if (vm->primed && info->cpu_ns >= vm->last_cpu_ns)
			vm->cpu_delta_ns = info->cpu_ns - vm->last_cpu_ns;
		vm->last_cpu_ns = info->cpu_ns;
		vm->step_cpu_ns += vm->cpu_delta_ns;
		vm->primed = true;
		if (topology_per_package(l->cfg.topology) && vm_place(l->cfg.topology, vm, info) < 0)
			return -ENOMEM;
	}
	l->list_at_n = vms->n;
	/* Forget VMs long gone; their counters have been saved. */
	for (size_t i = 0; i < l->nvms; ) {
		struct ledger_vm *vm = &l->vms[i];

		if (!vm->present && !vm->participating && l->cfg.retain_ticks &&
		    l->ticks - vm->last_seen > l->cfg.retain_ticks) {
			vm_free_contents(vm);
			memmove(vm, vm + 1, (l->nvms - i - 1) * sizeof(*vm));
			l->nvms--;
			continue;
		}
		i++;
	}
	return 0;
}

static void sync_zones(struct ledger *l, const struct powercap *pc, bool per_package, uint64_t interval_ns)
{
	for (size_t i = 0; i < l->nzones; i++) {
		l->zones[i].present = false;
		l->zones[i].valid = false;
		l->zones[i].host_delta_uj = 0;
	}
	for (size_t i = 0; pc && i < pc->nzones; i++) {
		const struct zone *src = &pc->zones[i];
		int idx = ledger_add_zone(l, src->id, src->name);
		struct ledger_zone *z;

		if (idx < 0) {
			log_warning("out of memory: zone '%s' not attributed", src->id);
			continue;
		}
		z = &l->zones[idx];
		z->present = true;
		z->depth = src->depth;
		z->in_total = powercap_zone_in_total(pc, src);
		z->package = per_package ? topology_zone_package(l->cfg.topology, pc, src) : -1;
		z->max_energy_range_uj = src->max_energy_range_uj;
		z->valid = src->valid;
		if (!src->valid)
			continue;
		z->host_delta_uj = src->delta_uj;
		z->host_energy_uj += src->delta_uj;
		z->host_step_uj += src->delta_uj;
		z->step_valid = true;
		if (interval_ns)
			zone_learn_idle(l, z, (double)src->delta_uj * 1e3 / (double)interval_ns);
	}
}

int ledger_tick(struct ledger *l, const struct powercap *pc, const struct vm_list *vms,
		uint64_t busy_ns, unsigned ncpu, uint64_t interval_ns)
{
	return ledger_tick_packages(l, pc, vms, busy_ns, ncpu, NULL, interval_ns);
}

int ledger_tick_packages(struct ledger *l, const struct powercap *pc, const struct vm_list *vms,
			 uint64_t busy_ns, unsigned ncpu, const uint64_t *package_busy_ns,
			 uint64_t interval_ns)
{
	const struct topology *topo = l->cfg.topology;
	size_t n = 0;
	int ret;

	l->ticks++;
	sync_zones(l, pc, package_busy_ns && topology_per_package(topo), interval_ns);
	ret = sync_vms(l, vms);
	if (ret == 0)
		ret = ensure_tick_arrays(l);
	if (ret < 0)
		return log_error(ret, "out of memory: tick skipped");

	/* Participants: VMs running now. Those that stopped hand their carried
	 * fractions back to the remainder. */
	for (size_t i = 0; i < l->nvms; i++) {
		struct ledger_vm *vm = &l->vms[i];
		bool running = vms && vm->present && vm->info.running;

		if (vm->participating && !running)
			for (size_t z = 0; z < l->nzones; z++)
				attribution_retire(&vm->shares[z], &l->zones[z].remainder);
		vm->participating = running;
		for (size_t z = 0; z < l->nzones; z++)
			vm->shares[z].delta_uj = 0;
		if (!running)
			continue;
		l->cpu[n] = vm->cpu_delta_ns;
		l->vcpus[n] = vm->info.vcpus ? vm->info.vcpus : 1;
		l->part[n++] = i;
	}

	for (size_t z = 0; z < l->nzones; z++) {
		struct ledger_zone *zone = &l->zones[z];
		struct tick_input in = {
			.policy = l->cfg.policy,
			.energy_uj = zone->host_delta_uj,
			.interval_ns = interval_ns,
			.busy_ns = busy_ns,
			.ncpu = ncpu ? ncpu : 1,
			.idle_watts = zone->idle_watts,
			.nvms = n,
			.cpu_ns = l->cpu,
			.vcpus = l->vcpus,
		};
		size_t k = 0;
		int p = zone->package;

		if (zone->host_only)
			in.nvms = 0;  /* all of it is the host's: the remainder */
		/* the participants, in one list for every zone: their shares here */
		for (; k < in.nvms; k++) {
			struct ledger_vm *vm = &l->vms[l->part[k]];

			if (p >= 0) {
				bool placed = (unsigned)p < vm->npackages;

				l->package_cpu[k] = placed ? vm->package_cpu_ns[p] : 0;
				l->package_held[k] = placed ? vm->package_held[p] : 0;
			}
			l->who[k] = &vm->shares[z];
		}
		if (p >= 0) {
			/* the package's own CPUs, busy time and VMs' time on them */
			in.busy_ns = package_busy_ns[p];
			in.ncpu = topo->packages[p].ncpus ? topo->packages[p].ncpus : 1;
			in.cpu_ns = l->package_cpu;
			in.held = l->package_held;
		}
		l->who[k] = &zone->remainder;
		zone->remainder.delta_uj = 0;
		if (!zone->valid)
			continue;  /* nothing measured, nothing to split */
		ret = attribution_tick(&in, l->who, &l->scratch);
		if (ret < 0)
			return log_error(ret, "out of memory: tick skipped");
		for (size_t i = 0; i <= k; i++)
			l->who[i]->step_uj += l->who[i]->delta_uj;
		if (zone->host_energy_uj > zone->host_ceiling_uj ||
		    zone->remainder.energy_uj > zone->remainder_ceiling_uj)
			l->dirty = true;
		for (size_t i = 0; i < k; i++)
			if (l->who[i]->energy_uj > l->vms[l->part[i]].ceilings[z])
				l->dirty = true;
	}
	return 0;
}

int ledger_announce(struct ledger *l, const char *uuid, const char *name, bool on)
{
	struct ledger_vm *vm = on ? ledger_add_vm(l, uuid) : ledger_find_vm(l, uuid);

	if (!vm)
		return on ? -ENOMEM : 0;
	vm->announced = on;
	if (on) {
		if (ledger_vm_set_name(vm, name) < 0)
			return -ENOMEM;
		vm->present = true;
		vm->last_seen = l->ticks;
	}
	return 0;
}

void ledger_reset_step(struct ledger *l)
{
	for (size_t z = 0; z < l->nzones; z++) {
		l->zones[z].host_step_uj = 0;
		l->zones[z].step_valid = false;
		l->zones[z].remainder.step_uj = 0;
		for (size_t i = 0; i < l->nvms; i++)
			l->vms[i].shares[z].step_uj = 0;
	}
	for (size_t i = 0; i < l->nvms; i++)
		l->vms[i].step_cpu_ns = 0;
}

void ledger_renew_ceilings(struct ledger *l, unsigned lease_ticks)
{
	for (size_t z = 0; z < l->nzones; z++) {
		struct ledger_zone *zone = &l->zones[z];

		zone->host_ceiling_uj = ledger_lease_uj(zone->host_energy_uj, zone->host_delta_uj, lease_ticks);
		zone->remainder_ceiling_uj = ledger_lease_uj(zone->remainder.energy_uj, zone->remainder.delta_uj,
							     lease_ticks);
		for (size_t i = 0; i < l->nvms; i++)
			l->vms[i].ceilings[z] = ledger_lease_uj(l->vms[i].shares[z].energy_uj,
								l->vms[i].shares[z].delta_uj, lease_ticks);
	}
	l->dirty = false;
}

/* Hold @v at @ceiling: whether it was above. */
static bool hold(uint64_t *v, uint64_t ceiling)
{
	if (*v <= ceiling)
		return false;
	*v = ceiling;
	return true;
}

size_t ledger_hold_at_ceilings(struct ledger *l)
{
	size_t held = 0;

	for (size_t z = 0; z < l->nzones; z++) {
		struct ledger_zone *zone = &l->zones[z];

		held += hold(&zone->host_energy_uj, zone->host_ceiling_uj);
		held += hold(&zone->remainder.energy_uj, zone->remainder_ceiling_uj);
		for (size_t i = 0; i < l->nvms; i++)
			held += hold(&l->vms[i].shares[z].energy_uj, l->vms[i].ceilings[z]);
	}
	return held;
}

int ledger_view_update(struct ledger_view *v, const struct ledger *l)
{
	v->ledger = l;
	v->nzones = v->nvms = 0;
	if (ALLOC_GROW(v->zone, l->nzones, v->zone_alloc) < 0 || ALLOC_GROW(v->vm, l->nvms, v->vm_alloc) < 0)
		return -ENOMEM;
	for (size_t z = 0; z < l->nzones; z++)
		if (l->zones[z].present)
			v->zone[v->nzones++] = z;
	for (size_t i = 0; i < l->nvms; i++)
		if (l->vms[i].present)
			v->vm[v->nvms++] = i;
	return 0;
}

void ledger_view_release(struct ledger_view *v)
{
	free(v->zone);
	free(v->vm);
	*v = (struct ledger_view){ 0 };
}
