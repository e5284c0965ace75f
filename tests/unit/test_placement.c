// SPDX-License-Identifier: MIT
/*
 * Tests of per-package attribution: a synthetic two-package topology
 * (fixture sysfs), VM threads on known CPUs (fixture /proc task stat
 * files), and the ledger's split of each package's zones, exact to the
 * microjoule, including a thread that moved to the other package and one
 * born within a tick.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/proc.h"
#include "tests/lib/fixture.h"
#include "host/ledger.h"
#include "host/placement.h"
#include "host/topology.h"
#include "tests/lib/ledger_assert.h"

static const char *root;  /* the test's fixture directory */

static void put(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write @text to the file named by @fmt below the fixture root. */
static void put(const char *text, const char *fmt, ...)
{
	char rel[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	assert_int_equal(fixture_write(root, rel, text), 0);
}

/* CPUs 0 and 1 in package 0, 2 and 3 in package 1; cpu4 is offline. */
static void make_topology(int die_of_cpu3)
{
	char v[16];

	for (int c = 0; c < 4; c++) {
		snprintf(v, sizeof(v), "%d\n", c / 2);
		put(v, "sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
		snprintf(v, sizeof(v), "%d\n", c == 3 ? die_of_cpu3 : 0);
		put(v, "sys/devices/system/cpu/cpu%d/topology/die_id", c);
	}
	put("1\n", "sys/devices/system/cpu/cpu4/online");
	put("", "sys/devices/system/cpu/cpufreq/policy0/x");
}

/* Thread @tid of process @pid has used @ticks and last ran on @cpu. */
static void thread(int pid, int tid, unsigned long long ticks, int cpu)
{
	char line[512];

	/* fields 3..22, then vsize..cnswap (23..37), exit_signal, processor */
	snprintf(line, sizeof(line), "%d (qemu-system-x86) S 1 1 1 0 -1 0 0 0 0 0 %llu 0 0 0 20 0 1 0 %d "
		 "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 %d 0 0 0 0 0\n", tid, ticks, 1000 + tid, cpu);
	put(line, "proc/%d/task/%d/stat", pid, tid);
}

static void test_topology(void **state)
{
	struct topology t = { 0 };
	char sys[4200];
	struct powercap pc = { 0 };
	struct zone zones[3] = { 0 };

	root = *state;
	make_topology(0);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	assert_int_equal(topology_read(&t, sys), 0);
	assert_int_equal(t.npackages, 2);
	assert_true(topology_per_package(&t));
	assert_int_equal(t.ncpus, 4);
	assert_int_equal(t.packages[0].package_id, 0);
	assert_int_equal(t.packages[0].die_id, -1);  /* one die a package: not told apart */
	assert_int_equal(t.packages[1].ncpus, 2);
	assert_int_equal(t.cpu_package[1], 0);
	assert_int_equal(t.cpu_package[2], 1);
	assert_int_equal(topology_package_of_name(&t, "package-0"), 0);
	assert_int_equal(topology_package_of_name(&t, "package-1"), 1);
	assert_int_equal(topology_package_of_name(&t, "package-1-die-0"), 1);
	assert_int_equal(topology_package_of_name(&t, "package-2"), -1);
	assert_int_equal(topology_package_of_name(&t, "package-1x"), -1);
	assert_int_equal(topology_package_of_name(&t, "psys"), -1);
	assert_int_equal(topology_package_of_name(&t, "dram"), -1);
	/* a subzone is its top zone's */
	strcpy(zones[0].name, "package-1");
	zones[0].parent = -1;
	strcpy(zones[1].name, "dram");
	zones[1].parent = 0;
	strcpy(zones[2].name, "psys");
	zones[2].parent = -1;
	pc.zones = zones;
	pc.nzones = 3;
	assert_int_equal(topology_zone_package(&t, &pc, &zones[1]), 1);
	assert_int_equal(topology_zone_package(&t, &pc, &zones[2]), -1);
	topology_release(&t);

	/* package 1 of two dies: dies are told apart, zones name them */
	make_topology(1);
	assert_int_equal(topology_read(&t, sys), 0);
	assert_int_equal(t.npackages, 3);
	assert_int_equal(topology_package_of_name(&t, "package-1-die-1"), 2);
	assert_int_equal(topology_package_of_name(&t, "package-1-die-0"), 1);
	assert_int_equal(topology_package_of_name(&t, "package-0"), -1);
	assert_int_equal(t.cpu_package[3], 2);
	topology_release(&t);

	/* no topology: nothing per package */
	snprintf(sys, sizeof(sys), "%s/nowhere", root);
	assert_int_equal(topology_read(&t, sys), -ENOENT);
	assert_false(topology_per_package(&t));
	assert_int_equal(topology_package_of_name(NULL, "package-0"), -1);
}

/* package-0 with its dram, package-1 and psys, as the sensor leaves them. */
static void fake_zones(struct powercap *pc, struct zone *zones)
{
	static const struct { const char *id, *name; int parent; uint64_t delta; } z[] = {
		{ "intel-rapl:0", "package-0", -1, 1000000 },
		{ "intel-rapl:0:0", "dram", 0, 100000 },
		{ "intel-rapl:1", "package-1", -1, 600000 },
		{ "intel-rapl:2", "psys", -1, 1200000 },
	};

	memset(pc, 0, sizeof(*pc));
	memset(zones, 0, 4 * sizeof(*zones));
	for (int i = 0; i < 4; i++) {
		strcpy(zones[i].id, z[i].id);
		strcpy(zones[i].name, z[i].name);
		zones[i].parent = z[i].parent;
		zones[i].depth = z[i].parent >= 0;
		zones[i].fd = -1;
		zones[i].valid = true;
		zones[i].delta_uj = z[i].delta;
		zones[i].max_energy_range_uj = 1000000000000ULL;
	}
	pc->zones = zones;
	pc->nzones = 4;
}

static double idle_of(const char *zone, void *arg)
{
	(void)arg;
	if (!strcmp(zone, "package-0"))
		return 0.4;
	if (!strcmp(zone, "package-1"))
		return 0.2;
	return 0;
}

/* VM @uuid's threads' package CPU time, and its total @ticks, as a source lists it. */
static void list_vm(struct placement *p, struct vm_list *l, int pid, const char *uuid, uint64_t ticks)
{
	struct vm_info *vm = vm_list_add(l);

	assert_non_null(vm);
	snprintf(vm->uuid, sizeof(vm->uuid), "%s", uuid);
	{
		char name[32];

		snprintf(name, sizeof(name), "vm-%d", pid);
		assert_int_equal(vm_list_set_name(l, vm, name), 0);
	}
	vm->vcpus = 2;
	vm->running = true;
	vm->cpu_ns = ticks * (1000000000ULL / (uint64_t)proc_clock_ticks());
	assert_int_equal(placement_read(p, pid, 77, l, vm), 0);
	assert_int_equal(vm->npackages, 2);
}

static uint64_t got(struct ledger *l, const char *uuid, const char *zone)
{
	return ledger_find_vm(l, uuid)->shares[ledger_find_zone(l, zone)].delta_uj;
}

/* One tick of both ledgers, the host busy @b0 and @b1 ms on each package. */
static void tick(struct ledger *busy, struct ledger *split, struct placement *p, uint64_t a_ticks,
		 uint64_t b_ticks, uint64_t b0, uint64_t b1)
{
	struct vm_list vms = { 0 };
	struct powercap pc;
	struct zone zones[4];
	uint64_t pkg[2] = { b0 * 1000000, b1 * 1000000 };

	list_vm(p, &vms, 100, "uuid-a", a_ticks);
	list_vm(p, &vms, 200, "uuid-b", b_ticks);
	placement_sweep(p);
	fake_zones(&pc, zones);
	assert_int_equal(ledger_tick_packages(busy, &pc, &vms, pkg[0] + pkg[1], 4, pkg, 1000000000), 0);
	assert_int_equal(ledger_tick_packages(split, &pc, &vms, pkg[0] + pkg[1], 4, pkg, 1000000000), 0);
	assert_conserved(busy);
	assert_conserved(split);
	vm_list_release(&vms);
}

static void test_packages(void **state)
{
	struct topology t = { 0 };
	struct ledger busy, split;
	struct ledger_config bc = { .policy = POLICY_BUSY }, sc = { .policy = POLICY_SPLIT, .idle_watts = idle_of };
	struct placement p;
	char path[4200];
	int procfd;
	uint64_t ms = 1000 / (uint64_t)proc_clock_ticks();  /* ms a clock tick */

	root = *state;
	make_topology(0);
	snprintf(path, sizeof(path), "%s/sys", root);
	assert_int_equal(topology_read(&t, path), 0);
	snprintf(path, sizeof(path), "%s/proc", root);
	mkdir(path, 0755);
	procfd = open(path, O_RDONLY | O_DIRECTORY);
	assert_true(procfd >= 0);
	placement_init(&p, procfd, &t);
	bc.topology = sc.topology = &t;
	ledger_init(&busy, &bc);
	ledger_init(&split, &sc);

	/* a: its main thread on CPU 0, a vCPU on CPU 1 (package 0); b: CPUs 2 and 3 */
	thread(100, 100, 1000, 0);
	thread(100, 101, 5000, 1);
	thread(200, 200, 1000, 2);
	thread(200, 201, 1000, 3);
	tick(&busy, &split, &p, 6000, 2000, 0, 0);  /* first sight: the base */

	/* a: 100 + 300 ms on package 0; b: 200 + 200 ms on package 1 */
	thread(100, 100, 1000 + 100 / ms, 0);
	thread(100, 101, 5000 + 300 / ms, 1);
	thread(200, 200, 1000 + 200 / ms, 2);
	thread(200, 201, 1000 + 200 / ms, 3);
	tick(&busy, &split, &p, 6000 + 400 / ms, 2000 + 400 / ms, 800, 400);
	/* busy: package 0 by 400 of 800 busy ms, package 1 by 400 of 400 */
	assert_int_equal(got(&busy, "uuid-a", "intel-rapl:0"), 500000);
	assert_int_equal(got(&busy, "uuid-a", "intel-rapl:0:0"), 50000);
	assert_int_equal(got(&busy, "uuid-a", "intel-rapl:1"), 0);
	assert_int_equal(got(&busy, "uuid-b", "intel-rapl:0"), 0);
	assert_int_equal(got(&busy, "uuid-b", "intel-rapl:0:0"), 0);
	assert_int_equal(got(&busy, "uuid-b", "intel-rapl:1"), 600000);
	/* psys stays host-wide: 400 of 1200 busy ms each */
	assert_int_equal(got(&busy, "uuid-a", "intel-rapl:2"), 400000);
	assert_int_equal(got(&busy, "uuid-b", "intel-rapl:2"), 400000);
	/* split: a holds its 2 vCPUs on package 0's 2 CPUs, b on package 1's */
	assert_int_equal(got(&split, "uuid-a", "intel-rapl:0"), 400000 + 600000 / 2);
	assert_int_equal(got(&split, "uuid-b", "intel-rapl:0"), 0);
	assert_int_equal(got(&split, "uuid-a", "intel-rapl:1"), 0);
	assert_int_equal(got(&split, "uuid-b", "intel-rapl:1"), 200000 + 400000);
	assert_int_equal(got(&split, "uuid-a", "intel-rapl:2"), 400000);

	/*
	 * a's vCPU moved to CPU 2 (package 1) within the tick: all its 200 ms
	 * go to package 1, where it was last seen. A thread born in the tick
	 * on CPU 3 brings its 100 ms. a: 200 ms on package 0, 300 on 1.
	 */
	thread(100, 100, 1000 + 300 / ms, 0);
	thread(100, 101, 5000 + 500 / ms, 2);
	thread(100, 102, 100 / ms, 3);
	thread(200, 200, 1000 + 600 / ms, 2);
	thread(200, 201, 1000 + 200 / ms, 3);
	tick(&busy, &split, &p, 6000 + 900 / ms, 2000 + 800 / ms, 400, 1000);
	assert_int_equal(got(&busy, "uuid-a", "intel-rapl:0"), 1000000 * 200 / 400);
	assert_int_equal(got(&busy, "uuid-a", "intel-rapl:1"), 600000 * 300 / 1000);
	assert_int_equal(got(&busy, "uuid-b", "intel-rapl:0"), 0);
	assert_int_equal(got(&busy, "uuid-b", "intel-rapl:1"), 600000 * 400 / 1000);
	/* split: a holds 2 × 2/5 vCPUs on package 0 and 2 × 3/5 on package 1,
	 * b 2 on package 1: 3.2 vCPUs on its 2 CPUs */
	assert_int_equal(got(&split, "uuid-a", "intel-rapl:0"), 400000 * 4 / 5 / 2 + 600000 * 200 / 400);
	assert_int_equal(got(&split, "uuid-b", "intel-rapl:1"), 200000 * 2 / 16 * 5 + 400000 * 400 / 1000);
	assert_int_equal(got(&split, "uuid-a", "intel-rapl:1"), 200000 * 6 / 16 + 400000 * 300 / 1000);

	ledger_release(&busy);
	ledger_release(&split);
	placement_release(&p);
	close(procfd);
	topology_release(&t);
}

/*
 * A VM whose threads cannot be read (no pid file for libvirt): its CPU
 * time is spread over the packages by their CPU counts; once read, its
 * placement is its threads'.
 */
static void test_unknown_placement(void **state)
{
	struct topology t = { 0 };
	struct ledger l;
	struct ledger_config cfg = { .policy = POLICY_BUSY };
	struct vm_list vms = { 0 };
	struct powercap pc;
	struct zone zones[4];
	uint64_t pkg[2] = { 1000000000, 1000000000 };
	char path[4200];
	struct vm_info *vm;

	root = *state;
	make_topology(0);
	snprintf(path, sizeof(path), "%s/sys", root);
	assert_int_equal(topology_read(&t, path), 0);
	cfg.topology = &t;
	ledger_init(&l, &cfg);
	vm = vm_list_add(&vms);
	assert_non_null(vm);
	strcpy(vm->uuid, "uuid-u");
	assert_int_equal(vm_list_set_name(&vms, vm, "u"), 0);
	vm->running = true;
	fake_zones(&pc, zones);
	assert_int_equal(ledger_tick_packages(&l, &pc, &vms, 2000000000, 4, pkg, 1000000000), 0);
	vms.vms[0].cpu_ns = 500000000;
	assert_int_equal(ledger_tick_packages(&l, &pc, &vms, 2000000000, 4, pkg, 1000000000), 0);
	/* 250 ms on each package of 1000 busy ms */
	assert_int_equal(got(&l, "uuid-u", "intel-rapl:0"), 1000000 / 4);
	assert_int_equal(got(&l, "uuid-u", "intel-rapl:1"), 600000 / 4);
	assert_int_equal(got(&l, "uuid-u", "intel-rapl:2"), 1200000 / 4);
	/* without this tick's per-package busy time, every zone is host-wide */
	vms.vms[0].cpu_ns = 1000000000;
	assert_int_equal(ledger_tick_packages(&l, &pc, &vms, 2000000000, 4, NULL, 1000000000), 0);
	assert_int_equal(got(&l, "uuid-u", "intel-rapl:1"), 600000 / 4);
	assert_conserved(&l);
	vm_list_release(&vms);
	ledger_release(&l);
	topology_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_topology, fixture_setup_dir, fixture_teardown_dir),
		cmocka_unit_test_setup_teardown(test_packages, fixture_setup_dir, fixture_teardown_dir),
		cmocka_unit_test_setup_teardown(test_unknown_placement, fixture_setup_dir, fixture_teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
