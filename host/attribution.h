/* SPDX-License-Identifier: MIT */
/*
 * Splitting one zone's energy over one tick between VMs and the host
 * remainder, in whole microjoules that add up exactly. Each participant
 * carries the fraction of a microjoule it was not (or was over-) given to
 * the next tick, so no rounding is lost or invented over time.
 */
#ifndef VPOWERCAP_ATTRIBUTION_H
#define VPOWERCAP_ATTRIBUTION_H

#include <stddef.h>
#include <stdint.h>

enum policy {
	POLICY_BUSY,
	POLICY_CAPACITY,
	POLICY_SPLIT,
	POLICY_COUNT,
};

/** "busy", "capacity", "split", NULL-terminated, indexed by the enum. */
extern const char *const policy_names[];

/* One participant's counter in one zone. */
struct share {
	uint64_t energy_uj;   /* what it has been given, ever (64-bit, no wrap) */
	int64_t carry_pj;     /* exact share not yet given (+) or given ahead (-), in pJ */
	uint64_t delta_uj;    /* given at the last tick */
	uint64_t step_uj;     /* given since its reader last looked (not used here) */
};

struct tick_input {
	enum policy policy;
	uint64_t energy_uj;   /* the zone's ΔE this tick */
	uint64_t interval_ns; /* Δt */
	uint64_t busy_ns;     /* the host's busy CPU time this tick, Δc_busy */
	unsigned ncpu;
	double idle_watts;    /* split: the zone's idle power */
	size_t nvms;
	const uint64_t *cpu_ns;  /* each VM's CPU time this tick, Δc_v */
	const unsigned *vcpus;   /* each VM's vCPUs */
	/*
	 * split, for a zone of one package of several: the vCPUs each VM holds
	 * on that package, in 1/ATTRIBUTION_VCPU_ONE of a vCPU, in place of
	 * vcpus (NULL: vcpus, whole). ncpu is then the package's.
	 */
	const uint64_t *held;
};

/* The unit of tick_input.held: one vCPU (a millionth is the grain). */
#define ATTRIBUTION_VCPU_ONE 1000000ULL

/* Working memory for attribution_tick, kept between ticks. */
struct attribution_scratch {
	int64_t *due;
	int64_t *frac;   /* what each is due past its whole microjoules, the order's key */
	size_t *order;
	size_t alloc;
};

/**
 * Split @in->energy_uj between the VMs and the host remainder by
 * @in->policy (see docs/attribution.md). @shares holds the VMs' shares in
 * the order of @in's arrays, then the remainder's: in->nvms + 1 entries.
 * Afterwards their delta_uj add up to @in->energy_uj exactly, and each
 * one's energy_uj has grown by its delta_uj. Returns 0, or -ENOMEM when
 * @scratch could not grow (then nothing changed).
 */
int attribution_tick(const struct tick_input *in, struct share *const *shares,
		     struct attribution_scratch *scratch);

/** Free @scratch's arrays. */
void attribution_scratch_release(struct attribution_scratch *scratch);

/**
 * A VM leaves the zone: its carried fraction goes to @remainder, so the
 * carries of those left still add up to zero.
 */
void attribution_retire(struct share *vm, struct share *remainder);

#endif
