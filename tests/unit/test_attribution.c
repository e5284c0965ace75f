// SPDX-License-Identifier: MIT
/* Tests of the attribution policies and their exact apportionment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "host/attribution.h"

#define MAX_VMS 64

struct world {
	struct share vm[MAX_VMS];
	struct share rest;
	struct share *who[MAX_VMS + 1];
	uint64_t cpu[MAX_VMS];
	unsigned vcpus[MAX_VMS];
	struct attribution_scratch scratch;
};

static void tick(struct world *w, struct tick_input *in)
{
	for (size_t i = 0; i < in->nvms; i++)
		w->who[i] = &w->vm[i];
	w->who[in->nvms] = &w->rest;
	in->cpu_ns = w->cpu;
	in->vcpus = w->vcpus;
	assert_int_equal(attribution_tick(in, w->who, &w->scratch), 0);
}

static uint64_t sum_deltas(const struct world *w, size_t n)
{
	uint64_t s = w->rest.delta_uj;

	for (size_t i = 0; i < n; i++)
		s += w->vm[i].delta_uj;
	return s;
}

static void test_busy_formula(void **state)
{
	struct world w = { 0 };
	struct tick_input in = {
		.policy = POLICY_BUSY, .energy_uj = 3000000, .interval_ns = 1000000000,
		.busy_ns = 3000000000, .ncpu = 8, .nvms = 2,
	};

	(void)state;
	w.cpu[0] = 1500000000;
	w.cpu[1] = 1000000000;
	w.vcpus[0] = w.vcpus[1] = 2;
	tick(&w, &in);
	assert_int_equal(w.vm[0].delta_uj, 1500000);
	assert_int_equal(w.vm[1].delta_uj, 1000000);
	assert_int_equal(w.rest.delta_uj, 500000);
	/* skew: the VMs' CPU exceeds the host's; their sum is the divisor */
	in.busy_ns = 1000000000;
	tick(&w, &in);
	assert_int_equal(w.vm[0].delta_uj, 1800000);
	assert_int_equal(w.vm[1].delta_uj, 1200000);
	assert_int_equal(w.rest.delta_uj, 0);
	/* no busy time at all: everything to the remainder */
	in.busy_ns = 0;
	w.cpu[0] = w.cpu[1] = 0;
	tick(&w, &in);
	assert_int_equal(w.vm[0].delta_uj, 0);
	assert_int_equal(w.rest.delta_uj, 3000000);
	attribution_scratch_release(&w.scratch);
}

static void test_capacity_and_split(void **state)
{
	struct world w = { 0 };
	struct tick_input in = {
		.policy = POLICY_CAPACITY, .energy_uj = 8000000, .interval_ns = 1000000000,
		.busy_ns = 4000000000, .ncpu = 8, .nvms = 2,
	};

	(void)state;
	w.cpu[0] = 2000000000;
	w.cpu[1] = 1000000000;
	w.vcpus[0] = 2;
	w.vcpus[1] = 4;
	tick(&w, &in);
	assert_int_equal(w.vm[0].delta_uj, 2000000);  /* 8 J * 2 / 8 CPUs */
	assert_int_equal(w.vm[1].delta_uj, 1000000);
	assert_int_equal(w.rest.delta_uj, 5000000);

	/* split: 2 W idle over 1 s by vCPUs of max(6, 8) slots, 6 J by busy share */
	in.policy = POLICY_SPLIT;
	in.idle_watts = 2.0;
	tick(&w, &in);
	assert_int_equal(w.vm[0].delta_uj, 500000 + 3000000);
	assert_int_equal(w.vm[1].delta_uj, 1000000 + 1500000);
	assert_int_equal(sum_deltas(&w, 2), 8000000);
	/* idle above the zone's energy: all of it is idle */
	in.idle_watts = 100;
	tick(&w, &in);
	assert_int_equal(w.vm[0].delta_uj, 2000000);
	assert_int_equal(w.vm[1].delta_uj, 4000000);
	assert_int_equal(w.rest.delta_uj, 2000000);
	attribution_scratch_release(&w.scratch);
}

/*
 * Random ticks, every policy, many VMs: each tick the deltas add up to the
 * zone's energy exactly, and over many ticks each VM's total stays within
 * two microjoules of its exact share (rounding carried, not lost).
 */
static void test_conservation_random(void **state)
{
	struct world w = { 0 };
	long double exact[MAX_VMS] = { 0 };
	unsigned seed = 12345;

	(void)state;
	for (int t = 0; t < 20000; t++) {
		struct tick_input in = {
			.policy = (enum policy)(rand_r(&seed) % POLICY_COUNT),
			.energy_uj = (uint64_t)(rand_r(&seed) % 50),  /* tiny: rounding matters */
			.interval_ns = 1000000000,
			.ncpu = 4 + (unsigned)(rand_r(&seed) % 60),
			.idle_watts = (rand_r(&seed) % 100) / 1e6,
			.nvms = 17,
		};
		uint64_t cpu_sum = 0, vcpu_sum = 0, busy, cap, slots;

		if (t % 3 == 0)
			in.energy_uj = (uint64_t)(rand_r(&seed) % 100000000);
		for (size_t i = 0; i < in.nvms; i++) {
			w.cpu[i] = (uint64_t)(rand_r(&seed) % 1000) * 1000;
			w.vcpus[i] = 1 + (unsigned)(rand_r(&seed) % 8);
			cpu_sum += w.cpu[i];
			vcpu_sum += w.vcpus[i];
		}
		in.busy_ns = cpu_sum + (uint64_t)(rand_r(&seed) % 2000) * 1000 - 1000000;
		tick(&w, &in);
		assert_int_equal(sum_deltas(&w, in.nvms), in.energy_uj);
		/* the same formulas in floating point */
		busy = cpu_sum > in.busy_ns ? cpu_sum : in.busy_ns;
		cap = (uint64_t)in.ncpu * in.interval_ns;
		cap = cap > cpu_sum ? cap : cpu_sum;
		slots = vcpu_sum > in.ncpu ? vcpu_sum : in.ncpu;
		for (size_t i = 0; i < in.nvms; i++) {
			double e = (double)in.energy_uj, share;

			if (in.policy == POLICY_BUSY) {
				share = busy ? e * (double)w.cpu[i] / (double)busy : 0;
			} else if (in.policy == POLICY_CAPACITY) {
				share = e * (double)w.cpu[i] / (double)cap;
			} else {
				double idle = in.idle_watts * 1e6 >= e ? e : (double)(uint64_t)(in.idle_watts * 1e6);

				share = idle * w.vcpus[i] / (double)slots +
					(busy ? (e - idle) * (double)w.cpu[i] / (double)busy : 0);
			}
			exact[i] += share;
			assert_true(w.vm[i].carry_pj > -1000000 && w.vm[i].carry_pj < 2000000);
		}
	}
	for (size_t i = 0; i < 17; i++) {
		long double diff = (long double)w.vm[i].energy_uj - exact[i];

		assert_true(diff > -2.5 && diff < 2.5);
	}
	attribution_scratch_release(&w.scratch);
}

/* A VM that leaves hands its carry to the remainder: nothing vanishes. */
static void test_retire(void **state)
{
	struct world w = { 0 };
	struct tick_input in = {
		.policy = POLICY_BUSY, .energy_uj = 1, .interval_ns = 1000000000,
		.busy_ns = 3, .ncpu = 4, .nvms = 3,
	};
	uint64_t total = 0;

	(void)state;
	w.cpu[0] = w.cpu[1] = w.cpu[2] = 1;
	for (int t = 0; t < 10; t++) {
		tick(&w, &in);
		total += in.energy_uj;
	}
	attribution_retire(&w.vm[2], &w.rest);
	in.nvms = 2;
	for (int t = 0; t < 10; t++) {
		tick(&w, &in);
		total += in.energy_uj;
		assert_int_equal(sum_deltas(&w, 2), 1);
	}
	assert_int_equal(w.vm[0].energy_uj + w.vm[1].energy_uj + w.vm[2].energy_uj + w.rest.energy_uj, total);
	assert_int_equal(w.vm[0].carry_pj + w.vm[1].carry_pj + w.rest.carry_pj, 0);
	attribution_scratch_release(&w.scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_formula),
		cmocka_unit_test(test_capacity_and_split),
		cmocka_unit_test(test_conservation_random),
		cmocka_unit_test(test_retire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
