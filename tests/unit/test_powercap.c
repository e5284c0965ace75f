// SPDX-License-Identifier: MIT
/* Tests of powercap zone discovery and sampling on fixture trees (common/powercap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/lib/fixture.h"
#include "common/powercap_i.h"

/* common/powercap.c rescans for new zones every this many samples. */
#define RESCAN_SAMPLES 10

#define OK(call) assert_int_equal((call), 0)

static struct zone *zone_by_id(struct powercap *pc, const char *id)
{
	for (size_t i = 0; i < pc->nzones; i++)
		if (!strcmp(pc->zones[i].id, id))
			return &pc->zones[i];
	return NULL;
}

/* Zone @id, which must exist. */
static struct zone *zone_of(struct powercap *pc, const char *id)
{
	struct zone *z = zone_by_id(pc, id);

	if (!z)
		fail_msg("zone '%s' not found", id);
	return z;
}

static int index_of(struct powercap *pc, const char *id)
{
	return (int)(zone_of(pc, id) - pc->zones);
}

/* Each id once, in the kernel's order. */
static void assert_ids(struct powercap *pc, const char *const *ids, size_t n)
{
	assert_int_equal(pc->nzones, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(pc->zones[i].id, ids[i]);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* --- discovery --------------------------------------------------------- */

static void test_one_package(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	struct zone *z;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 123456, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_string_equal(pc->root, root);
	assert_int_equal(pc->nzones, 1);
	z = &pc->zones[0];
	assert_string_equal(z->id, "intel-rapl:0");
	assert_string_equal(z->name, "package-0");
	assert_int_equal(z->kind, ZONE_PACKAGE);
	assert_int_equal(z->depth, 0);
	assert_int_equal(z->parent, -1);
	assert_true(z->fd >= 0);
	assert_int_equal(z->max_energy_range_uj, 262143328850);
	assert_non_null(z->path);
	assert_true(ends_with(z->path, "/intel-rapl:0"));
	assert_true(z->present);
	/* Discovery reads no counter: nothing is primed or valid yet. */
	assert_false(z->primed);
	assert_false(z->valid);
	assert_int_equal(z->energy_uj, 0);
	powercap_free(pc);
	powercap_free(NULL);
}

static void test_two_packages_flat(void **state)
{
	static const char *const ids[] = {
		"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1",
		"intel-rapl:1", "intel-rapl:1:0", "intel-rapl:1:1",
	};
	const char *root = *state;
	struct powercap *pc;

	/* Created out of order: the list comes out in the kernel's order anyway. */
	OK(fixture_zone(root, "intel-rapl:1:1", "dram", 6, 65712999613));
	OK(fixture_zone(root, "intel-rapl:0:0", "core", 2, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1", "package-1", 4, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1:0", "core", 5, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0:1", "dram", 3, 65712999613));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_ids(pc, ids, 6);

	assert_int_equal(zone_of(pc, "intel-rapl:0")->kind, ZONE_PACKAGE);
	assert_int_equal(zone_of(pc, "intel-rapl:0:0")->kind, ZONE_CORE);
	assert_int_equal(zone_of(pc, "intel-rapl:0:1")->kind, ZONE_DRAM);
	assert_string_equal(zone_of(pc, "intel-rapl:1")->name, "package-1");
	assert_int_equal(zone_of(pc, "intel-rapl:1:1")->max_energy_range_uj, 65712999613);

	assert_int_equal(zone_of(pc, "intel-rapl:0")->depth, 0);
	assert_int_equal(zone_of(pc, "intel-rapl:1")->depth, 0);
	assert_int_equal(zone_of(pc, "intel-rapl:0:1")->depth, 1);
	assert_int_equal(zone_of(pc, "intel-rapl:0")->parent, -1);
	assert_int_equal(zone_of(pc, "intel-rapl:1")->parent, -1);
	assert_int_equal(zone_of(pc, "intel-rapl:0:0")->parent, index_of(pc, "intel-rapl:0"));
	assert_int_equal(zone_of(pc, "intel-rapl:0:1")->parent, index_of(pc, "intel-rapl:0"));
	assert_int_equal(zone_of(pc, "intel-rapl:1:0")->parent, index_of(pc, "intel-rapl:1"));
	assert_int_equal(zone_of(pc, "intel-rapl:1:1")->parent, index_of(pc, "intel-rapl:1"));
	powercap_free(pc);
}

/* Subzones only inside their parent's directory, and one both nested and flat. */
static void test_nested_subzones(void **state)
{
	static const char *const ids[] = {
		"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1", "intel-rapl:1", "intel-rapl:1:0",
	};
	const char *root = *state;
	struct powercap *pc;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1, 1000000));
	OK(fixture_zone(root, "intel-rapl:0/intel-rapl:0:0", "core", 2, 1000000));
	OK(fixture_zone(root, "intel-rapl:0/intel-rapl:0:1", "dram", 3, 1000000));
	OK(fixture_zone(root, "intel-rapl:0:1", "dram", 3, 1000000));
	OK(fixture_zone(root, "intel-rapl:1", "package-1", 4, 1000000));
	OK(fixture_zone(root, "intel-rapl:1/intel-rapl:1:0", "core", 5, 1000000));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_ids(pc, ids, 5);
	assert_true(ends_with(zone_of(pc, "intel-rapl:0:0")->path, "/intel-rapl:0/intel-rapl:0:0"));
	assert_int_equal(zone_of(pc, "intel-rapl:0:0")->depth, 1);
	assert_int_equal(zone_of(pc, "intel-rapl:0:0")->parent, index_of(pc, "intel-rapl:0"));
	assert_int_equal(zone_of(pc, "intel-rapl:1:0")->parent, index_of(pc, "intel-rapl:1"));
	powercap_free(pc);
}

/* The layout of /sys/class/powercap: zones inside the control type, flat relative links. */
static void make_sysfs_tree(const char *root)
{
	OK(fixture_write(root, "intel-rapl/enabled", "1\n"));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:0", "package-0", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:0/intel-rapl:0:0", "core", 100, 262143328850));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:0/intel-rapl:0:1", "uncore", 10, 262143328850));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:1", "psys", 5000, 262143328850));
	OK(fixture_symlink(root, "intel-rapl:0", "intel-rapl/intel-rapl:0"));
	OK(fixture_symlink(root, "intel-rapl:0:0", "intel-rapl/intel-rapl:0/intel-rapl:0:0"));
	OK(fixture_symlink(root, "intel-rapl:0:1", "intel-rapl/intel-rapl:0/intel-rapl:0:1"));
	OK(fixture_symlink(root, "intel-rapl:1", "intel-rapl/intel-rapl:1"));
}

/* Links that loop or lead to another zone's directory add no phantom zone. */
static void test_loops_ignored(void **state)
{
	static const char *const ids[] = {
		"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1", "intel-rapl:1",
	};
	const char *root = *state;
	struct powercap *pc;

	make_sysfs_tree(root);
	OK(fixture_symlink(root, "intel-rapl:5", "."));
	OK(fixture_symlink(root, "intel-rapl:6", "intel-rapl"));
	OK(fixture_symlink(root, "intel-rapl:7", "intel-rapl/intel-rapl:0"));
	OK(fixture_symlink(root, "intel-rapl/intel-rapl:0/intel-rapl:0:5", "."));
	OK(fixture_symlink(root, "intel-rapl/intel-rapl:0/intel-rapl:0:6", ".."));
	OK(fixture_symlink(root, "intel-rapl/intel-rapl:1/intel-rapl:1:0", "../intel-rapl:0/intel-rapl:0:0"));
	OK(fixture_symlink(root, "intel-rapl:8", "intel-rapl:8"));  /* a link to itself */
	/* one to a file of its name, and one to a link of its name that leads to another zone */
	OK(fixture_write(root, "chain/intel-rapl:a", "0\n"));
	OK(fixture_symlink(root, "intel-rapl:a", "chain/intel-rapl:a"));
	OK(fixture_symlink(root, "chain/intel-rapl:9", "../intel-rapl/intel-rapl:1"));
	OK(fixture_symlink(root, "intel-rapl:9", "chain/intel-rapl:9"));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_ids(pc, ids, 4);
	powercap_free(pc);
}

static void test_sysfs_links(void **state)
{
	static const char *const ids[] = {
		"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1", "intel-rapl:1",
	};
	const char *root = *state;
	struct powercap *pc;

	make_sysfs_tree(root);
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_ids(pc, ids, 4);
	assert_int_equal(zone_of(pc, "intel-rapl:0:1")->kind, ZONE_UNCORE);
	assert_int_equal(zone_of(pc, "intel-rapl:1")->kind, ZONE_PSYS);
	assert_int_equal(zone_of(pc, "intel-rapl:0:0")->parent, index_of(pc, "intel-rapl:0"));

	/* Read through whichever path was found: the same counters. */
	assert_int_equal(powercap_sample(pc), 0);
	OK(fixture_zone_set(root, "intel-rapl/intel-rapl:0", 1500));
	OK(fixture_zone_set(root, "intel-rapl/intel-rapl:0/intel-rapl:0:0", 160));
	OK(fixture_zone_set(root, "intel-rapl/intel-rapl:0/intel-rapl:0:1", 13));
	OK(fixture_zone_set(root, "intel-rapl/intel-rapl:1", 5900));
	assert_int_equal(powercap_sample(pc), 4);
	assert_int_equal(zone_of(pc, "intel-rapl:0")->delta_uj, 500);
	assert_int_equal(zone_of(pc, "intel-rapl:0:0")->delta_uj, 60);
	assert_int_equal(zone_of(pc, "intel-rapl:0:1")->delta_uj, 3);
	assert_int_equal(zone_of(pc, "intel-rapl:1")->delta_uj, 900);
	powercap_free(pc);
}

/* Zones only inside the control type directory (no flat links at all). */
static void test_control_type_only(void **state)
{
	static const char *const ids[] = { "intel-rapl:0", "intel-rapl:0:0", "intel-rapl:1" };
	const char *root = *state;
	struct powercap *pc;

	OK(fixture_write(root, "intel-rapl/enabled", "1\n"));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:0", "package-0", 1, 1000000));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:0/intel-rapl:0:0", "core", 1, 1000000));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:1", "package-1", 1, 1000000));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_ids(pc, ids, 3);
	powercap_free(pc);
}

/* A flat link whose target is gone is no zone. */
static void test_dangling_link_ignored(void **state)
{
	const char *root = *state;
	struct powercap *pc;

	OK(fixture_zone(root, "intel-rapl/intel-rapl:0", "package-0", 1, 1000000));
	OK(fixture_symlink(root, "intel-rapl:0", "intel-rapl/intel-rapl:0"));
	OK(fixture_symlink(root, "intel-rapl:1", "intel-rapl/intel-rapl:1"));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_int_equal(pc->nzones, 1);
	assert_string_equal(pc->zones[0].id, "intel-rapl:0");
	powercap_free(pc);
}

static void test_psys_total(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	uint64_t total = 0;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0:0", "core", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0:1", "dram", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1", "psys", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_int_equal(pc->nzones, 4);
	assert_true(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:1")));
	assert_false(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:0")));
	assert_false(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:0:0")));
	assert_false(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:0:1")));

	assert_int_equal(powercap_sample(pc), 0);
	assert_false(powercap_total_delta(pc, &total));
	OK(fixture_zone_set(root, "intel-rapl:0", 21000));
	OK(fixture_zone_set(root, "intel-rapl:0:0", 11000));
	OK(fixture_zone_set(root, "intel-rapl:0:1", 4000));
	OK(fixture_zone_set(root, "intel-rapl:1", 31000));
	assert_int_equal(powercap_sample(pc), 4);
	assert_true(powercap_total_delta(pc, &total));
	assert_int_equal(total, 30000);

	/* psys unreadable: the total is missing rather than made of packages. */
	OK(fixture_zone_set(root, "intel-rapl:0", 22000));
	OK(fixture_zone_set_raw(root, "intel-rapl:1", "garbage\n"));
	assert_int_equal(powercap_sample(pc), 3);
	assert_false(powercap_total_delta(pc, &total));
	assert_int_equal(total, 0);
	powercap_free(pc);
}

static void test_mmio_duplicate_skipped(void **state)
{
	static const char *const ids[] = { "intel-rapl:0", "intel-rapl:0:0" };
	const char *root = *state;
	struct fixture_capture cap;
	struct powercap *pc;
	char *err;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0:0", "core", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl-mmio:0", "package-0", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_ids(pc, ids, 2);
	assert_int_equal(powercap_sample(pc), 0);
	OK(fixture_zone_set(root, "intel-rapl:0", 1700));
	OK(fixture_zone_set(root, "intel-rapl-mmio:0", 1700));
	assert_int_equal(powercap_sample(pc), 2);
	assert_int_equal(zone_of(pc, "intel-rapl:0")->delta_uj, 700);
	/* Still skipped after the periodic rescans, and never announced. */
	OK(fixture_capture_start(&cap, STDERR_FILENO, root));
	for (int i = 0; i < 2 * RESCAN_SAMPLES; i++)
		powercap_sample(pc);
	err = fixture_capture_end(&cap);
	assert_non_null(err);
	assert_string_equal(err, "");
	free(err);
	assert_ids(pc, ids, 2);
	powercap_free(pc);
}

/* An mmio zone with no MSR twin of the same name is the only source of its domain. */
static void test_mmio_alone_kept(void **state)
{
	const char *root = *state;
	struct powercap *pc;

	OK(fixture_zone(root, "intel-rapl-mmio:0", "package-0", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_int_equal(pc->nzones, 1);
	assert_string_equal(pc->zones[0].id, "intel-rapl-mmio:0");
	powercap_free(pc);
}

/* What AMD machines show: packages with a core subzone each, no dram, no psys. */
static void test_amd_style(void **state)
{
	static const char *const ids[] = {
		"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:1", "intel-rapl:1:0",
	};
	const char *root = *state;
	struct powercap *pc;
	uint64_t total;

	OK(fixture_write(root, "intel-rapl/enabled", "1\n"));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:0", "package-0", 0, 65532610987));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:0/intel-rapl:0:0", "core", 0, 65532610987));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:1", "package-1", 0, 65532610987));
	OK(fixture_zone(root, "intel-rapl/intel-rapl:1/intel-rapl:1:0", "core", 0, 65532610987));
	OK(fixture_symlink(root, "intel-rapl:0", "intel-rapl/intel-rapl:0"));
	OK(fixture_symlink(root, "intel-rapl:0:0", "intel-rapl/intel-rapl:0/intel-rapl:0:0"));
	OK(fixture_symlink(root, "intel-rapl:1", "intel-rapl/intel-rapl:1"));
	OK(fixture_symlink(root, "intel-rapl:1:0", "intel-rapl/intel-rapl:1/intel-rapl:1:0"));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_ids(pc, ids, 4);
	powercap_sample(pc);
	OK(fixture_zone_set(root, "intel-rapl:0", 40000000));
	OK(fixture_zone_set(root, "intel-rapl:0:0", 30000000));
	OK(fixture_zone_set(root, "intel-rapl:1", 20000000));
	OK(fixture_zone_set(root, "intel-rapl:1:0", 10000000));
	assert_int_equal(powercap_sample(pc), 4);
	assert_true(powercap_total_delta(pc, &total));
	assert_int_equal(total, 60000000);
	powercap_free(pc);
}

static void test_hex_ids(void **state)
{
	static const char *const order[] = { "7", "a", "1", "3", "9", "0", "5", "2", "8", "4", "6" };
	const char *root = *state;
	struct powercap *pc;
	char rel[64], name[32];

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		unsigned n = (unsigned)strtoul(order[i], NULL, 16);

		snprintf(rel, sizeof(rel), "intel-rapl:%s", order[i]);
		snprintf(name, sizeof(name), "package-%u", n);
		OK(fixture_zone(root, rel, name, n, 1000000));
	}
	OK(fixture_zone(root, "intel-rapl:a:0", "dram", 1, 1000000));
	OK(fixture_zone(root, "intel-rapl:a/intel-rapl:a:1", "core", 1, 1000000));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_int_equal(pc->nzones, 13);
	for (unsigned i = 0; i < 10; i++) {
		snprintf(rel, sizeof(rel), "intel-rapl:%x", i);
		assert_string_equal(pc->zones[i].id, rel);
	}
	/* intel-rapl:a is the eleventh package, after intel-rapl:9 (not after intel-rapl:1). */
	assert_string_equal(pc->zones[10].id, "intel-rapl:a");
	assert_string_equal(pc->zones[10].name, "package-10");
	assert_string_equal(pc->zones[11].id, "intel-rapl:a:0");
	assert_string_equal(pc->zones[12].id, "intel-rapl:a:1");
	assert_int_equal(pc->zones[11].parent, 10);
	assert_int_equal(pc->zones[12].parent, 10);
	assert_int_equal(pc->zones[12].depth, 1);
	powercap_free(pc);
}

static void test_zone_id_cmp(void **state)
{
	(void)state;
	assert_int_equal(zone_id_cmp("intel-rapl:0", "intel-rapl:0"), 0);
	assert_int_equal(zone_id_cmp("intel-rapl:0:1", "intel-rapl:0:1"), 0);
	assert_true(zone_id_cmp("intel-rapl:a", "intel-rapl:2") > 0);
	assert_true(zone_id_cmp("intel-rapl:2", "intel-rapl:a") < 0);
	assert_true(zone_id_cmp("intel-rapl:10", "intel-rapl:f") > 0);
	assert_true(zone_id_cmp("intel-rapl:9", "intel-rapl:a") < 0);
	assert_true(zone_id_cmp("intel-rapl:0", "intel-rapl:0:0") < 0);
	assert_true(zone_id_cmp("intel-rapl:0:0", "intel-rapl:0") > 0);
	assert_true(zone_id_cmp("intel-rapl:0:f", "intel-rapl:1") < 0);
	assert_true(zone_id_cmp("intel-rapl:1", "intel-rapl:0:5") > 0);
	assert_true(zone_id_cmp("intel-rapl:1:a", "intel-rapl:1:9") > 0);
	/* Control types apart: all of one before the other, whatever the numbers. */
	assert_true(zone_id_cmp("intel-rapl:5", "intel-rapl-mmio:0") < 0);
	assert_true(zone_id_cmp("intel-rapl-mmio:0", "intel-rapl:5") > 0);
	assert_true(zone_id_cmp("amd-rapl:9", "intel-rapl:0") < 0);
}

static void test_zone_kind_of(void **state)
{
	(void)state;
	assert_int_equal(zone_kind_of("package-0"), ZONE_PACKAGE);
	assert_int_equal(zone_kind_of("package-12"), ZONE_PACKAGE);
	assert_int_equal(zone_kind_of("package"), ZONE_PACKAGE);
	assert_int_equal(zone_kind_of("core"), ZONE_CORE);
	assert_int_equal(zone_kind_of("uncore"), ZONE_UNCORE);
	assert_int_equal(zone_kind_of("dram"), ZONE_DRAM);
	assert_int_equal(zone_kind_of("psys"), ZONE_PSYS);
	assert_int_equal(zone_kind_of("packages"), ZONE_OTHER);
	assert_int_equal(zone_kind_of("corex"), ZONE_OTHER);
	assert_int_equal(zone_kind_of("pkg"), ZONE_OTHER);
	assert_int_equal(zone_kind_of(""), ZONE_OTHER);
	assert_int_equal(zone_kind_of("Package-0"), ZONE_OTHER);
}

static void test_open_missing_root(void **state)
{
	char *missing = fixture_path(*state, "no-such-dir");

	assert_non_null(missing);
	errno = 0;
	assert_null(powercap_open(missing));
	assert_int_equal(errno, ENOENT);
	free(missing);
}

static void test_open_empty_root(void **state)
{
	const char *root = *state;

	errno = 0;
	assert_null(powercap_open(root));
	assert_int_equal(errno, ENODEV);
	/* Things that are not zones: a control type with none, a file, a zone without files. */
	OK(fixture_write(root, "intel-rapl/enabled", "1\n"));
	OK(fixture_write(root, "README", "not a zone\n"));
	OK(fixture_write(root, "intel-rapl:7", "a file, not a directory\n"));
	{
		char *empty = fixture_path(root, "intel-rapl:0");

		assert_non_null(empty);
		OK(fixture_mkdirs(empty));
		free(empty);
	}
	errno = 0;
	assert_null(powercap_open(root));
	assert_int_equal(errno, ENODEV);
}

/* A directory named like a zone but lacking name or energy_uj is skipped, not fatal. */
static void test_incomplete_zone_skipped(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	char *path;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1, 1000000));
	OK(fixture_write(root, "intel-rapl:1/energy_uj", "5\n"));         /* no name */
	OK(fixture_write(root, "intel-rapl:2/name", "package-2\n"));      /* no energy_uj */
	path = fixture_path(root, "intel-rapl:3");                        /* empty */
	assert_non_null(path);
	OK(fixture_mkdirs(path));
	free(path);
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_int_equal(pc->nzones, 1);
	assert_string_equal(pc->zones[0].id, "intel-rapl:0");
	powercap_free(pc);
}

static void test_read_attr(void **state)
{
	const char *root = *state;
	char buf[8];
	int dirfd;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1, 1000000));
	{
		char *dir = fixture_path(root, "intel-rapl:0");

		assert_non_null(dir);
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(dir);
	}
	assert_true(dirfd >= 0);
	assert_int_equal(read_attr(dirfd, "enabled", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "1\n");
	/* Cut to the buffer, always terminated. */
	assert_int_equal(read_attr(dirfd, "name", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "package");
	assert_int_equal(read_attr(dirfd, "missing", buf, sizeof(buf)), -ENOENT);
	close(dirfd);
}

/* --- sampling ---------------------------------------------------------- */

static void test_sample_deltas(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	struct zone *z;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	z = &pc->zones[0];
	/* The first sample only primes. */
	assert_int_equal(powercap_sample(pc), 0);
	assert_true(z->primed);
	assert_false(z->valid);
	assert_int_equal(z->last_uj, 1000);

	OK(fixture_zone_set(root, "intel-rapl:0", 3000));
	assert_int_equal(powercap_sample(pc), 1);
	assert_true(z->valid);
	assert_int_equal(z->delta_uj, 2000);
	assert_int_equal(z->energy_uj, 2000);

	/* Growing from 4 to 11 digits and back: rewritten in place. */
	OK(fixture_zone_set(root, "intel-rapl:0", 10000003000));
	assert_int_equal(powercap_sample(pc), 1);
	assert_int_equal(z->delta_uj, 10000000000);
	assert_int_equal(z->energy_uj, 10000002000);

	/* No energy in the interval: valid, zero. */
	assert_int_equal(powercap_sample(pc), 1);
	assert_true(z->valid);
	assert_int_equal(z->delta_uj, 0);
	assert_int_equal(z->energy_uj, 10000002000);
	powercap_free(pc);
}

static void test_total_packages_and_dram(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	uint64_t total = 1;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 0, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0:0", "core", 0, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0:1", "uncore", 0, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0:2", "dram", 0, 65712999613));
	OK(fixture_zone(root, "intel-rapl:1", "package-1", 0, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1:0", "core", 0, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1:1", "dram", 0, 65712999613));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_int_equal(pc->nzones, 7);
	assert_true(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:0")));
	assert_true(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:1")));
	assert_true(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:0:2")));
	assert_true(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:1:1")));
	assert_false(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:0:0")));
	assert_false(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:0:1")));
	assert_false(powercap_zone_in_total(pc, zone_of(pc, "intel-rapl:1:0")));

	assert_int_equal(powercap_sample(pc), 0);
	assert_false(powercap_total_delta(pc, &total));
	assert_int_equal(total, 0);
	OK(fixture_zone_set(root, "intel-rapl:0", 30000000));
	OK(fixture_zone_set(root, "intel-rapl:0:0", 20000000));
	OK(fixture_zone_set(root, "intel-rapl:0:1", 1000000));
	OK(fixture_zone_set(root, "intel-rapl:0:2", 4000000));
	OK(fixture_zone_set(root, "intel-rapl:1", 25000000));
	OK(fixture_zone_set(root, "intel-rapl:1:0", 15000000));
	OK(fixture_zone_set(root, "intel-rapl:1:1", 3000000));
	assert_int_equal(powercap_sample(pc), 7);
	assert_true(powercap_total_delta(pc, &total));
	assert_int_equal(total, 30000000 + 4000000 + 25000000 + 3000000);
	powercap_free(pc);
}

static void test_wrap(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	struct zone *z;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 990000, 1000000));
	pc = powercap_open(root);
	assert_non_null(pc);
	z = &pc->zones[0];
	powercap_sample(pc);
	OK(fixture_zone_set(root, "intel-rapl:0", 999000));
	assert_int_equal(powercap_sample(pc), 1);
	assert_int_equal(z->delta_uj, 9000);
	OK(fixture_zone_set(root, "intel-rapl:0", 2000));
	assert_int_equal(powercap_sample(pc), 1);
	assert_true(z->valid);
	assert_int_equal(z->delta_uj, 3000);
	assert_int_equal(z->energy_uj, 12000);
	OK(fixture_zone_set(root, "intel-rapl:0", 2500));
	assert_int_equal(powercap_sample(pc), 1);
	assert_int_equal(z->delta_uj, 500);
	assert_int_equal(z->energy_uj, 12500);
	powercap_free(pc);
}

/*
 * A counter that holds no number for a sample: that zone's interval is
 * skipped, the zone is re-primed by the next good reading (no delta then),
 * and the reading after gives a normal delta, never one spanning the glitch.
 * The other zone carries on untouched.
 */
static void check_bad_value(const char *root, const char *bad)
{
	struct powercap *pc;
	struct zone *a, *b;
	uint64_t total;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1", "package-1", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	a = zone_of(pc, "intel-rapl:0");
	b = zone_of(pc, "intel-rapl:1");
	assert_int_equal(powercap_sample(pc), 0);
	OK(fixture_zone_set(root, "intel-rapl:0", 2000));
	OK(fixture_zone_set(root, "intel-rapl:1", 2000));
	assert_int_equal(powercap_sample(pc), 2);
	assert_int_equal(a->energy_uj, 1000);

	OK(fixture_zone_set_raw(root, "intel-rapl:0", bad));
	OK(fixture_zone_set(root, "intel-rapl:1", 3000));
	assert_int_equal(powercap_sample(pc), 1);
	assert_false(a->valid);
	assert_int_equal(a->delta_uj, 0);
	assert_false(a->primed);
	assert_int_equal(a->energy_uj, 1000);
	assert_true(b->valid);
	assert_int_equal(b->delta_uj, 1000);
	assert_true(powercap_total_delta(pc, &total));
	assert_int_equal(total, 1000);

	/* Back, much higher: this reading only re-primes. */
	OK(fixture_zone_set(root, "intel-rapl:0", 500000));
	OK(fixture_zone_set(root, "intel-rapl:1", 4000));
	assert_int_equal(powercap_sample(pc), 1);
	assert_false(a->valid);
	assert_true(a->primed);
	assert_int_equal(a->energy_uj, 1000);
	assert_true(b->valid);
	assert_int_equal(b->delta_uj, 1000);

	OK(fixture_zone_set(root, "intel-rapl:0", 500600));
	OK(fixture_zone_set(root, "intel-rapl:1", 5000));
	assert_int_equal(powercap_sample(pc), 2);
	assert_true(a->valid);
	assert_int_equal(a->delta_uj, 600);
	assert_int_equal(a->energy_uj, 1600);
	assert_int_equal(b->energy_uj, 4000);
	assert_true(powercap_total_delta(pc, &total));
	assert_int_equal(total, 1600);
	powercap_free(pc);
}

static void test_garbage_value(void **state)
{
	check_bad_value(*state, "garbage\n");
}

static void test_empty_value(void **state)
{
	check_bad_value(*state, "");
}

static void test_other_bad_values(void **state)
{
	static const char *const bad[] = { "\n", "-1\n", "12a\n", "99999999999999999999\n" };

	/* A tree of its own for each, inside the test's directory. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char rel[16], *dir;

		snprintf(rel, sizeof(rel), "case%zu", i);
		dir = fixture_path(*state, rel);
		assert_non_null(dir);
		OK(fixture_mkdirs(dir));
		check_bad_value(dir, bad[i]);
		free(dir);
	}
}

/* No usable range: a decrease cannot be corrected, the interval is skipped. */
static void test_no_range_decrease(void **state)
{
	static const char *const ranges[] = { "0\n", "junk\n", NULL };
	const char *root = *state;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "intel-rapl:%zu", i);
		OK(fixture_zone(root, rel, "package-0", 5000, 0));
		if (ranges[i]) {
			char attr[64];

			snprintf(attr, sizeof(attr), "%s/max_energy_range_uj", rel);
			OK(fixture_write(root, attr, ranges[i]));
		} else {
			char *path = fixture_path(root, rel), *attr;

			assert_non_null(path);
			attr = fixture_path(path, "max_energy_range_uj");
			assert_non_null(attr);
			OK(unlink(attr));
			free(attr);
			free(path);
		}
	}
	{
		struct powercap *pc = powercap_open(root);

		assert_non_null(pc);
		assert_int_equal(pc->nzones, 3);
		for (size_t i = 0; i < pc->nzones; i++)
			assert_int_equal(pc->zones[i].max_energy_range_uj, 0);
		assert_int_equal(powercap_sample(pc), 0);
		for (size_t i = 0; i < 3; i++) {
			char rel[32];

			snprintf(rel, sizeof(rel), "intel-rapl:%zu", i);
			OK(fixture_zone_set(root, rel, 6000));
		}
		assert_int_equal(powercap_sample(pc), 3);
		for (size_t i = 0; i < 3; i++) {
			char rel[32];

			snprintf(rel, sizeof(rel), "intel-rapl:%zu", i);
			OK(fixture_zone_set(root, rel, 3000));
		}
		assert_int_equal(powercap_sample(pc), 0);
		for (size_t i = 0; i < pc->nzones; i++) {
			struct zone *z = &pc->zones[i];

			assert_false(z->valid);
			assert_int_equal(z->delta_uj, 0);
			assert_int_equal(z->energy_uj, 1000);
		}
		/* The lower reading starts the next interval. */
		for (size_t i = 0; i < 3; i++) {
			char rel[32];

			snprintf(rel, sizeof(rel), "intel-rapl:%zu", i);
			OK(fixture_zone_set(root, rel, 3500));
		}
		assert_int_equal(powercap_sample(pc), 3);
		for (size_t i = 0; i < pc->nzones; i++) {
			assert_int_equal(pc->zones[i].delta_uj, 500);
			assert_int_equal(pc->zones[i].energy_uj, 1500);
		}
		powercap_free(pc);
	}
}

/* A reading beyond the zone's range is never a delta, nor is the jump back from it. */
static void test_reading_beyond_range(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	struct zone *z;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 100, 1000));
	pc = powercap_open(root);
	assert_non_null(pc);
	z = &pc->zones[0];
	powercap_sample(pc);
	OK(fixture_zone_set(root, "intel-rapl:0", 5000));
	assert_int_equal(powercap_sample(pc), 0);
	assert_false(z->valid);
	OK(fixture_zone_set(root, "intel-rapl:0", 300));
	assert_int_equal(powercap_sample(pc), 0);
	assert_false(z->valid);
	assert_int_equal(z->energy_uj, 0);
	OK(fixture_zone_set(root, "intel-rapl:0", 450));
	assert_int_equal(powercap_sample(pc), 1);
	assert_int_equal(z->delta_uj, 150);
	assert_int_equal(z->energy_uj, 150);
	powercap_free(pc);
}

static void test_zone_vanishes(void **state)
{
	static const char *const left[] = { "intel-rapl:1", "intel-rapl:1:0" };
	const char *root = *state;
	struct powercap *pc;
	struct zone *z;
	char *gone;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:0/intel-rapl:0:0", "core", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1", "package-1", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1/intel-rapl:1:0", "core", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	assert_int_equal(pc->nzones, 4);
	powercap_sample(pc);
	OK(fixture_zone_set(root, "intel-rapl:1", 1700));
	OK(fixture_zone_set(root, "intel-rapl:1/intel-rapl:1:0", 1300));
	assert_int_equal(powercap_sample(pc), 4);

	gone = fixture_path(root, "intel-rapl:0");
	assert_non_null(gone);
	OK(fixture_rmtree(gone));
	free(gone);
	OK(fixture_zone_set(root, "intel-rapl:1", 2000));
	OK(fixture_zone_set(root, "intel-rapl:1/intel-rapl:1:0", 1400));
	assert_int_equal(powercap_sample(pc), 2);
	assert_ids(pc, left, 2);
	z = zone_of(pc, "intel-rapl:1");
	assert_true(z->valid);
	assert_int_equal(z->delta_uj, 300);
	assert_int_equal(z->energy_uj, 1000);
	assert_int_equal(zone_of(pc, "intel-rapl:1:0")->delta_uj, 100);
	/* Indices moved: the parent link follows. */
	assert_int_equal(zone_of(pc, "intel-rapl:1:0")->parent, index_of(pc, "intel-rapl:1"));

	OK(fixture_zone_set(root, "intel-rapl:1", 2100));
	assert_int_equal(powercap_sample(pc), 2);
	assert_int_equal(z->delta_uj, 100);
	powercap_free(pc);
}

/* In the sysfs layout a zone goes with its flat link. */
static void test_linked_zone_vanishes(void **state)
{
	static const char *const left[] = { "intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1" };
	const char *root = *state;
	struct powercap *pc;
	char *path;

	make_sysfs_tree(root);
	pc = powercap_open(root);
	assert_non_null(pc);
	powercap_sample(pc);
	path = fixture_path(root, "intel-rapl/intel-rapl:1");
	assert_non_null(path);
	OK(fixture_rmtree(path));
	free(path);
	path = fixture_path(root, "intel-rapl:1");
	assert_non_null(path);
	OK(unlink(path));
	free(path);
	OK(fixture_zone_set(root, "intel-rapl:0", 1250));
	assert_int_equal(powercap_sample(pc), 3);
	assert_ids(pc, left, 3);
	assert_int_equal(zone_of(pc, "intel-rapl:0")->delta_uj, 250);
	/* Without psys the packages make the total again. */
	{
		uint64_t total;

		assert_true(powercap_total_delta(pc, &total));
		assert_int_equal(total, 250);
	}
	powercap_free(pc);
}

static void test_every_zone_vanishes(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	uint64_t total = 1;
	char *path;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	powercap_sample(pc);
	path = fixture_path(root, "intel-rapl:0");
	assert_non_null(path);
	OK(fixture_rmtree(path));
	free(path);
	assert_int_equal(powercap_sample(pc), 0);
	assert_int_equal(pc->nzones, 0);
	assert_false(powercap_total_delta(pc, &total));
	assert_int_equal(total, 0);
	assert_int_equal(powercap_sample(pc), 0);
	powercap_free(pc);
}

/* The root itself goes away (a share unmounted): no crash, nothing valid. */
static void test_root_vanishes(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	uint64_t total = 1;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	powercap_sample(pc);
	OK(fixture_rmtree(root));
	for (int i = 0; i < 3; i++)
		assert_int_equal(powercap_sample(pc), 0);
	assert_false(powercap_total_delta(pc, &total));
	powercap_free(pc);
}

static void test_zone_appears(void **state)
{
	const char *root = *state;
	struct powercap *pc;
	struct zone *z;
	int samples = 0;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	powercap_sample(pc);
	OK(fixture_zone(root, "intel-rapl:1", "package-1", 7000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1/intel-rapl:1:0", "dram", 9000, 262143328850));
	while (pc->nzones == 1 && samples < RESCAN_SAMPLES) {
		OK(fixture_zone_set(root, "intel-rapl:0", 1000 + 100 * (uint64_t)(samples + 1)));
		powercap_sample(pc);
		samples++;
		/* The zone already known keeps its deltas through the rescan. */
		assert_true(zone_of(pc, "intel-rapl:0")->valid);
		assert_int_equal(zone_of(pc, "intel-rapl:0")->delta_uj, 100);
	}
	assert_int_equal(pc->nzones, 3);
	assert_true(samples <= RESCAN_SAMPLES);
	assert_int_equal(zone_of(pc, "intel-rapl:0")->energy_uj, 100 * (uint64_t)samples);
	/* New zones have no delta in the sample that found them. */
	z = zone_of(pc, "intel-rapl:1");
	assert_false(z->valid);
	assert_true(z->primed);
	assert_int_equal(zone_of(pc, "intel-rapl:1:0")->parent, index_of(pc, "intel-rapl:1"));

	OK(fixture_zone_set(root, "intel-rapl:1", 7400));
	OK(fixture_zone_set(root, "intel-rapl:1/intel-rapl:1:0", 9050));
	assert_int_equal(powercap_sample(pc), 3);
	z = zone_of(pc, "intel-rapl:1");
	assert_true(z->valid);
	assert_int_equal(z->delta_uj, 400);
	assert_int_equal(z->energy_uj, 400);
	assert_int_equal(zone_of(pc, "intel-rapl:1:0")->delta_uj, 50);
	powercap_free(pc);
}

/*
 * energy_uj replaced by a new file (a driver reloaded, a share recreated):
 * the new counter is read from then on, what was counted stays counted,
 * and the jump between the two counters is not a delta.
 */
static void test_zone_replaced(void **state)
{
	const char *root = *state;
	struct fixture_capture cap;
	struct powercap *pc;
	struct zone *z;
	char *from, *to, *old, *err;

	OK(fixture_zone(root, "intel-rapl:0", "package-0", 1000, 262143328850));
	OK(fixture_zone(root, "intel-rapl:1", "package-1", 1000, 262143328850));
	pc = powercap_open(root);
	assert_non_null(pc);
	powercap_sample(pc);
	OK(fixture_zone_set(root, "intel-rapl:0", 5000));
	assert_int_equal(powercap_sample(pc), 2);
	assert_int_equal(zone_of(pc, "intel-rapl:0")->energy_uj, 4000);

	/*
	 * energy_uj written beside and renamed over, as vpowercap-channel
	 * updates the guest's tree: a new inode, the same counter going on.
	 */
	OK(fixture_write(root, "intel-rapl:0/energy_uj.new", "5600\n"));
	from = fixture_path(root, "intel-rapl:0/energy_uj.new");
	to = fixture_path(root, "intel-rapl:0/energy_uj");
	assert_non_null(from);
	assert_non_null(to);
	OK(rename(from, to));
	free(from);
	free(to);
	OK(fixture_capture_start(&cap, STDERR_FILENO, root));
	assert_int_equal(powercap_sample(pc), 2);
	err = fixture_capture_end(&cap);
	assert_non_null(err);
	assert_null(strstr(err, "replaced"));
	free(err);
	z = zone_of(pc, "intel-rapl:0");
	assert_true(z->valid);
	assert_int_equal(z->delta_uj, 600);
	assert_int_equal(z->energy_uj, 4600);

	/*
	 * The zone's directory replaced (a driver reloaded): another counter.
	 * sysfs removes the old one's files, which the next sample sees.
	 */
	OK(fixture_zone(root, "new-0", "package-0", 100, 262143328850));
	from = fixture_path(root, "new-0");
	to = fixture_path(root, "intel-rapl:0");
	assert_non_null(from);
	assert_non_null(to);
	for (const char *const *f = (const char *const[]){ "name", "energy_uj", "max_energy_range_uj", "enabled", NULL }; *f; f++) {
		char *file = fixture_path(root, "intel-rapl:0");
		char path[PATH_MAX];

		assert_non_null(file);
		snprintf(path, sizeof(path), "%s/%s", file, *f);
		unlink(path);
		free(file);
	}
	OK(rename(from, to));
	free(from);
	free(to);
	OK(fixture_capture_start(&cap, STDERR_FILENO, root));
	assert_int_equal(powercap_sample(pc), 1);
	err = fixture_capture_end(&cap);
	assert_non_null(err);
	/* Replaced, once; not also vanished. */
	assert_non_null(strstr(err, "zone 'intel-rapl:0' (package-0) was replaced"));
	assert_null(strstr(err, "vanished"));
	assert_null(strstr(err, "appeared"));
	free(err);
	assert_int_equal(pc->nzones, 2);
	z = zone_of(pc, "intel-rapl:0");
	assert_false(z->valid);
	assert_int_equal(z->energy_uj, 4600);
	assert_true(zone_of(pc, "intel-rapl:1")->valid);

	OK(fixture_zone_set(root, "intel-rapl:0", 350));
	assert_int_equal(powercap_sample(pc), 2);
	z = zone_of(pc, "intel-rapl:0");
	assert_true(z->valid);
	assert_int_equal(z->delta_uj, 250);
	assert_int_equal(z->energy_uj, 4850);

	/*
	 * Moved away whole, its files still linked, and another put in its
	 * place: found by the next rescan, within RESCAN_SAMPLES samples; the
	 * moved counter (which stands still) is read meanwhile, nothing of
	 * the new one counted before it is found.
	 */
	OK(fixture_zone(root, "new-0", "package-0", 10, 262143328850));
	from = fixture_path(root, "new-0");
	to = fixture_path(root, "intel-rapl:0");
	old = fixture_path(root, "old-0");
	assert_non_null(from);
	assert_non_null(to);
	assert_non_null(old);
	OK(rename(to, old));
	OK(rename(from, to));
	free(from);
	free(to);
	free(old);
	{
		int samples = 0;

		OK(fixture_capture_start(&cap, STDERR_FILENO, root));
		do {
			OK(fixture_zone_set(root, "intel-rapl:0", 10 + 5 * (uint64_t)samples));
			powercap_sample(pc);
			samples++;
		} while (zone_of(pc, "intel-rapl:0")->valid && samples <= RESCAN_SAMPLES);
		err = fixture_capture_end(&cap);
		assert_non_null(err);
		assert_true(samples <= RESCAN_SAMPLES);
		assert_non_null(strstr(err, "zone 'intel-rapl:0' (package-0) was replaced"));
		free(err);
		assert_int_equal(zone_of(pc, "intel-rapl:0")->energy_uj, 4850);
	}
	powercap_free(pc);
}

/* Many samples over steady counters: rescans keep every zone and every delta. */
static void test_steady_over_rescans(void **state)
{
	const char *root = *state;
	struct powercap *pc;

	make_sysfs_tree(root);
	pc = powercap_open(root);
	assert_non_null(pc);
	powercap_sample(pc);
	for (uint64_t i = 1; i <= 3 * RESCAN_SAMPLES + 1; i++) {
		uint64_t total;

		OK(fixture_zone_set(root, "intel-rapl:0", 1000 + 7 * i));
		OK(fixture_zone_set(root, "intel-rapl:1", 5000 + 11 * i));
		assert_int_equal(powercap_sample(pc), 4);
		assert_int_equal(pc->nzones, 4);
		assert_int_equal(zone_of(pc, "intel-rapl:0")->delta_uj, 7);
		assert_int_equal(zone_of(pc, "intel-rapl:0")->energy_uj, 7 * i);
		assert_true(powercap_total_delta(pc, &total));
		assert_int_equal(total, 11);
	}
	powercap_free(pc);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup_dir, fixture_teardown_dir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_one_package),
		T(test_two_packages_flat),
		T(test_nested_subzones),
		T(test_sysfs_links),
		T(test_loops_ignored),
		T(test_control_type_only),
		T(test_dangling_link_ignored),
		T(test_psys_total),
		T(test_mmio_duplicate_skipped),
		T(test_mmio_alone_kept),
		T(test_amd_style),
		T(test_hex_ids),
		cmocka_unit_test(test_zone_id_cmp),
		cmocka_unit_test(test_zone_kind_of),
		T(test_open_missing_root),
		T(test_open_empty_root),
		T(test_incomplete_zone_skipped),
		T(test_read_attr),
		T(test_sample_deltas),
		T(test_total_packages_and_dram),
		T(test_wrap),
		T(test_garbage_value),
		T(test_empty_value),
		T(test_other_bad_values),
		T(test_no_range_decrease),
		T(test_reading_beyond_range),
		T(test_zone_vanishes),
		T(test_linked_zone_vanishes),
		T(test_every_zone_vanishes),
		T(test_root_vanishes),
		T(test_zone_appears),
		T(test_zone_replaced),
		T(test_steady_over_rescans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
