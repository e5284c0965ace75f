// SPDX-License-Identifier: MIT
/* Tests of the libvirt VM source against libvirt's test:///default driver. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmsource.h"

static void test_default_domain(void **state)
{
	struct vm_source_config cfg = { .libvirt_uri = "test:///default" };
	struct vm_source *src = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	struct vm_list vms = { 0 };

	(void)state;
	assert_non_null(src);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(vm_source_list(src, &vms), 0);
		assert_int_equal(vms.n, 1);
		assert_string_equal(vms.vms[0].name, "test");
		assert_string_equal(vms.vms[0].uuid, "6695eb01-f6a4-8304-79aa-97f2502e193f");
		assert_true(vms.vms[0].running);
		assert_true(vms.vms[0].vcpus > 0);
		assert_true(vms.vms[0].cpu_ns > 0);
	}
	vm_list_release(&vms);
	vm_source_free(src);
}

static void test_unreachable(void **state)
{
	struct vm_source_config cfg = { .libvirt_uri = "qemu+unix:///system?socket=/nonexistent/sock" };
	struct vm_source *src = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	struct vm_list vms = { 0 };

	(void)state;
	/* opens all the same, and keeps trying */
	assert_non_null(src);
	assert_int_equal(vm_source_list(src, &vms), -ENOTCONN);
	assert_int_equal(vms.n, 0);
	assert_int_equal(vm_source_list(src, &vms), -ENOTCONN);
	vm_list_release(&vms);
	vm_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_domain),
		cmocka_unit_test(test_unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
