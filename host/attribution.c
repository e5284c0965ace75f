// SPDX-License-Identifier: MIT
/* The attribution policies and exact integer apportionment. */
#include "host/attribution.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/alloc.h"

const char *const policy_names[] = {
	[POLICY_BUSY] = "busy",
	[POLICY_CAPACITY] = "capacity",
	[POLICY_SPLIT] = "split",
	[POLICY_COUNT] = NULL,
};

#define PJ_PER_UJ 1000000LL

/* @total_pj * @num / @den, rounded down; 0 when @den is 0. */
static int64_t share_of(int64_t total_pj, uint64_t num, uint64_t den)
{
	if (!den || !num || total_pj <= 0)
		return 0;
	return (int64_t)((__int128)total_pj * num / den);
}

/*
 * Each VM's exact share of the zone's energy this tick, in pJ, into
 * @exact[0..nvms). Returns their sum; the rest is the host's.
 */
static int64_t exact_shares(const struct tick_input *in, int64_t *exact)
{
	int64_t total_pj = (int64_t)in->energy_uj * PJ_PER_UJ, idle_pj = 0, sum = 0;
	uint64_t cpu_sum = 0, vcpu_sum = 0, busy, capacity, slots;

	for (size_t i = 0; i < in->nvms; i++) {
		cpu_sum += in->cpu_ns[i];
		vcpu_sum += in->held ? in->held[i] : in->vcpus[i];
	}
	/* Sampling skew can make the VMs' CPU time exceed the host's. */
	busy = cpu_sum > in->busy_ns ? cpu_sum : in->busy_ns;
	capacity = (uint64_t)in->ncpu * in->interval_ns;
	if (cpu_sum > capacity)
		capacity = cpu_sum;
	slots = in->held ? (uint64_t)in->ncpu * ATTRIBUTION_VCPU_ONE : in->ncpu;
	if (vcpu_sum > slots)
		slots = vcpu_sum;

	if (in->policy == POLICY_SPLIT) {
		double idle = in->idle_watts * (double)in->interval_ns / 1e9 * 1e6;  /* µJ */

		idle_pj = idle >= (double)in->energy_uj ? total_pj : (int64_t)idle * PJ_PER_UJ;
	}
	for (size_t i = 0; i < in->nvms; i++) {
		switch (in->policy) {
		case POLICY_BUSY:
			exact[i] = share_of(total_pj, in->cpu_ns[i], busy);
			break;
		case POLICY_CAPACITY:
			exact[i] = share_of(total_pj, in->cpu_ns[i], capacity);
			break;
		case POLICY_SPLIT:
		default:
			exact[i] = share_of(idle_pj, in->held ? in->held[i] : in->vcpus[i], slots) +
				   share_of(total_pj - idle_pj, in->cpu_ns[i], busy);
			break;
		}
		sum += exact[i];
	}
	return sum;
}

/* Floor division for a possibly negative numerator. */
static int64_t floor_uj(int64_t pj)
{
	return pj >= 0 ? pj / PJ_PER_UJ : -((-pj + PJ_PER_UJ - 1) / PJ_PER_UJ);
}

static const int64_t *sort_due;
static struct share *const *sort_who;

static int64_t frac_of(size_t i)
{
	return sort_due[i] - (int64_t)sort_who[i]->delta_uj * PJ_PER_UJ;
}

static int by_fraction_desc(const void *a, const void *b)
{
	int64_t fa = frac_of(*(const size_t *)a), fb = frac_of(*(const size_t *)b);

	return (fa < fb) - (fa > fb);
}

/*
 * Give out @energy_uj whole microjoules to @n participants whose exact due
 * (share plus carry) is @due[i] pJ, the dues adding up to energy_uj * 1e6.
 * Everyone gets the floor of their due (never below zero); what is left is
 * handed out one microjoule each to the largest fractions (the largest
 * remainder method), or, when zero floors made the floors overshoot, taken
 * back from the smallest fractions. Carries stay within (-1, 2) µJ and add
 * up to zero, so over time everyone gets their exact share.
 */
static void apportion(struct share *const *who, const int64_t *due, size_t *order, size_t n,
		      uint64_t energy_uj)
{
	int64_t left = (int64_t)energy_uj;

	for (size_t i = 0; i < n; i++) {
		int64_t give = floor_uj(due[i]);

		if (give < 0)
			give = 0;
		who[i]->delta_uj = (uint64_t)give;
		left -= give;
		order[i] = i;
	}
	if (left != 0) {
		/* qsort has no context argument; apportion is not re-entered. */
		sort_due = due;
		sort_who = who;
		qsort(order, n, sizeof(*order), by_fraction_desc);
	}
	for (size_t k = 0; left > 0 && k < n; k++, left--)
		who[order[k]]->delta_uj++;
	for (size_t k = n; left < 0 && k-- > 0; ) {
		if (who[order[k]]->delta_uj) {
			who[order[k]]->delta_uj--;
			left++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		who[i]->carry_pj = due[i] - (int64_t)who[i]->delta_uj * PJ_PER_UJ;
		who[i]->energy_uj += who[i]->delta_uj;
	}
}

int attribution_tick(const struct tick_input *in, struct share *const *shares,
		     struct attribution_scratch *scratch)
{
	size_t n = in->nvms, due_alloc = scratch->alloc, order_alloc = scratch->alloc;
	int64_t vm_sum;

	/* parallel arrays: from one size, both grow to the same new size */
	if (ALLOC_GROW(scratch->due, n + 1, due_alloc) < 0 ||
	    ALLOC_GROW(scratch->order, n + 1, order_alloc) < 0)
		return -ENOMEM;
	scratch->alloc = due_alloc;
	vm_sum = exact_shares(in, scratch->due);
	/* The remainder takes part as the last participant. */
	scratch->due[n] = (int64_t)in->energy_uj * PJ_PER_UJ - vm_sum;
	for (size_t i = 0; i <= n; i++)
		scratch->due[i] += shares[i]->carry_pj;
	apportion(shares, scratch->due, scratch->order, n + 1, in->energy_uj);
	return 0;
}

void attribution_scratch_release(struct attribution_scratch *scratch)
{
	free(scratch->due);
	free(scratch->order);
	scratch->due = NULL;
	scratch->order = NULL;
	scratch->alloc = 0;
}

void attribution_retire(struct share *vm, struct share *remainder)
{
	remainder->carry_pj += vm->carry_pj;
	vm->carry_pj = 0;
}
