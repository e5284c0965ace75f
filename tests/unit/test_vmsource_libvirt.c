// SPDX-License-Identifier: MIT
/* Tests of the libvirt VM source against libvirt's test:///default driver. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>

#include "common/proc.h"
#include "host/vmsource_i.h"
#include "tests/lib/libvirt_events.h"
#include "tests/lib/fixture.h"

#define TEST_URI "test:///default"
#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

/*
 * Within one process every connection to test:///default shares the same
 * driver state (until the last one closes), so a connection of the test's
 * own changes what the source sees, and the source's event thread gets the
 * lifecycle events.
 */
static const char persistent_xml[] =
	"<domain type='test'><name>t-defined</name>"
	"<uuid>0401aaaa-0000-4000-8000-00000000000a</uuid>"
	"<memory>1024</memory><vcpu current='2'>4</vcpu><os><type>hvm</type></os></domain>";
static const char transient_xml[] =
	"<domain type='test'><name>t-transient</name>"
	"<uuid>0401BBBB-0000-4000-8000-00000000000B</uuid>"
	"<memory>1024</memory><vcpu>3</vcpu><os><type>hvm</type></os></domain>";

static const struct vm_info *find_vm(const struct vm_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->vms[i].name, name))
			return &l->vms[i];
	return NULL;
}

static void test_default_domain(void **state)
{
	struct vm_source_config cfg = { .libvirt_uri = TEST_URI };
	struct vm_source *src = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	struct vm_list vms = { 0 };
	uint64_t last_cpu = 0;

	(void)state;
	assert_non_null(src);
	/* connecting counts as a change: whatever was cached is stale */
	assert_true(libvirt_source_generation(src) > 0);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(vm_source_list(src, &vms), 0);
		assert_int_equal(vms.n, 1);
		assert_string_equal(vms.vms[0].name, "test");
		assert_string_equal(vms.vms[0].uuid, TEST_UUID);
		assert_true(vms.vms[0].running);
		assert_true(vms.vms[0].persistent);
		assert_true(vms.vms[0].vcpus > 0);
		assert_true(vms.vms[0].cpu_ns > 0);
		assert_true(vms.vms[0].cpu_ns >= last_cpu);
		last_cpu = vms.vms[0].cpu_ns;
	}
	vm_list_release(&vms);
	vm_source_free(src);
}

/* The list is replaced, not appended to. */
static void test_list_replaces(void **state)
{
	struct vm_source_config cfg = { .libvirt_uri = TEST_URI };
	struct vm_source *src = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	struct vm_list vms = { 0 };

	(void)state;
	assert_non_null(src);
	for (int i = 0; i < 20; i++)
		assert_non_null(vm_list_add(&vms));
	assert_int_equal(vm_source_list(src, &vms), 0);
	assert_int_equal(vms.n, 1);
	assert_string_equal(vms.vms[0].name, "test");
	vm_list_release(&vms);
	vm_source_free(src);
}

static void test_bogus_uri(void **state)
{
	struct vm_source_config cfg = { .libvirt_uri = "bogus:///nothing" };
	struct vm_source *src = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	struct vm_list vms = { 0 };

	(void)state;
	/* opens all the same, and keeps trying */
	assert_non_null(src);
	assert_non_null(vm_list_add(&vms));
	assert_int_equal(vm_source_list(src, &vms), -ENOTCONN);
	assert_int_equal(vms.n, 0);
	/* within the backoff: no new attempt, same answer */
	assert_int_equal(vm_source_list(src, &vms), -ENOTCONN);
	assert_int_equal(vms.n, 0);
	vm_list_release(&vms);
	vm_source_free(src);
}

static void test_unreachable(void **state)
{
	struct vm_source_config cfg = { .libvirt_uri = "qemu+unix:///system?socket=/nonexistent/sock" };
	struct vm_source *src = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	struct vm_list vms = { 0 };

	(void)state;
	assert_non_null(src);
	assert_int_equal(vm_source_list(src, &vms), -ENOTCONN);
	assert_int_equal(vms.n, 0);
	assert_int_equal(vm_source_list(src, &vms), -ENOTCONN);
	vm_list_release(&vms);
	vm_source_free(src);
}

/* Lifecycle events bump the generation, and the list follows them. */
static void test_lifecycle(void **state)
{
	struct vm_source_config cfg = { .libvirt_uri = TEST_URI };
	struct vm_source *src = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	virConnectPtr conn = virConnectOpen(TEST_URI);
	virDomainPtr defined, transient;
	struct vm_list vms = { 0 };
	const struct vm_info *vm;
	unsigned long gen;

	(void)state;
	assert_non_null(src);
	assert_non_null(conn);

	gen = libvirt_source_generation(src);
	defined = virDomainDefineXML(conn, persistent_xml);
	assert_non_null(defined);
	assert_true(libvirt_generation_moves(src, gen));
	assert_int_equal(vm_source_list(src, &vms), 0);
	assert_int_equal(vms.n, 2);
	vm = find_vm(&vms, "t-defined");
	assert_non_null(vm);
	assert_string_equal(vm->uuid, "0401aaaa-0000-4000-8000-00000000000a");
	assert_false(vm->running);
	assert_true(vm->persistent);
	assert_int_equal(vm->vcpus, 2);  /* the current count, not the maximum */
	assert_int_equal(vm->cpu_ns, 0);

	gen = libvirt_source_generation(src);
	transient = virDomainCreateXML(conn, transient_xml, 0);
	assert_non_null(transient);
	assert_true(libvirt_generation_moves(src, gen));
	assert_int_equal(vm_source_list(src, &vms), 0);
	assert_int_equal(vms.n, 3);
	vm = find_vm(&vms, "t-transient");
	assert_non_null(vm);
	assert_string_equal(vm->uuid, "0401bbbb-0000-4000-8000-00000000000b");  /* lowercase */
	assert_true(vm->running);
	assert_false(vm->persistent);
	assert_int_equal(vm->vcpus, 3);
	assert_true(vm->cpu_ns > 0);

	/* paused: the process is there, so it still counts as running */
	gen = libvirt_source_generation(src);
	assert_int_equal(virDomainSuspend(transient), 0);
	assert_true(libvirt_generation_moves(src, gen));
	assert_int_equal(vm_source_list(src, &vms), 0);
	vm = find_vm(&vms, "t-transient");
	assert_non_null(vm);
	assert_true(vm->running);

	gen = libvirt_source_generation(src);
	assert_int_equal(virDomainCreate(defined), 0);
	assert_true(libvirt_generation_moves(src, gen));
	assert_int_equal(vm_source_list(src, &vms), 0);
	vm = find_vm(&vms, "t-defined");
	assert_non_null(vm);
	assert_true(vm->running);
	assert_true(vm->cpu_ns > 0);

	/* a transient domain that stops is gone */
	gen = libvirt_source_generation(src);
	assert_int_equal(virDomainDestroy(transient), 0);
	assert_true(libvirt_generation_moves(src, gen));
	assert_int_equal(vm_source_list(src, &vms), 0);
	assert_int_equal(vms.n, 2);
	assert_null(find_vm(&vms, "t-transient"));

	/* undefined while running: it stays, now transient */
	gen = libvirt_source_generation(src);
	assert_int_equal(virDomainUndefine(defined), 0);
	assert_true(libvirt_generation_moves(src, gen));
	assert_int_equal(vm_source_list(src, &vms), 0);
	vm = find_vm(&vms, "t-defined");
	assert_non_null(vm);
	assert_true(vm->running);
	assert_false(vm->persistent);

	gen = libvirt_source_generation(src);
	assert_int_equal(virDomainDestroy(defined), 0);
	assert_true(libvirt_generation_moves(src, gen));
	assert_int_equal(vm_source_list(src, &vms), 0);
	assert_int_equal(vms.n, 1);
	assert_string_equal(vms.vms[0].name, "test");

	virDomainFree(transient);
	virDomainFree(defined);
	virConnectClose(conn);
	vm_list_release(&vms);
	vm_source_free(src);
}

/* Two sources share one event loop; closing one leaves the other working. */
static void test_two_sources(void **state)
{
	struct vm_source_config cfg = { .libvirt_uri = TEST_URI };
	struct vm_source *a = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	struct vm_source *b = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	virConnectPtr conn = virConnectOpen(TEST_URI);
	struct vm_list vms = { 0 };
	virDomainPtr dom;
	unsigned long gen;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(conn);
	assert_int_equal(vm_source_list(a, &vms), 0);
	assert_int_equal(vms.n, 1);
	assert_int_equal(vm_source_list(b, &vms), 0);
	assert_int_equal(vms.n, 1);
	vm_source_free(a);

	gen = libvirt_source_generation(b);
	dom = virDomainCreateXML(conn, transient_xml, 0);
	assert_non_null(dom);
	assert_true(libvirt_generation_moves(b, gen));
	assert_int_equal(vm_source_list(b, &vms), 0);
	assert_int_equal(vms.n, 2);
	assert_int_equal(virDomainDestroy(dom), 0);
	virDomainFree(dom);
	virConnectClose(conn);
	vm_list_release(&vms);
	vm_source_free(b);
}

/* Thread 4321 of the fake qemu 4321 has used @ticks, last on CPU 1. */
static void qemu_thread(const char *root, unsigned ticks)
{
	char line[256];

	snprintf(line, sizeof(line), "4321 (qemu-system-x86) S 1 1 1 0 -1 0 0 0 0 0 %u 0 0 0 20 0 1 0 55 "
		 "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0\n", ticks);
	assert_int_equal(fixture_write(root, "proc/4321/task/4321/stat", line), 0);
}

/*
 * On a host of two packages, a running domain's CPU time by package comes
 * from its qemu process's threads; with no pid file to read, the process
 * is the one whose command line carries the domain's UUID.
 */
static void test_packages(void **state)
{
	static const char cmdline[] = "/usr/bin/qemu-system-x86_64\0-name\0guest=test\0-uuid\0" TEST_UUID "\0";
	const char *root = *state;
	struct vm_source_config cfg = { .libvirt_uri = TEST_URI };
	struct topology topo = { 0 };
	struct vm_list vms = { 0 };
	struct vm_source *src;
	char *path;
	FILE *f;

	assert_int_equal(fixture_write(root, "sys/devices/system/cpu/cpu0/topology/physical_package_id", "0\n"), 0);
	assert_int_equal(fixture_write(root, "sys/devices/system/cpu/cpu1/topology/physical_package_id", "1\n"), 0);
	qemu_thread(root, 100);
	path = fixture_path(root, "proc/4321/cmdline");
	assert_non_null(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(cmdline, 1, sizeof(cmdline) - 1, f);
	fclose(f);
	free(path);
	path = fixture_path(root, "sys");
	assert_int_equal(topology_read(&topo, path), 0);
	free(path);
	cfg.topology = &topo;
	cfg.proc_root = path = fixture_path(root, "proc");
	src = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	assert_non_null(src);

	assert_int_equal(vm_source_list(src, &vms), 0);
	assert_int_equal(vms.n, 1);
	assert_int_equal(vms.vms[0].npackages, 2);
	assert_int_equal(vms.vms[0].package_ns[0], 0);
	assert_int_equal(vms.vms[0].package_ns[1], 0);  /* first sight: the base */
	qemu_thread(root, 150);
	assert_int_equal(vm_source_list(src, &vms), 0);
	assert_int_equal(vms.vms[0].package_ns[0], 0);
	assert_int_equal(vms.vms[0].package_ns[1], 50 * (1000000000ULL / (uint64_t)proc_clock_ticks()));

	vm_list_release(&vms);
	vm_source_free(src);
	free(path);
	topology_release(&topo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_domain),
		cmocka_unit_test(test_list_replaces),
		cmocka_unit_test(test_bogus_uri),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_two_sources),
		cmocka_unit_test_setup_teardown(test_packages, fixture_setup_dir, fixture_teardown_dir),
		/* the event thread starts again after the last source closed */
		cmocka_unit_test(test_default_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
