// SPDX-License-Identifier: MIT
/* Tests of the ledger (per-VM counters over ticks) and its saved state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/ledger.h"
#include "host/state.h"
#include "tests/lib/ledger_assert.h"

/* A powercap tree as the sensor leaves it after a sample. */
static void fake_zones(struct powercap *pc, struct zone *zones, uint64_t d0, uint64_t d1)
{
	memset(pc, 0, sizeof(*pc));
	memset(zones, 0, 2 * sizeof(*zones));
	strcpy(zones[0].id, "intel-rapl:0");
	strcpy(zones[0].name, "package-0");
	strcpy(zones[1].id, "intel-rapl:0:0");
	strcpy(zones[1].name, "core");
	zones[1].depth = 1;
	zones[0].kind = ZONE_PACKAGE;
	zones[1].kind = ZONE_CORE;
	for (int i = 0; i < 2; i++) {
		zones[i].fd = -1;
		zones[i].valid = true;
		zones[i].max_energy_range_uj = 1000000000;
	}
	zones[0].delta_uj = d0;
	zones[1].delta_uj = d1;
	pc->zones = zones;
	pc->nzones = 2;
}

static void add_vm(struct vm_list *l, const char *uuid, const char *name, uint64_t cpu_ns)
{
	struct vm_info *vm = vm_list_add(l);

	assert_non_null(vm);
	snprintf(vm->uuid, sizeof(vm->uuid), "%s", uuid);
	assert_int_equal(vm_list_set_name(l, vm, name), 0);
	vm->vcpus = 2;
	vm->running = true;
	vm->persistent = true;
	vm->cpu_ns = cpu_ns;
}

static void test_lifecycle(void **state)
{
	struct ledger_config cfg = { .policy = POLICY_BUSY, .retain_ticks = 5 };
	struct ledger l;
	struct powercap pc;
	struct zone zones[2];
	struct vm_list vms = { 0 };
	struct ledger_vm *a, *b;
	uint64_t a_energy;

	(void)state;
	ledger_init(&l, &cfg);
	fake_zones(&pc, zones, 1000000, 400000);

	add_vm(&vms, "uuid-a", "a", 1000);
	assert_int_equal(ledger_tick(&l, &pc, &vms, 0, 4, 1000000000), 0);
	a = ledger_find_vm(&l, "uuid-a");
	assert_non_null(a);
	assert_int_equal(a->shares[0].delta_uj, 0);  /* first sight: no CPU delta yet */

	/* a used 1 s of 2 busy seconds */
	vms.vms[0].cpu_ns = 1000001000;
	assert_int_equal(ledger_tick(&l, &pc, &vms, 2000000000, 4, 1000000000), 0);
	a = ledger_find_vm(&l, "uuid-a");
	assert_int_equal(a->shares[0].delta_uj, 500000);
	assert_int_equal(a->shares[1].delta_uj, 200000);
	assert_conserved(&l);

	/* b appears (sorted before a), a restarts: its CPU time goes back */
	add_vm(&vms, "uuid-0", "b", 5000);
	vms.vms[0].cpu_ns = 10;
	assert_int_equal(ledger_tick(&l, &pc, &vms, 2000000000, 4, 1000000000), 0);
	a = ledger_find_vm(&l, "uuid-a");
	b = ledger_find_vm(&l, "uuid-0");
	assert_non_null(b);
	assert_int_equal(a->shares[0].delta_uj, 0);  /* re-based, no spike */
	assert_int_equal(a->shares[0].energy_uj, 500000);  /* nor a reset */
	assert_int_equal(l.zones[0].remainder.delta_uj, 1000000);
	assert_conserved(&l);

	/* the source is away: no VM gets energy, nothing is lost */
	assert_int_equal(ledger_tick(&l, &pc, NULL, 2000000000, 4, 1000000000), 0);
	assert_int_equal(ledger_find_vm(&l, "uuid-a")->shares[0].delta_uj, 0);
	assert_conserved(&l);

	/* a vanishes; it is kept for retain_ticks, then forgotten */
	a_energy = ledger_find_vm(&l, "uuid-a")->shares[0].energy_uj;
	vms.vms[0] = vms.vms[1];
	vms.n = 1;
	for (int t = 0; t < 3; t++) {
		vms.vms[0].cpu_ns += 1000000000;
		assert_int_equal(ledger_tick(&l, &pc, &vms, 2000000000, 4, 1000000000), 0);
		assert_conserved(&l);
	}
	a = ledger_find_vm(&l, "uuid-a");
	assert_non_null(a);
	assert_false(a->present);
	assert_int_equal(a->shares[0].energy_uj, a_energy);
	for (int t = 0; t < 6; t++)
		assert_int_equal(ledger_tick(&l, &pc, &vms, 2000000000, 4, 1000000000), 0);
	assert_null(ledger_find_vm(&l, "uuid-a"));

	vm_list_release(&vms);
	ledger_release(&l);
}

static void test_state_roundtrip(void **state)
{
	struct ledger_config cfg = { .policy = POLICY_BUSY };
	char dir[] = "/tmp/vpowercap-state.XXXXXX", path[256], cmd[300];
	struct ledger l, back;
	struct powercap pc;
	struct zone zones[2];
	struct vm_list vms = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	ledger_init(&l, &cfg);
	fake_zones(&pc, zones, 3000000, 1000000);
	add_vm(&vms, "11111111-2222-3333-4444-555555555555", "web server", 0);
	add_vm(&vms, "aaaaaaaa-2222-3333-4444-555555555555", "db", 0);
	for (int t = 1; t <= 4; t++) {
		vms.vms[0].cpu_ns = (uint64_t)t * 1000000000;
		vms.vms[1].cpu_ns = (uint64_t)t * 500000000;
		assert_int_equal(ledger_tick(&l, &pc, &vms, 2000000000, 4, 1000000000), 0);
	}
	assert_true(l.dirty);  /* counters passed their (zero) ceilings */
	assert_int_equal(state_save(&l, dir, 10), 0);
	ledger_renew_ceilings(&l, 10);
	assert_false(l.dirty);
	/* a second save keeps the first as the previous copy */
	assert_int_equal(state_save(&l, dir, 10), 0);

	ledger_init(&back, &cfg);
	assert_int_equal(state_load(&back, dir), 0);
	assert_int_equal(back.nvms, 2);
	assert_int_equal(back.nzones, 2);
	for (size_t i = 0; i < 2; i++) {
		struct ledger_vm *vm = ledger_find_vm(&back, l.vms[i].info.uuid);

		assert_non_null(vm);
		assert_string_equal(vm->info.name, l.vms[i].info.name);
		for (size_t z = 0; z < 2; z++) {
			/* loaded at the ceiling: at or above what was shown */
			assert_true(vm->shares[z].energy_uj >= l.vms[i].shares[z].energy_uj);
			assert_int_equal(vm->shares[z].energy_uj, l.vms[i].ceilings[z]);
		}
	}
	ledger_release(&back);

	/* corrupt: the previous copy is used */
	snprintf(path, sizeof(path), "%s/counters", dir);
	f = fopen(path, "r+");
	assert_non_null(f);
	fseek(f, 30, SEEK_SET);
	fputc('7', f);
	fclose(f);
	ledger_init(&back, &cfg);
	assert_int_equal(state_load(&back, dir), 0);
	assert_int_equal(back.nvms, 2);
	ledger_release(&back);

	/* truncated, both: refused, the ledger left empty */
	assert_int_equal(truncate(path, 40), 0);
	snprintf(path, sizeof(path), "%s/counters.prev", dir);
	assert_int_equal(truncate(path, 60), 0);
	ledger_init(&back, &cfg);
	assert_int_equal(state_load(&back, dir), -EINVAL);
	assert_int_equal(back.nvms, 0);
	ledger_release(&back);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	ledger_init(&back, &cfg);
	assert_int_equal(state_load(&back, dir), -ENOENT);
	ledger_release(&back);
	vm_list_release(&vms);
	ledger_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_state_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
