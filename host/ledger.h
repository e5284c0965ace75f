/* SPDX-License-Identifier: MIT */
/*
 * The ledger: every VM's energy counters per host zone, and the host's
 * remainder, advanced tick by tick. Counters are keyed by the VM's UUID and
 * only grow; what a guest is shown is a counter modulo the zone's
 * max_energy_range_uj.
 */
#ifndef VPOWERCAP_LEDGER_H
#define VPOWERCAP_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/attribution.h"
#include "common/powercap.h"
#include "host/topology.h"
#include "host/vmsource.h"

/* Samples of a zone's power kept to learn its idle power (split policy). */
#define IDLE_WINDOW 600

struct ledger_zone {
	char id[ZONE_ID_MAX];
	char name[ZONE_NAME_MAX];
	unsigned depth;
	bool in_total;               /* counts towards the machine total */
	bool host_only;              /* split to no VM, shown in no VM's tree (AMD's core) */
	int package;                 /* index of the package it measures, -1: host-wide */
	bool present;                /* in the sensor's tree now */
	bool valid;                  /* host_delta_uj is this tick's */
	uint64_t max_energy_range_uj;
	uint64_t host_energy_uj;     /* the host's energy, accumulated */
	uint64_t host_delta_uj;
	uint64_t host_step_uj;       /* since ledger_reset_step() */
	bool step_valid;             /* some tick since then was valid */
	uint64_t host_ceiling_uj;
	struct share remainder;      /* what no VM was given */
	uint64_t remainder_ceiling_uj;
	double idle_watts;           /* configured (>= 0) or learned */
	bool idle_configured;
	float *idle_samples;         /* ring of observed watts, learned only */
	unsigned idle_count, idle_next;
};

struct ledger_vm {
	/*
	 * As last listed, but for the name, the ledger's own copy (set with
	 * ledger_vm_set_name(), "" at first), and the package times, which
	 * are not kept (npackages 0).
	 */
	struct vm_info info;
	bool present;                /* listed by the source at the last tick, or announced */
	bool announced;              /* by the libvirt hook: a domain starting up */
	bool primed;                 /* last_cpu_ns is a sound base */
	bool participating;          /* took part in the last tick's split */
	uint64_t last_cpu_ns;
	uint64_t cpu_delta_ns;
	uint64_t step_cpu_ns;        /* since ledger_reset_step() */
	uint64_t last_seen;          /* tick number it was last listed */
	struct share *shares;        /* one per ledger zone */
	uint64_t *ceilings;          /* persisted bound of each share's energy */
	/*
	 * On hosts of several packages (all indexed as the topology's):
	 * npackages entries each, in one block allocated at the VM's first
	 * placement (none on hosts of one package); 0 entries read as 0.
	 */
	bool package_primed;         /* last_package_ns is a sound base */
	bool placed;                 /* placement holds a tick's CPU time by package */
	unsigned npackages;
	uint64_t *last_package_ns;
	uint64_t *placement;         /* the last tick's with any */
	uint64_t *package_cpu_ns;    /* this tick, Δc_v,p */
	uint64_t *package_held;      /* vCPUs held, in ATTRIBUTION_VCPU_ONE */
};

struct ledger_config {
	enum policy policy;
	/* split: idle watts by zone name ("package-0"), -1 when learned */
	double (*idle_watts)(const char *zone_name, void *arg);
	void *idle_arg;
	uint64_t retain_ticks;       /* forget a VM unlisted for this long */
	/* the host's packages: with two or more, each package's zones are
	 * split by the CPU time spent on it (NULL: every zone host-wide) */
	const struct topology *topology;
	/* AMD's RAPL 'core' zone counts one core's energy (the package's
	 * lead CPU's register): not the VMs' to split, the host's alone */
	bool core_host_only;
};

struct ledger {
	struct ledger_config cfg;
	struct ledger_zone *zones;
	size_t nzones;
	struct ledger_vm *vms;       /* sorted by uuid */
	size_t nvms, vms_alloc;
	uint64_t ticks;
	bool dirty;                  /* a share passed its ceiling: persist now */
	struct attribution_scratch scratch;
	struct share **who;          /* per-tick list of participants */
	size_t *part;                /* their index in vms */
	uint64_t *cpu;               /* their CPU time this tick */
	unsigned *vcpus;
	uint64_t *package_cpu;       /* their CPU time on one package, then */
	uint64_t *package_held;      /* and the vCPUs they hold on it */
	size_t tick_alloc;
	/* where each VM of the last tick's list was in vms: a guess, checked */
	size_t *list_at;
	size_t list_at_n, list_at_alloc;
};

/** Set up an empty ledger. Release with ledger_release(). */
void ledger_init(struct ledger *l, const struct ledger_config *cfg);

/** Apply a new configuration (policy, idle watts) from the next tick on. */
void ledger_configure(struct ledger *l, const struct ledger_config *cfg);

void ledger_release(struct ledger *l);

/**
 * One tick: take the zones' deltas from @pc, the VMs and their CPU times
 * from @vms (NULL when the source is away: then no VM is given energy this
 * tick and every VM's CPU time is re-based), the host's busy CPU time
 * @busy_ns and CPU count over @interval_ns, and split each zone's energy.
 * Returns 0 or -ENOMEM (the tick is then incomplete but consistent).
 */
int ledger_tick(struct ledger *l, const struct powercap *pc, const struct vm_list *vms,
		uint64_t busy_ns, unsigned ncpu, uint64_t interval_ns);

/**
 * ledger_tick(), with each package's busy CPU time @package_busy_ns (as
 * many as the configured topology has packages; NULL: not known, every
 * zone split host-wide). Zones of one package are split by the VMs' CPU
 * time on that package (docs/attribution.md).
 */
int ledger_tick_packages(struct ledger *l, const struct powercap *pc, const struct vm_list *vms,
			 uint64_t busy_ns, unsigned ncpu, const uint64_t *package_busy_ns,
			 uint64_t interval_ns);

/**
 * The libvirt hook says domain @uuid (@name) is about to start (@on) or
 * has ended (!@on). An announced VM is present, so its directory exists,
 * whether or not its source lists it yet. Returns 0 or -ENOMEM.
 */
int ledger_announce(struct ledger *l, const char *uuid, const char *name, bool on);

/** Start a new reporting step: zero every step_ counter. */
void ledger_reset_step(struct ledger *l);

/** The VM with @uuid, or NULL. */
struct ledger_vm *ledger_find_vm(struct ledger *l, const char *uuid);

/** Add (or find) the VM with @uuid; NULL when out of memory. */
struct ledger_vm *ledger_add_vm(struct ledger *l, const char *uuid);

/**
 * Set @vm's name to a copy of @name, cut under VM_NAME_MAX bytes. Returns
 * 0, or -ENOMEM with the old name kept.
 */
int ledger_vm_set_name(struct ledger_vm *vm, const char *name);

/** Add (or find) the zone @id; -1 when out of memory. */
int ledger_add_zone(struct ledger *l, const char *id, const char *name);

/** The index of zone @id, or -1. */
int ledger_find_zone(const struct ledger *l, const char *id);

/**
 * A counter's bound until the next save: @energy_uj plus @lease_ticks
 * ticks at its last rate @delta_uj, one joule at least.
 */
static inline uint64_t ledger_lease_uj(uint64_t energy_uj, uint64_t delta_uj, unsigned lease_ticks)
{
	uint64_t ahead = delta_uj * lease_ticks;

	return energy_uj + (ahead > 1000000 ? ahead : 1000000);
}

/**
 * Set every counter's ceiling to where it may safely grow before the next
 * save: ledger_lease_uj() of it. Call once the state with those ceilings
 * is saved (state_save() with the same @lease_ticks), never before: a
 * ceiling is a promise that a restart resumes at least there.
 */
void ledger_renew_ceilings(struct ledger *l, unsigned lease_ticks);

/**
 * Hold every counter at its ceiling, the bound that is saved: what a
 * guest may be shown while saves fail. Counters stand still there, and
 * the energy above is lost, never shown and then taken back by a restart.
 * Returns how many counters were held.
 */
size_t ledger_hold_at_ceilings(struct ledger *l);

/** What the guest is shown: @energy_uj modulo the zone's range. */
static inline uint64_t ledger_shown_uj(const struct ledger_zone *z, uint64_t energy_uj)
{
	return z->max_energy_range_uj ? energy_uj % z->max_energy_range_uj : energy_uj;
}

/*
 * What is presented of a ledger: the zones present in the sensor's tree and
 * the VMs present (listed or announced), in ledger order. The guests' trees
 * and every exporter walk this one view, so they cannot disagree on what
 * exists.
 */
struct ledger_view {
	const struct ledger *ledger;
	size_t nzones, nvms;
	size_t *zone;                /* ledger index of each zone presented */
	size_t *vm;                  /* ledger index of each VM presented */
	size_t zone_alloc, vm_alloc;
};

/** Take the view of @l as it is now (after a tick). Returns 0 or -ENOMEM. */
int ledger_view_update(struct ledger_view *v, const struct ledger *l);

void ledger_view_release(struct ledger_view *v);

static inline const struct ledger_zone *ledger_view_zone(const struct ledger_view *v, size_t z)
{
	return &v->ledger->zones[v->zone[z]];
}

static inline const struct ledger_vm *ledger_view_vm(const struct ledger_view *v, size_t i)
{
	return &v->ledger->vms[v->vm[i]];
}

/** VM @i's share of zone @z (both indexes in the view). */
static inline const struct share *ledger_view_share(const struct ledger_view *v, size_t i, size_t z)
{
	return &ledger_view_vm(v, i)->shares[v->zone[z]];
}

/** What VM @i's guest is shown of zone @z. */
static inline uint64_t ledger_view_shown_uj(const struct ledger_view *v, size_t i, size_t z)
{
	return ledger_shown_uj(ledger_view_zone(v, z), ledger_view_share(v, i, z)->energy_uj);
}

#endif
