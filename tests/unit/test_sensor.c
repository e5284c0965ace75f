// SPDX-License-Identifier: MIT
/* Tests of the powercap and estimate sensors and the auto choice between them (common/sensor.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/lib/fixture.h"
#include "common/sensor.h"

#define OK(call) assert_int_equal((call), 0)

/* The estimate's model in µJ over @dtotal ticks of all CPUs, @dbusy of them busy. */
static uint64_t model_uj(const struct sensor_config *cfg, unsigned ncpu, uint64_t dbusy,
			 uint64_t dtotal)
{
	double util = fmin(1.0, (double)dbusy / (double)dtotal);
	double seconds = (double)dtotal / ncpu / (double)proc_clock_ticks();
	double watts = ncpu * (cfg->idle_watts_per_cpu +
			       (cfg->max_watts_per_cpu - cfg->idle_watts_per_cpu) * util);

	return (uint64_t)llround(watts * seconds * 1e6);
}

static double seconds_of(unsigned ncpu, uint64_t dtotal)
{
	return (double)dtotal / ncpu / (double)proc_clock_ticks();
}

static void test_estimate(void **state)
{
	struct sensor_config cfg = {
		.powercap_root = "/nonexistent", .idle_watts_per_cpu = 2.0, .max_watts_per_cpu = 10.0,
	};
	const long hz = proc_clock_ticks();
	/* Four CPUs for two seconds, half busy. */
	struct cpu_times a = { .busy = 1000, .total = 4000, .ncpu = 4 };
	struct cpu_times b = { .busy = 1000 + 4 * hz, .total = 4000 + 8 * (uint64_t)hz, .ncpu = 4 };
	struct sensor *s;
	struct zone *z;
	uint64_t total;

	(void)state;
	s = sensor_open(SENSOR_ESTIMATE, &cfg);
	assert_non_null(s);
	assert_true(sensor_is_estimate(s));
	assert_string_equal(sensor_source(s), "estimate");
	assert_int_equal(s->zones->nzones, 1);
	z = &s->zones->zones[0];
	assert_string_equal(z->id, "estimate");
	assert_int_equal(z->kind, ZONE_PACKAGE);
	assert_int_equal(z->fd, -1);
	assert_int_equal(z->parent, -1);
	assert_true(powercap_zone_in_total(s->zones, z));

	/* The first sample only primes. */
	sensor_sample(s, &a, 0);
	assert_false(z->valid);
	assert_false(powercap_total_delta(s->zones, &total));

	sensor_sample(s, &b, seconds_of(4, b.total - a.total));
	assert_true(z->valid);
	/* 4 CPUs x (2 W + 8 W x 0.5) x 2 s = 48 J. */
	assert_int_equal(z->delta_uj, 48000000);
	assert_int_equal(z->delta_uj, model_uj(&cfg, 4, b.busy - a.busy, b.total - a.total));
	assert_int_equal(z->energy_uj, 48000000);
	assert_true(powercap_total_delta(s->zones, &total));
	assert_int_equal(total, 48000000);

	/* Idle for a second, then fully busy for a second: idle and max power. */
	a = b;
	b.total += 4 * (uint64_t)hz;
	sensor_sample(s, &b, seconds_of(4, b.total - a.total));
	assert_int_equal(z->delta_uj, 8000000);
	assert_int_equal(z->delta_uj, model_uj(&cfg, 4, 0, b.total - a.total));
	a = b;
	b.total += 4 * (uint64_t)hz;
	b.busy += 4 * (uint64_t)hz;
	sensor_sample(s, &b, seconds_of(4, b.total - a.total));
	assert_int_equal(z->delta_uj, 40000000);
	assert_int_equal(z->energy_uj, 48000000 + 8000000 + 40000000);
	sensor_free(s);
	sensor_free(NULL);
}

/* Odd figures: the model, to the microjoule, wherever they fall. */
static void test_estimate_model(void **state)
{
	static const struct {
		unsigned ncpu;
		uint64_t dbusy, dtotal;
		double idle, max;
	} cases[] = {
		{ 1, 37, 100, 3.5, 17.25 },
		{ 2, 1, 3, 1.0, 2.0 },
		{ 8, 7999, 8000, 0.8, 12.5 },
		{ 64, 12345, 640000, 1.2, 4.7 },
		{ 3, 0, 300, 5.0, 5.0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sensor_config cfg = {
			.powercap_root = "/nonexistent",
			.idle_watts_per_cpu = cases[i].idle, .max_watts_per_cpu = cases[i].max,
		};
		struct cpu_times a = { .busy = 500, .total = 1000, .ncpu = cases[i].ncpu };
		struct cpu_times b = {
			.busy = a.busy + cases[i].dbusy, .total = a.total + cases[i].dtotal,
			.ncpu = cases[i].ncpu,
		};
		struct sensor *s = sensor_open(SENSOR_ESTIMATE, &cfg);

		assert_non_null(s);
		sensor_sample(s, &a, 0);
		sensor_sample(s, &b, seconds_of(cases[i].ncpu, cases[i].dtotal));
		assert_true(s->zones->zones[0].valid);
		assert_int_equal(s->zones->zones[0].delta_uj,
				 model_uj(&cfg, cases[i].ncpu, cases[i].dbusy, cases[i].dtotal));
		sensor_free(s);
	}
}

/* Intervals the model cannot use are skipped, and the next one starts afresh. */
static void test_estimate_skips(void **state)
{
	struct sensor_config cfg = {
		.powercap_root = "/nonexistent", .idle_watts_per_cpu = 1.0, .max_watts_per_cpu = 3.0,
	};
	struct cpu_times a = { .busy = 100, .total = 1000, .ncpu = 1 };
	struct cpu_times same = a;
	struct cpu_times back = { .busy = 50, .total = 2000, .ncpu = 1 };
	struct cpu_times next = { .busy = 50 + 100, .total = 2000 + 100, .ncpu = 1 };
	struct sensor *s = sensor_open(SENSOR_ESTIMATE, &cfg);
	struct zone *z;

	(void)state;
	assert_non_null(s);
	z = &s->zones->zones[0];
	sensor_sample(s, &a, 0);
	/* No CPU time passed. */
	sensor_sample(s, &same, 1.0);
	assert_false(z->valid);
	assert_int_equal(z->delta_uj, 0);
	/* Busy time went backwards (a counter reset). */
	sensor_sample(s, &back, 1.0);
	assert_false(z->valid);
	/* No interval measured. */
	sensor_sample(s, &next, 0);
	assert_false(z->valid);
	assert_int_equal(z->energy_uj, 0);
	/* And from there, normal: fully busy 1 CPU for 1 s at 3 W. */
	next.busy += 100;
	next.total += 100;
	sensor_sample(s, &next, 1.0);
	assert_true(z->valid);
	assert_int_equal(z->delta_uj, 3000000);
	sensor_free(s);
}

static void test_powercap_missing_root(void **state)
{
	char *missing = fixture_path(*state, "no-powercap");
	struct sensor_config cfg = { .idle_watts_per_cpu = 1, .max_watts_per_cpu = 2 };

	assert_non_null(missing);
	cfg.powercap_root = missing;
	assert_null(sensor_open(SENSOR_POWERCAP, &cfg));
	/* A root with no zone is no better. */
	cfg.powercap_root = *state;
	assert_null(sensor_open(SENSOR_POWERCAP, &cfg));
	free(missing);
}

static void test_auto_falls_back(void **state)
{
	char *missing = fixture_path(*state, "no-powercap");
	struct sensor_config cfg = { .idle_watts_per_cpu = 1, .max_watts_per_cpu = 2 };
	struct sensor *s;

	assert_non_null(missing);
	cfg.powercap_root = missing;
	s = sensor_open(SENSOR_AUTO, &cfg);
	assert_non_null(s);
	assert_true(sensor_is_estimate(s));
	assert_string_equal(sensor_source(s), "estimate");
	sensor_free(s);
	/* An empty tree too. */
	cfg.powercap_root = *state;
	s = sensor_open(SENSOR_AUTO, &cfg);
	assert_non_null(s);
	assert_true(sensor_is_estimate(s));
	sensor_free(s);
	free(missing);
}

/* A root the user named is read or is an error, missing or empty: no estimate. */
static void test_auto_given_root_no_fallback(void **state)
{
	char *missing = fixture_path(*state, "no-powercap");
	struct sensor_config cfg = { .root_given = true, .idle_watts_per_cpu = 1, .max_watts_per_cpu = 2 };

	assert_non_null(missing);
	cfg.powercap_root = missing;
	assert_null(sensor_open(SENSOR_AUTO, &cfg));
	cfg.powercap_root = *state;
	assert_null(sensor_open(SENSOR_AUTO, &cfg));
	/* asked for, the estimate needs no tree */
	struct sensor *s = sensor_open(SENSOR_ESTIMATE, &cfg);
	assert_non_null(s);
	assert_true(sensor_is_estimate(s));
	sensor_free(s);
	free(missing);
}

static void test_auto_powercap(void **state)
{
	const char *root = *state;
	struct sensor_config cfg = { .powercap_root = root, .idle_watts_per_cpu = 1, .max_watts_per_cpu = 2 };
	struct cpu_times cpu = { .busy = 1, .total = 2, .ncpu = 1 };
	struct sensor *s;
	uint64_t total;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0:0", "core", 500, 262143328850));
	for (int kind = SENSOR_AUTO; kind <= SENSOR_POWERCAP; kind++) {
		s = sensor_open((enum sensor_kind)kind, &cfg);
		assert_non_null(s);
		assert_false(sensor_is_estimate(s));
		assert_string_equal(sensor_source(s), "powercap");
		assert_int_equal(s->zones->nzones, 2);
		assert_string_equal(s->zones->root, root);
		/* Primed at open: the first sample gives a delta. */
		OK(fixture_zone_set(root, "intel-rapl:0", 1000 + 2500));
		OK(fixture_zone_set(root, "intel-rapl:0:0", 500 + 1000));
		sensor_sample(s, &cpu, 1.0);
		assert_true(s->zones->zones[0].valid);
		assert_int_equal(s->zones->zones[0].delta_uj, 2500);
		assert_true(powercap_total_delta(s->zones, &total));
		assert_int_equal(total, 2500);
		sensor_free(s);
		OK(fixture_zone_set(root, "intel-rapl:0", 1000));
		OK(fixture_zone_set(root, "intel-rapl:0:0", 500));
	}
}

/* A single real zone is not mistaken for the estimate. */
static void test_single_zone_not_estimate(void **state)
{
	const char *root = *state;
	struct sensor_config cfg = { .powercap_root = root, .idle_watts_per_cpu = 1, .max_watts_per_cpu = 2 };
	struct sensor *s;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	s = sensor_open(SENSOR_AUTO, &cfg);
	assert_non_null(s);
	assert_int_equal(s->zones->nzones, 1);
	assert_false(sensor_is_estimate(s));
	sensor_free(s);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(sensor_kind_names[SENSOR_AUTO], "auto");
	assert_string_equal(sensor_kind_names[SENSOR_POWERCAP], "powercap");
	assert_string_equal(sensor_kind_names[SENSOR_ESTIMATE], "estimate");
	assert_null(sensor_kind_names[SENSOR_KIND_COUNT]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup_dir, fixture_teardown_dir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_estimate),
		cmocka_unit_test(test_estimate_model),
		cmocka_unit_test(test_estimate_skips),
		T(test_powercap_missing_root),
		T(test_auto_falls_back),
		T(test_auto_given_root_no_fallback),
		T(test_auto_powercap),
		T(test_single_zone_not_estimate),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
