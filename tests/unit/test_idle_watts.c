// SPDX-License-Identifier: MIT
/*
 * Tests of the daemon's idle_watts setting (host/idle_watts.c): one number
 * for every zone, ZONE=WATTS lists, spaces, and what is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/idle_watts.h"

/* @spec is accepted, and gives @zone @want watts (-1: none). */
static void check_watts(const char *spec, const char *zone, double want)
{
	char why[128] = "";
	double w = 12345;

	if (idle_watts_lookup(spec, zone, &w, why, sizeof(why)) != 0)
		fail_msg("'%s' refused: %s", spec, why);
	assert_string_equal(why, "");
	if (w != want)
		fail_msg("'%s', zone %s: %g watts, want %g", spec, zone ? zone : "(none)", w, want);
}

/* @spec gives every zone, and the lookup of no zone, @want watts. */
static void check_all(const char *spec, double want)
{
	check_watts(spec, NULL, want);
	check_watts(spec, "package-0", want);
	check_watts(spec, "dram", want);
	check_watts(spec, "core", want);
}

/* @spec, a list, gives package-0, dram and core these watts (-1: none). */
static void check_zones(const char *spec, double package, double dram, double core)
{
	check_watts(spec, NULL, -1);
	check_watts(spec, "package-0", package);
	check_watts(spec, "dram", dram);
	check_watts(spec, "core", core);
	/* names are matched whole */
	check_watts(spec, "package", -1);
	check_watts(spec, "package-00", -1);
}

/* @spec is refused, whatever the zone, with @reason. */
static void check_refused(const char *spec, const char *reason)
{
	static const char *const zones[] = { NULL, "package-0", "dram" };

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		char why[128] = "";
		double w;

		if (idle_watts_lookup(spec, zones[i], &w, why, sizeof(why)) != -EINVAL)
			fail_msg("'%s' accepted", spec);
		assert_string_equal(why, reason);
	}
}

static void test_one_number(void **state)
{
	(void)state;
	/* unset: learned */
	check_all("", -1);
	check_all("20", 20);
	check_all("0", 0);
	check_all("7.5", 7.5);
	check_all("1e1", 10);
	check_all("-0", 0);
	check_all(" 20", 20);
}

static void test_zone_list(void **state)
{
	(void)state;
	check_zones("package-0=20,dram=4", 20, 4, -1);
	check_zones("package-0=0", 0, -1, -1);
	check_zones("dram=2.25", -1, 2.25, -1);
	/* names are matched as written */
	check_zones("Package-0=20,DRAM=4", -1, -1, -1);
	/* named twice: the last one counts */
	check_zones("dram=1,dram=2", -1, 2, -1);
	/* empty items are skipped */
	check_zones("package-0=20,,dram=4,", 20, 4, -1);
	check_zones(",core=3", -1, -1, 3);
}

static void test_spaces(void **state)
{
	(void)state;
	/* before an item and before a value */
	check_zones("package-0=20, dram=4", 20, 4, -1);
	check_zones(" package-0=20,   dram=4", 20, 4, -1);
	check_zones("package-0= 20", 20, -1, -1);
	/* a space before '=' is part of the zone's name, which then names no zone */
	check_zones("package-0 =20", -1, -1, -1);
	/* after a value, it is not a number */
	check_refused("package-0=20 ", "idle_watts: '20 ' is not a number of watts");
	check_refused("package-0=20 ,dram=4", "idle_watts: '20 ' is not a number of watts");
	check_refused("20 ", "idle_watts: '20 ' is not ZONE=WATTS");
	check_refused(" ", "idle_watts: '' is not ZONE=WATTS");
}

static void test_bad_items(void **state)
{
	(void)state;
	check_refused("package-0", "idle_watts: 'package-0' is not ZONE=WATTS");
	check_refused("=20", "idle_watts: '=20' is not ZONE=WATTS");
	check_refused(" =20", "idle_watts: '=20' is not ZONE=WATTS");
	check_refused("package-0=", "idle_watts: '' is not a number of watts");
	check_refused("package-0=abc", "idle_watts: 'abc' is not a number of watts");
	check_refused("package-0=20W", "idle_watts: '20W' is not a number of watts");
	check_refused("package-0=20=3", "idle_watts: '20=3' is not a number of watts");
	check_refused("20W", "idle_watts: '20W' is not ZONE=WATTS");
	check_refused("twenty", "idle_watts: 'twenty' is not ZONE=WATTS");
	/* one bad item spoils the list, even after the zone asked for */
	check_refused("package-0=20,dram", "idle_watts: 'dram' is not ZONE=WATTS");
	check_refused("package-0=20,dram=x", "idle_watts: 'x' is not a number of watts");
}

static void test_negative(void **state)
{
	(void)state;
	check_refused("-1", "idle_watts must not be negative");
	check_refused("-0.5", "idle_watts must not be negative");
	check_refused("nan", "idle_watts must not be negative");
	check_refused("package-0=-1", "idle_watts: '-1' is not a number of watts");
	check_refused("package-0=20,dram=-4", "idle_watts: '-4' is not a number of watts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_number),
		cmocka_unit_test(test_zone_list),
		cmocka_unit_test(test_spaces),
		cmocka_unit_test(test_bad_items),
		cmocka_unit_test(test_negative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
