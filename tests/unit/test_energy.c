// SPDX-License-Identifier: MIT
/* Tests of wrap-safe energy deltas (energy_delta) and sysfs counter parsing (energy_parse_uj). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "common/energy.h"

/* What a real package reports as its range, in µJ. */
#define RAPL_RANGE_UJ UINT64_C(262143328850)
/* Left in *delta by calls that must not touch it. */
#define UNTOUCHED UINT64_C(0xdeadbeef)

static void test_delta_normal(void **state)
{
	uint64_t d = UNTOUCHED;

	(void)state;
	assert_true(energy_delta(100, 250, 1000, &d));
	assert_int_equal(d, 150);
	assert_true(energy_delta(0, RAPL_RANGE_UJ, RAPL_RANGE_UJ, &d));
	assert_int_equal(d, RAPL_RANGE_UJ);
	/* Without a known range an increase is still a sound delta. */
	assert_true(energy_delta(7, 12, 0, &d));
	assert_int_equal(d, 5);
	assert_true(energy_delta(0, UINT64_MAX, 0, &d));
	assert_int_equal(d, UINT64_MAX);
}

static void test_delta_equal(void **state)
{
	uint64_t d = UNTOUCHED;

	(void)state;
	assert_true(energy_delta(500, 500, 1000, &d));
	assert_int_equal(d, 0);
	d = UNTOUCHED;
	assert_true(energy_delta(500, 500, 0, &d));
	assert_int_equal(d, 0);
	d = UNTOUCHED;
	assert_true(energy_delta(1000, 1000, 1000, &d));
	assert_int_equal(d, 0);
}

static void test_delta_wrap(void **state)
{
	uint64_t d = UNTOUCHED;

	(void)state;
	/* 900 -> (wrap at 1000) -> 100: 100 to the top, 100 after. */
	assert_true(energy_delta(900, 100, 1000, &d));
	assert_int_equal(d, 200);
	assert_true(energy_delta(999000, 2000, 1000000, &d));
	assert_int_equal(d, 3000);
	assert_true(energy_delta(999, 0, 1000, &d));
	assert_int_equal(d, 1);
	assert_true(energy_delta(RAPL_RANGE_UJ - 5, 10, RAPL_RANGE_UJ, &d));
	assert_int_equal(d, 15);
	/* The whole 64-bit range, with no overflow in the arithmetic. */
	assert_true(energy_delta(UINT64_MAX - 1, 5, UINT64_MAX, &d));
	assert_int_equal(d, 6);
}

static void test_delta_wrap_without_range_refused(void **state)
{
	uint64_t d = UNTOUCHED;

	(void)state;
	assert_false(energy_delta(900, 100, 0, &d));
	assert_int_equal(d, UNTOUCHED);
	assert_false(energy_delta(1, 0, 0, &d));
	assert_int_equal(d, UNTOUCHED);
	assert_false(energy_delta(UINT64_MAX, 0, 0, &d));
	assert_int_equal(d, UNTOUCHED);
}

static void test_delta_beyond_range_refused(void **state)
{
	uint64_t d = UNTOUCHED;

	(void)state;
	assert_false(energy_delta(100, 1001, 1000, &d));
	assert_int_equal(d, UNTOUCHED);
	assert_false(energy_delta(1001, 100, 1000, &d));
	assert_int_equal(d, UNTOUCHED);
	assert_false(energy_delta(1001, 1002, 1000, &d));
	assert_int_equal(d, UNTOUCHED);
	assert_false(energy_delta(0, UINT64_MAX, RAPL_RANGE_UJ, &d));
	assert_int_equal(d, UNTOUCHED);
	/* The range itself is a reading a kernel counter can show. */
	assert_true(energy_delta(100, 1000, 1000, &d));
	assert_int_equal(d, 900);
}

/*
 * For every decrease of a counter with readings in [0, max - 1] (the range
 * the daemon serves), the delta is a real wrap: at least 1, less than max,
 * and prev + delta lands on cur modulo max.
 */
static void test_delta_wrap_bounded_exhaustive(void **state)
{
	(void)state;
	for (uint64_t max = 1; max <= 40; max++)
		for (uint64_t prev = 0; prev < max; prev++)
			for (uint64_t cur = 0; cur < prev; cur++) {
				uint64_t d = UNTOUCHED;

				assert_true(energy_delta(prev, cur, max, &d));
				assert_true(d >= 1);
				assert_true(d < max);
				assert_int_equal((prev + d) % max, cur);
			}
}

/* The same over large ranges, with readings from a fixed pseudo-random sequence. */
static void test_delta_wrap_bounded_large(void **state)
{
	static const uint64_t ranges[] = {
		1000000, RAPL_RANGE_UJ, UINT64_C(1) << 32, UINT64_MAX / 3, UINT64_MAX,
	};
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);

	(void)state;
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		uint64_t max = ranges[r];

		for (int i = 0; i < 20000; i++) {
			uint64_t prev, cur, d = UNTOUCHED;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			prev = 1 + x % (max - 1);      /* 1 .. max - 1 */
			cur = (x >> 11) % prev;        /* 0 .. prev - 1 */
			assert_true(energy_delta(prev, cur, max, &d));
			assert_true(d >= 1);
			assert_true(d < max);
			assert_int_equal(d, (max - prev) + cur);
		}
	}
}

static int parse(const char *s, uint64_t *v)
{
	return energy_parse_uj(s, strlen(s), v);
}

static void test_parse_ok(void **state)
{
	uint64_t v = UNTOUCHED;

	(void)state;
	assert_int_equal(parse("123\n", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse("0\n", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse("262143328850\n", &v), 0);
	assert_int_equal(v, RAPL_RANGE_UJ);
	assert_int_equal(parse("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse("18446744073709551615\n", &v), 0);
	assert_int_equal(v, UINT64_MAX);
}

static void test_parse_spaces(void **state)
{
	uint64_t v = UNTOUCHED;

	(void)state;
	assert_int_equal(parse("   77", &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(parse("78   ", &v), 0);
	assert_int_equal(v, 78);
	assert_int_equal(parse(" \t 79 \t\n", &v), 0);
	assert_int_equal(v, 79);
	/* A value padded to a fixed width, as a file rewritten in place may be. */
	assert_int_equal(parse("80            \n", &v), 0);
	assert_int_equal(v, 80);
}

static void test_parse_length_respected(void **state)
{
	uint64_t v = UNTOUCHED;

	(void)state;
	/* Only @len bytes count: what follows is not part of the value. */
	assert_int_equal(energy_parse_uj("123456", 3, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(energy_parse_uj("12 x", 3, &v), 0);
	assert_int_equal(v, 12);
	/* A NUL inside the buffer is not white space. */
	assert_int_equal(energy_parse_uj("12\0", 3, &v), -EINVAL);
	assert_int_equal(v, 12);
}

static void test_parse_refused(void **state)
{
	static const char *const bad[] = {
		"", "\n", "   ", " \n ", "12a", "12a\n", "a12", "-5", "-5\n", "+5", "1 2",
		"1,5", "0x10", "1.5", "12\n3", "99999999999999999999",
		"18446744073709551616", "184467440737095516150",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = UNTOUCHED;

		if (parse(bad[i], &v) != -EINVAL || v != UNTOUCHED)
			fail_msg("'%s' was not refused, or the value was touched", bad[i]);
	}
	{
		uint64_t v = UNTOUCHED;

		assert_int_equal(energy_parse_uj("", 0, &v), -EINVAL);
		assert_int_equal(energy_parse_uj("5", 0, &v), -EINVAL);
		assert_int_equal(v, UNTOUCHED);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_normal),
		cmocka_unit_test(test_delta_equal),
		cmocka_unit_test(test_delta_wrap),
		cmocka_unit_test(test_delta_wrap_without_range_refused),
		cmocka_unit_test(test_delta_beyond_range_refused),
		cmocka_unit_test(test_delta_wrap_bounded_exhaustive),
		cmocka_unit_test(test_delta_wrap_bounded_large),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_spaces),
		cmocka_unit_test(test_parse_length_respected),
		cmocka_unit_test(test_parse_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
