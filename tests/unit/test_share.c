// SPDX-License-Identifier: MIT
/*
 * Tests of the VMs' tree snapshot built from the ledger's view
 * (host/share.c): which zones and VMs are presented, the estimate's zone
 * served as a package, values modulo each zone's range, and the VMs'
 * directories as the FUSE side looks them up; every snapshot also sent as
 * the daemon sends it, and decoded as the tree server does.
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

#include <sys/socket.h>
#include <unistd.h>

#include "common/powercap_i.h"
#include "common/sensor.h"
#include "fuse/feed.h"
#include "host/share.h"

#define MAX_ZONES 4

/* A ledger fed, tick by tick, by a fake sensor tree and a VM list. */
struct host {
	struct ledger ledger;
	struct vm_list vms;
	struct powercap pc;
	struct zone zones[MAX_ZONES];
};

static int host_setup(void **state)
{
	struct ledger_config cfg = { .policy = POLICY_BUSY, .retain_ticks = 100 };
	struct host *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	ledger_init(&h->ledger, &cfg);
	h->pc.zones = h->zones;
	*state = h;
	return 0;
}

static int host_teardown(void **state)
{
	struct host *h = *state;

	vm_list_release(&h->vms);
	ledger_release(&h->ledger);
	free(h);
	return 0;
}

/* A zone of the sensor's tree, measuring @delta_uj every tick. */
static void host_add_zone(struct host *h, const char *id, const char *name, enum zone_kind kind,
			  uint64_t max_energy_range_uj, uint64_t delta_uj)
{
	struct zone *z;

	assert_true(h->pc.nzones < MAX_ZONES);
	z = &h->zones[h->pc.nzones++];
	*z = (struct zone){ .kind = kind, .fd = -1, .parent = -1, .valid = true,
			    .max_energy_range_uj = max_energy_range_uj, .delta_uj = delta_uj };
	snprintf(z->id, sizeof(z->id), "%s", id);
	snprintf(z->name, sizeof(z->name), "%s", name);
}

/* A running VM of one vCPU, as its source lists it. */
static void host_add_vm(struct host *h, const char *uuid, const char *name)
{
	struct vm_info *vm = vm_list_add(&h->vms);

	assert_non_null(vm);
	vm->vcpus = 1;
	vm->running = true;
	snprintf(vm->uuid, sizeof(vm->uuid), "%s", uuid);
	assert_int_equal(vm_list_set_name(&h->vms, vm, name), 0);
}

/* One tick of 1 s in which every VM ran @cpu_ns more, the host busy for all of it. */
static void host_tick(struct host *h, uint64_t cpu_ns)
{
	for (size_t i = 0; i < h->vms.n; i++)
		h->vms.vms[i].cpu_ns += cpu_ns;
	assert_int_equal(ledger_tick(&h->ledger, &h->pc, &h->vms, cpu_ns * h->vms.n, 4, 1000000000), 0);
}

/*
 * The snapshot of the ledger now, as the tree server gets it: sent as it
 * is encoded (share_snapshot_send()) and decoded, which must be what
 * share_snapshot_build() builds; then sent again, the shape unchanged, as
 * the values alone (COUNTERS), which applied to the first give the same.
 * The caller frees it.
 */
static struct tree_snapshot *host_snapshot(const struct host *h)
{
	struct ledger_view v = { 0 };
	struct tree_snapshot *built, *s, *c;
	struct feed_reader r = { 0 };
	enum feed_type type;
	const void *payload;
	uint64_t seq = 0, shape = 0;
	char why[128] = "";
	size_t len;
	int sv[2];

	assert_int_equal(ledger_view_update(&v, &h->ledger), 0);
	built = share_snapshot_build(&v);
	assert_non_null(built);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(share_snapshot_send(&v, sv[0], 77, &shape), 0);
	assert_int_equal(feed_read(sv[1], &r, &type, &payload, &len), 1);
	assert_int_equal(type, FEED_SNAPSHOT);
	s = feed_decode_snapshot(payload, len, &seq, why, sizeof(why));
	if (!s)
		fail_msg("the snapshot sent does not decode: %s", why);
	assert_int_equal(seq, 77);
	/* both ends hash the shape alike */
	assert_int_not_equal(shape, 0);
	assert_int_equal(s->shape_hash, shape);
	/* again, the shape unchanged: the values alone, applied to the snapshot */
	assert_int_equal(share_snapshot_send(&v, sv[0], 78, &shape), 0);
	assert_int_equal(feed_read(sv[1], &r, &type, &payload, &len), 1);
	assert_int_equal(type, FEED_COUNTERS);
	assert_true(len < 64 + s->nvms * s->nzones * sizeof(uint64_t));
	c = feed_decode_counters(s, payload, len, &seq, why, sizeof(why));
	if (!c)
		fail_msg("the counters sent do not apply: %s", why);
	assert_int_equal(seq, 78);
	assert_ptr_equal(c->shape, s->shape);
	assert_ptr_equal(c->vms, s->vms);
	assert_ptr_not_equal(c->values, s->values);
	tree_snapshot_free(s);
	s = c;
	assert_int_equal(s->nzones, built->nzones);
	for (size_t z = 0; z < s->nzones; z++) {
		assert_string_equal(s->zones[z].id, built->zones[z].id);
		assert_string_equal(s->zones[z].name, built->zones[z].name);
		assert_int_equal(s->zones[z].max_energy_range_uj, built->zones[z].max_energy_range_uj);
		assert_int_equal(s->zones[z].parent, built->zones[z].parent);
	}
	assert_int_equal(s->nvms, built->nvms);
	for (size_t i = 0; i < s->nvms; i++) {
		assert_string_equal(s->vms[i].dir, built->vms[i].dir);
		assert_string_equal(s->vms[i].uuid, built->vms[i].uuid);
		assert_string_equal(s->vms[i].uuid_dir, built->vms[i].uuid_dir);
		assert_memory_equal(tree_vm_energy(s, &s->vms[i]), tree_vm_energy(built, &built->vms[i]), s->nzones * sizeof(uint64_t));
	}
	feed_reader_release(&r);
	close(sv[0]);
	close(sv[1]);
	tree_snapshot_free(built);
	ledger_view_release(&v);
	return s;
}

static const struct tree_vm *find_vm(const struct tree_snapshot *s, const char *dir)
{
	return tree_find_vm(s, dir, strlen(dir));
}

static void test_zones_and_values(void **state)
{
	struct host *h = *state;
	struct tree_snapshot *s;
	bool wrapped = false;

	host_add_zone(h, "intel-rapl:0", "package-0", ZONE_PACKAGE, 1000000, 700000);
	host_add_zone(h, "intel-rapl:0:0", "core", ZONE_CORE, 0, 400000);  /* range unknown */
	host_add_zone(h, "intel-rapl:0:1", "dram", ZONE_DRAM, 300000, 90000);
	host_add_vm(h, "bbbbbbbb-0000-0000-0000-000000000002", "db");
	host_add_vm(h, "aaaaaaaa-0000-0000-0000-000000000001", "web");
	for (int i = 0; i < 12; i++)
		host_tick(h, 500000000);
	s = host_snapshot(h);

	assert_int_equal(s->nzones, 3);
	assert_string_equal(s->zones[0].id, "intel-rapl:0");
	assert_string_equal(s->zones[0].name, "package-0");
	assert_int_equal(s->zones[0].max_energy_range_uj, 1000000);
	assert_int_equal(s->zones[0].parent, -1);
	assert_string_equal(s->zones[1].id, "intel-rapl:0:0");
	assert_int_equal(s->zones[1].parent, 0);
	assert_string_equal(s->zones[2].name, "dram");
	assert_int_equal(s->zones[2].parent, 0);

	assert_int_equal(s->nvms, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct ledger_vm *lv = ledger_find_vm(&h->ledger, h->vms.vms[i].uuid);
		const struct tree_vm *vm = find_vm(s, h->vms.vms[i].name);

		assert_non_null(lv);
		assert_non_null(vm);
		assert_string_equal(vm->uuid, h->vms.vms[i].uuid);
		/* its directory is its UUID's, the same VM as its name's link */
		assert_ptr_equal(tree_find_vm_dir(s, h->vms.vms[i].uuid, strlen(h->vms.vms[i].uuid)), vm);
		for (size_t z = 0; z < 3; z++) {
			uint64_t energy = lv->shares[z].energy_uj, range = h->zones[z].max_energy_range_uj;

			assert_true(energy > 0);
			assert_int_equal(tree_vm_energy(s, vm)[z], range ? energy % range : energy);
			wrapped |= range && energy >= range;
		}
	}
	/* the values above did pass their range, or the test shows nothing */
	assert_true(wrapped);
	tree_snapshot_free(s);
}

static void test_estimate_served_as_package(void **state)
{
	struct host *h = *state;
	struct tree_snapshot *s;

	host_add_zone(h, SENSOR_ESTIMATE_ZONE_ID, "cpu", ZONE_PACKAGE, 5000000, 100000);
	host_add_vm(h, "aaaaaaaa-0000-0000-0000-000000000001", "web");
	host_tick(h, 100000000);
	host_tick(h, 100000000);
	s = host_snapshot(h);
	assert_int_equal(s->nzones, 1);
	assert_string_equal(s->zones[0].id, SHARE_ESTIMATE_ZONE_ID);
	assert_string_equal(s->zones[0].id, "intel-rapl:0");
	assert_string_equal(s->zones[0].name, SHARE_ESTIMATE_ZONE_NAME);
	/* a package to powercap readers, an estimate by its name */
	assert_string_equal(s->zones[0].name, "package-0-estimate");
	assert_int_equal(zone_kind_of(s->zones[0].name), ZONE_PACKAGE);
	assert_int_equal(s->zones[0].max_energy_range_uj, 5000000);
	assert_int_equal(s->zones[0].parent, -1);
	assert_int_equal(tree_find_zone(s, "intel-rapl:0", 12), 0);
	assert_int_equal(tree_find_zone(s, "estimate", 8), -1);
	assert_non_null(find_vm(s, "web"));
	assert_int_equal(tree_vm_energy(s, find_vm(s, "web"))[0], h->ledger.vms[0].shares[0].energy_uj);
	assert_true(tree_vm_energy(s, find_vm(s, "web"))[0] > 0);
	tree_snapshot_free(s);
}

/*
 * A ledger seeded from what guests were served reads on from there, zone
 * by zone (the estimate's served id mapped back), and wraps as before.
 */
static void test_seed_reads_on(void **state)
{
	struct ledger_config cfg = { .policy = POLICY_BUSY, .retain_ticks = 100 };
	struct host *h = *state;
	struct tree_snapshot *s, *after;
	struct ledger old;
	uint64_t served;

	host_add_zone(h, SENSOR_ESTIMATE_ZONE_ID, "cpu", ZONE_PACKAGE, 5000000, 900000);
	host_add_vm(h, "aaaaaaaa-0000-0000-0000-000000000001", "web");
	for (int i = 0; i < 9; i++)  /* past the range: the served value has wrapped */
		host_tick(h, 100000000);
	s = host_snapshot(h);
	served = tree_vm_energy(s, find_vm(s, "web"))[0];
	assert_true(h->ledger.vms[0].shares[0].energy_uj > 5000000);
	assert_int_equal(served, h->ledger.vms[0].shares[0].energy_uj % 5000000);

	/* a new daemon without saved counters, seeded from the server */
	old = h->ledger;
	ledger_init(&h->ledger, &cfg);
	assert_int_equal(share_seed_ledger(&h->ledger, s, true), 1);
	assert_int_equal(h->ledger.nzones, 1);
	assert_string_equal(h->ledger.zones[0].id, SENSOR_ESTIMATE_ZONE_ID);
	assert_string_equal(h->ledger.vms[0].info.name, "web");
	assert_int_equal(h->ledger.vms[0].shares[0].energy_uj, served);
	for (int i = 0; i < 3; i++) {
		host_tick(h, 100000000);
		after = host_snapshot(h);
		/* never back; moving again once the VM's CPU time has a base */
		assert_true(tree_vm_energy(after, find_vm(after, "web"))[0] >= served);
		if (i == 2)
			assert_true(tree_vm_energy(after, find_vm(after, "web"))[0] > served);
		tree_snapshot_free(after);
	}
	tree_snapshot_free(s);
	ledger_release(&old);
}

/* Only what is present: zones in the sensor's tree now, VMs listed or announced. */
static void test_presented_only(void **state)
{
	struct host *h = *state;
	struct tree_snapshot *s;

	host_add_zone(h, "intel-rapl:0", "package-0", ZONE_PACKAGE, 0, 1000);
	host_add_zone(h, "intel-rapl:1", "package-1", ZONE_PACKAGE, 0, 2000);
	host_add_vm(h, "aaaaaaaa-0000-0000-0000-000000000001", "web");
	host_add_vm(h, "bbbbbbbb-0000-0000-0000-000000000002", "gone");
	host_tick(h, 1000);
	host_tick(h, 1000);

	/* package-0 leaves the tree, "gone" stops, "new" is announced by the hook */
	h->zones[0] = h->zones[1];
	h->pc.nzones = 1;
	h->vms.n = 1;
	assert_int_equal(ledger_announce(&h->ledger, "cccccccc-0000-0000-0000-000000000003", "new", true), 0);
	host_tick(h, 1000);
	assert_non_null(ledger_find_vm(&h->ledger, "bbbbbbbb-0000-0000-0000-000000000002"));  /* kept */
	s = host_snapshot(h);
	assert_int_equal(s->nzones, 1);
	assert_string_equal(s->zones[0].id, "intel-rapl:1");
	assert_int_equal(s->nvms, 2);
	assert_non_null(find_vm(s, "web"));
	assert_null(find_vm(s, "gone"));
	assert_non_null(find_vm(s, "new"));
	assert_string_equal(find_vm(s, "new")->uuid, "cccccccc-0000-0000-0000-000000000003");
	assert_int_equal(tree_vm_energy(s, find_vm(s, "new"))[0], 0);
	assert_true(tree_vm_energy(s, find_vm(s, "web"))[0] > 0);
	tree_snapshot_free(s);

	/* nothing present: an empty tree, still a tree */
	vm_list_clear(&h->vms);
	assert_int_equal(ledger_announce(&h->ledger, "cccccccc-0000-0000-0000-000000000003", "new", false), 0);
	h->pc.nzones = 0;
	host_tick(h, 0);
	s = host_snapshot(h);
	assert_int_equal(s->nzones, 0);
	assert_int_equal(s->nvms, 0);
	assert_null(find_vm(s, "web"));
	tree_snapshot_free(s);
}

/* The next message share_snapshot_send() sends of the ledger now: its type; the payload in *@buf. */
static enum feed_type send_next(const struct host *h, int sv[2], struct feed_reader *r, uint64_t *shape,
				const void **buf, size_t *len)
{
	struct ledger_view v = { 0 };
	enum feed_type type;

	assert_int_equal(ledger_view_update(&v, &h->ledger), 0);
	assert_int_equal(share_snapshot_send(&v, sv[0], 1, shape), 0);
	assert_int_equal(feed_read(sv[1], r, &type, buf, len), 1);
	ledger_view_release(&v);
	return type;
}

/*
 * The values alone go only while the shape is the one last sent whole: a
 * VM that comes, goes or is renamed, or a zone that changes, sends the
 * whole snapshot again; counters of another shape are refused.
 */
static void test_counters_follow_shape(void **state)
{
	struct host *h = *state;
	struct feed_reader r = { 0 };
	struct tree_snapshot *base, *c;
	uint64_t shape = 0, seq, old_shape;
	const void *buf;
	char why[160];
	size_t len;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	host_add_zone(h, "intel-rapl:0", "package-0", ZONE_PACKAGE, 0, 1000);
	host_add_vm(h, "aaaaaaaa-0000-0000-0000-000000000001", "web");
	host_add_vm(h, "bbbbbbbb-0000-0000-0000-000000000002", "db");
	host_tick(h, 1000);
	assert_int_equal(send_next(h, sv, &r, &shape, &buf, &len), FEED_SNAPSHOT);
	base = feed_decode_snapshot(buf, len, &seq, why, sizeof(why));
	assert_non_null(base);
	host_tick(h, 1000);
	assert_int_equal(send_next(h, sv, &r, &shape, &buf, &len), FEED_COUNTERS);
	c = feed_decode_counters(base, buf, len, &seq, why, sizeof(why));
	assert_non_null(c);
	assert_true(tree_vm_energy(c, find_vm(c, "web"))[0] > tree_vm_energy(base, find_vm(base, "web"))[0]);
	tree_snapshot_free(c);

	/* renamed: whole again, of another shape; the old shape's counters no longer apply */
	old_shape = shape;
	assert_int_equal(vm_list_set_name(&h->vms, &h->vms.vms[1], "db2"), 0);
	host_tick(h, 1000);
	assert_int_equal(send_next(h, sv, &r, &shape, &buf, &len), FEED_SNAPSHOT);
	assert_int_not_equal(shape, old_shape);
	c = feed_decode_snapshot(buf, len, &seq, why, sizeof(why));
	assert_non_null(c);
	assert_int_equal(c->shape_hash, shape);
	assert_int_equal(send_next(h, sv, &r, &shape, &buf, &len), FEED_COUNTERS);
	assert_null(feed_decode_counters(base, buf, len, &seq, why, sizeof(why)));
	assert_non_null(strstr(why, "another tree"));
	tree_snapshot_free(base);
	base = c;

	/* a VM gone: whole again */
	h->vms.n = 1;
	host_tick(h, 1000);
	assert_int_equal(send_next(h, sv, &r, &shape, &buf, &len), FEED_SNAPSHOT);
	/* the zone's range changes: whole again */
	h->zones[0].max_energy_range_uj = 262143328850;
	host_tick(h, 1000);
	assert_int_equal(send_next(h, sv, &r, &shape, &buf, &len), FEED_SNAPSHOT);
	/* a server that does not take COUNTERS: whole every time */
	assert_int_equal(send_next(h, sv, &r, NULL, &buf, &len), FEED_SNAPSHOT);
	/* counters cut short, or before any snapshot */
	assert_int_equal(send_next(h, sv, &r, &shape, &buf, &len), FEED_COUNTERS);
	assert_null(feed_decode_counters(base, buf, len - 8, &seq, why, sizeof(why)));
	assert_null(feed_decode_counters(NULL, buf, len, &seq, why, sizeof(why)));
	assert_null(feed_decode_counters(base, buf, 4, &seq, why, sizeof(why)));
	tree_snapshot_free(base);
	feed_reader_release(&r);
	close(sv[0]);
	close(sv[1]);
}

/* Two domains of one name: one directory each, told apart by a UUID. */
static void test_duplicate_names(void **state)
{
	struct host *h = *state;
	const struct tree_vm *a, *b;
	struct tree_snapshot *s;

	host_add_zone(h, "intel-rapl:0", "package-0", ZONE_PACKAGE, 0, 1000);
	host_add_vm(h, "uuid-1", "web");
	host_add_vm(h, "uuid-2", "web");
	host_add_vm(h, "uuid-3", "db");
	host_tick(h, 1000);
	host_tick(h, 1000);
	s = host_snapshot(h);
	assert_int_equal(s->nvms, 3);
	a = find_vm(s, "web");
	assert_non_null(a);
	b = find_vm(s, strcmp(a->uuid, "uuid-1") ? "web-uuid-1" : "web-uuid-2");
	assert_non_null(b);
	assert_string_not_equal(a->uuid, b->uuid);
	/* each keeps its own counters */
	assert_int_equal(tree_vm_energy(s, a)[0], ledger_find_vm(&h->ledger, a->uuid)->shares[0].energy_uj);
	assert_int_equal(tree_vm_energy(s, b)[0], ledger_find_vm(&h->ledger, b->uuid)->shares[0].energy_uj);
	assert_string_equal(find_vm(s, "db")->uuid, "uuid-3");
	tree_snapshot_free(s);
}

/* Names no directory can have, as domains may have them (a hook announces any name). */
static void test_unusable_names(void **state)
{
	struct host *h = *state;
	struct tree_snapshot *s;

	host_add_zone(h, "intel-rapl:0", "package-0", ZONE_PACKAGE, 0, 1000);
	host_add_vm(h, "uuid-3", "");
	host_add_vm(h, "uuid-4", ".");
	host_add_vm(h, "uuid-5", "..");
	host_add_vm(h, "uuid-6", "tenant/web");
	host_tick(h, 1000);
	s = host_snapshot(h);
	assert_int_equal(s->nvms, 4);
	assert_string_equal(find_vm(s, "vm")->uuid, "uuid-3");
	assert_string_equal(find_vm(s, "vm.")->uuid, "uuid-4");
	assert_string_equal(find_vm(s, "vm..")->uuid, "uuid-5");
	assert_string_equal(find_vm(s, "tenant_web")->uuid, "uuid-6");
	for (const char *const *absent = (const char *const[]){ "", "tenant", ".", "..", "web", NULL };
	     *absent; absent++)
		assert_null(find_vm(s, *absent));
	tree_snapshot_free(s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, host_setup, host_teardown)
	const struct CMUnitTest tests[] = {
		T(test_zones_and_values),
		T(test_estimate_served_as_package),
		T(test_seed_reads_on),
		T(test_presented_only),
		T(test_duplicate_names),
		T(test_unusable_names),
		T(test_counters_follow_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
