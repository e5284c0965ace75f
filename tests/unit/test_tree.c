// SPDX-License-Identifier: MIT
/*
 * Tests of the per-VM tree snapshots (fuse/tree.c): zone parents, VM
 * directory names made usable and unique, values kept with their VM, and
 * lookups by directory and zone id.
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

#include "fuse/tree.h"

static const struct tree_vm *find_vm(const struct tree_snapshot *s, const char *dir)
{
	return tree_find_vm(s, dir, strlen(dir));
}

static int find_zone(const struct tree_snapshot *s, const char *id)
{
	return tree_find_zone(s, id, strlen(id));
}

static void test_zone_parents(void **state)
{
	struct tree_snapshot *s = tree_snapshot_new(6, 0);

	(void)state;
	assert_non_null(s);
	/* children before their parents: the order given does not matter */
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0:1", "dram", 1000), 0);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0", "package-0", 2000), 0);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0:0", "core", 3000), 0);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:1", "package-1", 4000), 0);
	/* "intel-rapl:1" is a prefix of its id, not its parent */
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:10:0", "core", 5000), 0);
	assert_int_equal(tree_snapshot_add_zone(s, "psys", "psys", 6000), 0);
	assert_int_equal(tree_snapshot_add_zone(s, "x", "full", 0), -ENOSPC);
	tree_snapshot_finish(s);

	assert_int_equal(s->nzones, 6);
	assert_int_equal(s->zones[0].parent, 1);
	assert_int_equal(s->zones[1].parent, -1);
	assert_int_equal(s->zones[2].parent, 1);
	assert_int_equal(s->zones[3].parent, -1);
	assert_int_equal(s->zones[4].parent, -1);
	assert_int_equal(s->zones[5].parent, -1);
	/* zones keep the order they were added in, with what was given */
	assert_string_equal(s->zones[2].id, "intel-rapl:0:0");
	assert_string_equal(s->zones[2].name, "core");
	assert_int_equal(s->zones[2].max_energy_range_uj, 3000);

	assert_int_equal(find_zone(s, "intel-rapl:0"), 1);
	assert_int_equal(find_zone(s, "intel-rapl:0:1"), 0);
	assert_int_equal(find_zone(s, "intel-rapl:10:0"), 4);
	assert_int_equal(find_zone(s, "intel-rapl:10"), -1);
	assert_int_equal(find_zone(s, "intel-rapl"), -1);
	assert_int_equal(find_zone(s, "intel-rapl:0:"), -1);
	assert_int_equal(find_zone(s, "intel-rapl:0:11"), -1);
	assert_int_equal(find_zone(s, ""), -1);
	/* a length cuts the id out of a longer path */
	assert_int_equal(tree_find_zone(s, "intel-rapl:1/energy_uj", 12), 3);
	tree_snapshot_free(s);
}

static void test_capacity(void **state)
{
	struct tree_snapshot *s = tree_snapshot_new(2, 2);
	uint64_t *a, *b;

	(void)state;
	assert_non_null(s);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0", "package-0", 100), 0);
	a = tree_snapshot_add_vm(s, "a", "uuid-a");
	assert_non_null(a);
	/* no zone once a VM is in, room or not: the rows are laid out already */
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:1", "package-1", 100), -ENOSPC);
	b = tree_snapshot_add_vm(s, "b", "uuid-b");
	assert_non_null(b);
	assert_null(tree_snapshot_add_vm(s, "c", "uuid-c"));
	assert_int_equal(a[0], 0);
	assert_int_equal(b[0], 0);
	assert_ptr_not_equal(a, b);
	tree_snapshot_finish(s);
	assert_int_equal(s->nvms, 2);
	tree_snapshot_free(s);
	tree_snapshot_free(NULL);
}

/* Each VM's row of values goes where its directory goes when sorted. */
static void test_values_follow_their_vm(void **state)
{
	const char *names[] = { "zeta", "alpha", "mid", "beta" };
	struct tree_snapshot *s = tree_snapshot_new(2, 4);

	(void)state;
	assert_non_null(s);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0", "package-0", 0), 0);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0:0", "core", 0), 0);
	for (int i = 0; i < 4; i++) {
		char uuid[16];
		uint64_t *row;

		snprintf(uuid, sizeof(uuid), "uuid-%d", i);
		row = tree_snapshot_add_vm(s, names[i], uuid);
		assert_non_null(row);
		row[0] = 100 + (uint64_t)i;
		row[1] = 200 + (uint64_t)i;
	}
	tree_snapshot_finish(s);
	assert_string_equal(s->vms[0].dir, "alpha");
	assert_string_equal(s->vms[1].dir, "beta");
	assert_string_equal(s->vms[2].dir, "mid");
	assert_string_equal(s->vms[3].dir, "zeta");
	for (int i = 0; i < 4; i++) {
		const struct tree_vm *vm = find_vm(s, names[i]);
		char uuid[16];

		assert_non_null(vm);
		snprintf(uuid, sizeof(uuid), "uuid-%d", i);
		assert_string_equal(vm->uuid, uuid);
		assert_int_equal(tree_vm_energy(s, vm)[0], 100 + (uint64_t)i);
		assert_int_equal(tree_vm_energy(s, vm)[1], 200 + (uint64_t)i);
	}
	tree_snapshot_free(s);
}

/* A directory is one path component that can be opened. */
static void test_unusable_names(void **state)
{
	/* a name, and the directory it gets */
	static const char *const cases[][2] = {
		{ "", "vm" }, { ".", "vm." }, { "..", "vm.." },
		{ "a/b", "a_b" }, { "/", "_" }, { "../etc", ".._etc" }, { "//", "__" },
		{ "...", "..." }, { ".hidden", ".hidden" },
		/* what libvirt allows: spaces and UTF-8 kept, control characters not */
		{ "my web vm", "my web vm" }, { "caf\xc3\xa9 \xe2\x98\x83", "caf\xc3\xa9 \xe2\x98\x83" },
		{ "x\ny", "x_y" }, { "tab\there\r", "tab_here_" }, { "esc\x1b[31m\x7f", "esc_[31m_" },
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct tree_snapshot *s = tree_snapshot_new(0, n);

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		char uuid[16];

		snprintf(uuid, sizeof(uuid), "uuid-%zu", i);
		assert_non_null(tree_snapshot_add_vm(s, cases[i][0], uuid));
	}
	tree_snapshot_finish(s);
	assert_int_equal(s->nvms, n);
	for (size_t i = 0; i < n; i++) {
		const struct tree_vm *vm = find_vm(s, cases[i][1]);
		char uuid[16];

		if (!vm)
			fail_msg("'%s': no directory '%s'", cases[i][0], cases[i][1]);
		snprintf(uuid, sizeof(uuid), "uuid-%zu", i);
		assert_string_equal(vm->uuid, uuid);
	}
	/* what the names were is not a directory */
	for (const char *const *was = (const char *const[]){ "", ".", "..", "a/b", "/", NULL }; *was; was++)
		assert_null(find_vm(s, *was));
	tree_snapshot_free(s);
}

/* Two VMs of one name: one keeps it, the other gets its UUID added. */
static void test_duplicate_names(void **state)
{
	struct tree_snapshot *s = tree_snapshot_new(1, 5);
	const struct tree_vm *plain, *suffixed;
	uint64_t *row;

	(void)state;
	assert_non_null(s);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0", "package-0", 0), 0);
	row = tree_snapshot_add_vm(s, "web", "uuid-1");
	row[0] = 1;
	row = tree_snapshot_add_vm(s, "db", "uuid-2");
	row[0] = 2;
	row = tree_snapshot_add_vm(s, "web", "uuid-3");
	row[0] = 3;
	/* a name made usable can meet a VM that has it already */
	row = tree_snapshot_add_vm(s, "", "uuid-4");
	row[0] = 4;
	row = tree_snapshot_add_vm(s, "vm", "uuid-5");
	row[0] = 5;
	tree_snapshot_finish(s);
	assert_int_equal(s->nvms, 5);
	for (size_t i = 1; i < s->nvms; i++)
		assert_true(strcmp(s->vms[i - 1].dir, s->vms[i].dir) < 0);

	plain = find_vm(s, "web");
	assert_non_null(plain);
	suffixed = find_vm(s, strcmp(plain->uuid, "uuid-1") ? "web-uuid-1" : "web-uuid-3");
	assert_non_null(suffixed);
	assert_ptr_not_equal(plain, suffixed);
	assert_int_equal(tree_vm_energy(s, plain)[0] + tree_vm_energy(s, suffixed)[0], 4);
	assert_int_equal(tree_vm_energy(s, plain)[0], plain->uuid[5] - '0');
	assert_int_equal(tree_vm_energy(s, suffixed)[0], suffixed->uuid[5] - '0');

	plain = find_vm(s, "vm");
	assert_non_null(plain);
	suffixed = find_vm(s, strcmp(plain->uuid, "uuid-4") ? "vm-uuid-4" : "vm-uuid-5");
	assert_non_null(suffixed);
	assert_int_equal(tree_vm_energy(s, plain)[0] + tree_vm_energy(s, suffixed)[0], 9);

	assert_non_null(find_vm(s, "db"));
	assert_int_equal(tree_vm_energy(s, find_vm(s, "db"))[0], 2);
	tree_snapshot_free(s);
}

/* Three VMs of one name: three directories, each VM in its own. */
static void test_triplicate_names(void **state)
{
	struct tree_snapshot *s = tree_snapshot_new(1, 3);
	const char *uuids[] = { "uuid-1", "uuid-2", "uuid-3" };

	(void)state;
	assert_non_null(s);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0", "package-0", 0), 0);
	for (size_t i = 0; i < 3; i++)
		tree_snapshot_add_vm(s, "web", uuids[i])[0] = i + 1;
	tree_snapshot_finish(s);
	assert_int_equal(s->nvms, 3);
	for (size_t i = 1; i < s->nvms; i++)
		assert_true(strcmp(s->vms[i - 1].dir, s->vms[i].dir) < 0);
	for (size_t i = 0; i < 3; i++) {
		const struct tree_vm *vm = NULL;
		char dir[64];

		for (size_t k = 0; k < s->nvms; k++)
			if (!strcmp(s->vms[k].uuid, uuids[i]))
				vm = &s->vms[k];
		assert_non_null(vm);
		snprintf(dir, sizeof(dir), "web-%s", uuids[i]);
		assert_true(!strcmp(vm->dir, "web") || !strcmp(vm->dir, dir));
		assert_ptr_equal(find_vm(s, vm->dir), vm);
		assert_int_equal(tree_vm_energy(s, vm)[0], i + 1);
	}
	tree_snapshot_free(s);
}

/* The longest name, twice: the suffix still fits, the name is cut instead. */
static void test_duplicate_long_names(void **state)
{
	struct tree_snapshot *s = tree_snapshot_new(0, 2);
	char name[TREE_DIR_MAX], uuid[TREE_UUID_MAX];
	const struct tree_vm *vm;
	size_t dl, ul;

	(void)state;
	assert_non_null(s);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(uuid, 'u', sizeof(uuid) - 1);
	uuid[sizeof(uuid) - 1] = '\0';
	assert_non_null(tree_snapshot_add_vm(s, name, "first"));
	assert_non_null(tree_snapshot_add_vm(s, name, uuid));
	tree_snapshot_finish(s);
	vm = find_vm(s, name);
	assert_non_null(vm);
	vm = &s->vms[vm == &s->vms[0] ? 1 : 0];
	dl = strlen(vm->dir);
	ul = strlen(vm->uuid);
	assert_true(dl < TREE_DIR_MAX && dl > ul + 1);
	assert_int_equal(strspn(vm->dir, "n"), dl - ul - 1);
	assert_int_equal(vm->dir[dl - ul - 1], '-');
	assert_string_equal(vm->dir + dl - ul, vm->uuid);
	assert_ptr_equal(find_vm(s, vm->dir), vm);
	tree_snapshot_free(s);
}

static void test_find_vm(void **state)
{
	struct tree_snapshot *s = tree_snapshot_new(0, 201);
	char dir[32];

	(void)state;
	assert_non_null(s);
	assert_null(find_vm(s, "web"));  /* nothing in yet */
	for (int i = 0; i < 200; i++) {
		snprintf(dir, sizeof(dir), "vm-%03d", i * 5);
		assert_non_null(tree_snapshot_add_vm(s, dir, dir));
	}
	assert_non_null(tree_snapshot_add_vm(s, "web", "w"));
	tree_snapshot_finish(s);

	/* every one present is found, every one between is not */
	for (int i = 0; i < 1000; i++) {
		const struct tree_vm *vm;

		snprintf(dir, sizeof(dir), "vm-%03d", i);
		vm = find_vm(s, dir);
		if (i % 5) {
			assert_null(vm);
			continue;
		}
		assert_non_null(vm);
		assert_string_equal(vm->uuid, dir);
	}
	/* prefixes and extensions of a name are other names */
	assert_non_null(find_vm(s, "web"));
	assert_null(find_vm(s, "we"));
	assert_null(find_vm(s, "w"));
	assert_null(find_vm(s, "webb"));
	assert_null(find_vm(s, "web-"));
	assert_null(find_vm(s, "vm-"));
	assert_null(find_vm(s, "vm-00"));
	assert_null(find_vm(s, "vm-0000"));
	assert_null(find_vm(s, ""));
	assert_null(find_vm(s, "zzz"));
	assert_null(find_vm(s, "a"));
	/* a length takes the first component of a path */
	assert_string_equal(tree_find_vm(s, "web/intel-rapl:0/energy_uj", 3)->uuid, "w");
	assert_string_equal(tree_find_vm(s, "vm-005x", 6)->uuid, "vm-005");
	tree_snapshot_free(s);
}

/* Directories by UUID: found by it, in an order of their own, made usable names. */
static void test_find_vm_dir(void **state)
{
	static const char *const vms[][2] = {
		/* names and UUIDs in opposite orders, so one sort cannot serve both */
		{ "a-web", "ccc00000-0000-4000-8000-000000000003" },
		{ "b-db", "bbb00000-0000-4000-8000-000000000002" },
		{ "c-mail", "aaa00000-0000-4000-8000-000000000001" },
		/* a fallback id (proc source) with a '/' still makes one path component */
		{ "d-odd", "pid/42" },
		/* an empty one, from a feed, as an empty name: its short field read no further */
		{ "e-none", "" },
	};
	struct tree_snapshot *s = tree_snapshot_new(0, sizeof(vms) / sizeof(vms[0]));
	const struct tree_vm *vm;

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(vms) / sizeof(vms[0]); i++)
		assert_non_null(tree_snapshot_add_vm(s, vms[i][0], vms[i][1]));
	tree_snapshot_finish(s);
	assert_string_equal(tree_find_vm(s, "e-none", 6)->uuid_dir, "vm");

	vm = tree_find_vm_dir(s, "aaa00000-0000-4000-8000-000000000001", 36);
	assert_non_null(vm);
	assert_string_equal(vm->dir, "c-mail");
	vm = tree_find_vm_dir(s, "ccc00000-0000-4000-8000-000000000003/intel-rapl", 36);
	assert_non_null(vm);
	assert_string_equal(vm->dir, "a-web");
	assert_string_equal(tree_find_vm_dir(s, "bbb00000-0000-4000-8000-000000000002", 36)->dir, "b-db");
	vm = tree_find_vm_dir(s, "pid_42", 6);
	assert_non_null(vm);
	assert_string_equal(vm->uuid, "pid/42");   /* the key stays as it was */
	assert_string_equal(vm->uuid_dir, "pid_42");
	/* a name is not a directory, nor a UUID a link */
	assert_null(tree_find_vm_dir(s, "a-web", 5));
	assert_null(tree_find_vm(s, "aaa00000-0000-4000-8000-000000000001", 36));
	assert_null(tree_find_vm_dir(s, "aaa00000", 8));
	/* each VM's link and directory name the same VM */
	for (size_t i = 0; i < s->nvms; i++)
		assert_ptr_equal(tree_find_vm_dir(s, s->vms[i].uuid_dir, strlen(s->vms[i].uuid_dir)),
				 tree_find_vm(s, s->vms[i].dir, strlen(s->vms[i].dir)));
	tree_snapshot_free(s);
}

static void test_publisher_starts_empty(void **state)
{
	struct publisher p;
	struct tree_snapshot *s;

	(void)state;
	assert_int_equal(tree_publisher_init(&p), 0);
	s = tree_get(&p);
	assert_non_null(s);
	assert_int_equal(s->nzones, 0);
	assert_int_equal(s->nvms, 0);
	assert_null(find_vm(s, "web"));
	assert_int_equal(find_zone(s, "intel-rapl:0"), -1);
	tree_put(&p, s);
	publisher_release(&p);
}

/* A tree of @n VMs (uuid-I, named vm-I) and zones @ids, added from VM @first on, round. */
static struct tree_snapshot *keyed_tree(size_t n, size_t first, const char *const *ids, size_t nids)
{
	struct tree_snapshot *s = tree_snapshot_new(nids, n);

	assert_non_null(s);
	for (size_t z = 0; z < nids; z++)
		assert_int_equal(tree_snapshot_add_zone(s, ids[z], "zone", 0), 0);
	for (size_t k = 0; k < n; k++) {
		char name[32], uuid[48];
		size_t i = (first + k) % n;

		snprintf(name, sizeof(name), "vm-%zu", i);
		snprintf(uuid, sizeof(uuid), "uuid-%zu", i);
		assert_non_null(tree_snapshot_add_vm(s, name, uuid));
	}
	tree_snapshot_finish(s);
	return s;
}

/*
 * Keys and slots depend on the VMs and zones, not on their order nor on
 * the others there: another server given the tree numbers it alike (the
 * FUSE node ids are made of them). Every key is found, none is 0 or
 * shared, and the one of a VM no longer there finds nothing.
 */
static void test_keys_and_slots_stable(void **state)
{
	static const char *const ids[] = { "intel-rapl:1", "intel-rapl:0", "intel-rapl:0:0" };
	static const char *const reordered[] = { "intel-rapl:0:0", "intel-rapl:1", "intel-rapl:0" };
	struct tree_snapshot *a = keyed_tree(500, 0, ids, 3), *b = keyed_tree(500, 123, reordered, 3);
	struct tree_snapshot *fewer = keyed_tree(400, 7, ids, 3);

	(void)state;
	for (size_t i = 0; i < a->nvms; i++) {
		const struct tree_vm *va = &a->vms[i];
		const struct tree_vm *vb = tree_find_vm_dir(b, va->uuid_dir, strlen(va->uuid_dir));
		const struct tree_vm *vf = tree_find_vm_dir(fewer, va->uuid_dir, strlen(va->uuid_dir));

		assert_non_null(vb);
		assert_int_not_equal(va->key, 0);
		assert_true(va->key < 1ull << TREE_KEY_BITS);
		assert_int_equal(va->key, vb->key);
		assert_ptr_equal(tree_find_vm_key(a, va->key), va);
		assert_ptr_equal(tree_find_vm_key(b, va->key), vb);
		if (vf)
			assert_int_equal(vf->key, va->key);
		else
			assert_null(tree_find_vm_key(fewer, va->key));
		if (i)
			assert_int_not_equal(a->by_key[i]->key, a->by_key[i - 1]->key);
	}
	assert_null(tree_find_vm_key(a, 0));
	for (size_t z = 0; z < a->nzones; z++) {
		int zb = tree_find_zone(b, a->zones[z].id, strlen(a->zones[z].id));

		assert_true(zb >= 0);
		assert_int_equal(a->zones[z].slot, b->zones[zb].slot);
		assert_int_equal(tree_find_zone_slot(a, a->zones[z].slot), (int)z);
	}
	/* slots by rank of id: intel-rapl:0, intel-rapl:0:0, intel-rapl:1 */
	assert_int_equal(a->zones[1].slot, 1);
	assert_int_equal(a->zones[2].slot, 2);
	assert_int_equal(a->zones[0].slot, 3);
	assert_int_equal(tree_find_zone_slot(a, 0), -1);
	assert_int_equal(tree_find_zone_slot(a, 4), -1);
	tree_snapshot_free(a);
	tree_snapshot_free(b);
	tree_snapshot_free(fewer);
}

/* A snapshot of the same shape shares it, with values of its own. */
static void test_same_shape(void **state)
{
	static const char *const ids[] = { "intel-rapl:0" };
	struct tree_snapshot *a = keyed_tree(3, 0, ids, 1), *b;

	(void)state;
	for (size_t i = 0; i < a->nvms; i++)
		tree_vm_energy(a, &a->vms[i])[0] = 100 + a->vms[i].row;
	b = tree_snapshot_same_shape(a);
	assert_non_null(b);
	assert_ptr_equal(b->shape, a->shape);
	assert_ptr_equal(b->vms, a->vms);
	assert_ptr_not_equal(b->values, a->values);
	tree_vm_energy(b, &b->vms[0])[0] = 7;
	assert_int_equal(tree_vm_energy(a, &a->vms[0])[0], 100 + a->vms[0].row);
	/* the shape outlives the first snapshot freed */
	tree_snapshot_free(a);
	assert_int_equal(tree_vm_energy(b, &b->vms[0])[0], 7);
	assert_non_null(tree_find_vm(b, "vm-1", 4));
	tree_snapshot_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_parents),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_values_follow_their_vm),
		cmocka_unit_test(test_unusable_names),
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_triplicate_names),
		cmocka_unit_test(test_duplicate_long_names),
		cmocka_unit_test(test_find_vm),
		cmocka_unit_test(test_find_vm_dir),
		cmocka_unit_test(test_publisher_starts_empty),
		cmocka_unit_test(test_keys_and_slots_stable),
		cmocka_unit_test(test_same_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
