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
/*
 * floor(@total_pj * @num / @den), exactly. With total = q * den + r, that
 * is q * num + floor(r * num / den): two 64-bit divisions where r * num
 * fits in 64 bits (a VM's CPU time against the host's, the usual case),
 * the 128-bit product otherwise. num <= den, so the share fits.
 */
static int64_t share_of(int64_t total_pj, uint64_t num, uint64_t den)
{
	uint64_t q, r, rn;

	if (!den || !num || total_pj <= 0)
		return 0;
	q = (uint64_t)total_pj / den;
	r = (uint64_t)total_pj % den;
	if (num > den || __builtin_mul_overflow(r, num, &rn))
		return (int64_t)((__int128)total_pj * num / den);
	return (int64_t)(q * num + rn / den);
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

/* the fractions, in one array: the selection compares them without going through each share */
static const int64_t *sort_frac;

static int by_fraction_desc(const void *a, const void *b)
{
	int64_t fa = sort_frac[*(const size_t *)a], fb = sort_frac[*(const size_t *)b];

	return (fa < fb) - (fa > fb);
}

/* Whether participant @a comes before @b: the larger fraction, or on a tie the first. */
static bool comes_before(size_t a, size_t b)
{
	int64_t fa = sort_frac[a], fb = sort_frac[b];

	return fa > fb || (fa == fb && a < b);
}

static void swap_order(size_t *order, size_t i, size_t j)
{
	size_t t = order[i];

	order[i] = order[j];
	order[j] = t;
}

/*
 * Bring the @k participants that come first (comes_before()) to the front
 * of @order[0..@n), in no particular order among themselves: the same
 * ones a sort would put first (ties go to the first, as the stable sort
 * left them), in linear time rather than a sort's n log n. Quickselect,
 * with the median of three as pivot.
 */
static void select_first(size_t *order, size_t n, size_t k)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1 && k > lo && k < hi) {
		size_t mid = lo + (hi - lo) / 2, last = hi - 1, store = lo;

		/* the median of order[lo], order[mid], order[last] goes to last */
		if (comes_before(order[mid], order[lo]))
			swap_order(order, mid, lo);
		if (comes_before(order[last], order[lo]))
			swap_order(order, last, lo);
		if (comes_before(order[mid], order[last]))
			swap_order(order, mid, last);
		for (size_t i = lo; i < last; i++)
			if (comes_before(order[i], order[last]))
				swap_order(order, i, store++);
		swap_order(order, store, last);
		/* order[lo..store) come before the pivot, now at store */
		if (k <= store)
			hi = store;
		else
			lo = store + 1;
	}
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
static void apportion(struct share *const *who, const int64_t *due, int64_t *frac, size_t *order, size_t n,
		      uint64_t energy_uj)
{
	int64_t left = (int64_t)energy_uj;

	for (size_t i = 0; i < n; i++) {
		int64_t give = floor_uj(due[i]);

		if (give < 0)
			give = 0;
		who[i]->delta_uj = (uint64_t)give;
		frac[i] = due[i] - give * PJ_PER_UJ;
		left -= give;
		order[i] = i;
	}
	/* qsort has no context argument; apportion is not re-entered. */
	sort_frac = frac;
	if (left > 0 && (uint64_t)left < n) {
		/* the usual case: a microjoule more each to the @left largest fractions */
		select_first(order, n, (size_t)left);
		for (size_t k = 0; k < (size_t)left; k++)
			who[order[k]]->delta_uj++;
		left = 0;
	} else if (left != 0) {
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
	size_t n = in->nvms, due_alloc = scratch->alloc, frac_alloc = scratch->alloc, order_alloc = scratch->alloc;
	int64_t vm_sum;

	/* parallel arrays: from one size, all grow to the same new size */
	if (ALLOC_GROW(scratch->due, n + 1, due_alloc) < 0 ||
	    ALLOC_GROW(scratch->frac, n + 1, frac_alloc) < 0 ||
	    ALLOC_GROW(scratch->order, n + 1, order_alloc) < 0)
		return -ENOMEM;
	scratch->alloc = due_alloc;
	vm_sum = exact_shares(in, scratch->due);
	/* The remainder takes part as the last participant. */
	scratch->due[n] = (int64_t)in->energy_uj * PJ_PER_UJ - vm_sum;
	for (size_t i = 0; i <= n; i++)
		scratch->due[i] += shares[i]->carry_pj;
	apportion(shares, scratch->due, scratch->frac, scratch->order, n + 1, in->energy_uj);
	return 0;
}

void attribution_scratch_release(struct attribution_scratch *scratch)
{
	free(scratch->due);
	free(scratch->frac);
	free(scratch->order);
	scratch->due = NULL;
	scratch->frac = NULL;
	scratch->order = NULL;
	scratch->alloc = 0;
}

void attribution_retire(struct share *vm, struct share *remainder)
{
	remainder->carry_pj += vm->carry_pj;
	vm->carry_pj = 0;
}
