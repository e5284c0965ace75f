// SPDX-License-Identifier: MIT
/*
 * Tests of the proc VM source's qemu command-line parser
 * (host/vmsource_proc.c): names, UUIDs and vCPUs as libvirt, plain qemu
 * and Proxmox pass them, the fallbacks when they are missing, and command
 * lines of odd shapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/qemu_cmdline.h"
#include "host/vmsource.h"

#define PID 4242
#define START 987654ULL
#define UUID "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
#define UUID_UPPER "6F1C2D3E-4A5B-4C6D-8E9F-0A1B2C3D4E5F"
#define QEMU "/usr/bin/qemu-system-x86_64"

static char cmdline[65536];

/* The NULL-terminated @args laid out as /proc/PID/cmdline; returns its length. */
static size_t layout(const char *const *args)
{
	size_t len = 0;

	for (size_t i = 0; args[i]; i++) {
		size_t n = strlen(args[i]) + 1;

		assert_true(len + n < sizeof(cmdline));
		memcpy(cmdline + len, args[i], n);
		len += n;
	}
	cmdline[len] = '\0';
	return len;
}

/* @args must parse as a qemu process of @name, @uuid and @vcpus. */
#define CHECK_VM(name, uuid, vcpus, ...) \
	check_vm((const char *const[]){ __VA_ARGS__, NULL }, name, uuid, vcpus)

/* @args must not parse as a qemu process. */
#define CHECK_NOT_QEMU(...) check_not_qemu((const char *const[]){ __VA_ARGS__, NULL })

static void check_vm(const char *const *args, const char *name, const char *uuid, unsigned vcpus)
{
	struct qemu_cmdline vm = { 0 };
	size_t len = layout(args);

	if (!qemu_cmdline_parse(cmdline, len, PID, START, &vm))
		fail_msg("'%s ...' not taken for qemu", args[0]);
	assert_string_equal(vm.name, name);
	assert_string_equal(vm.uuid, uuid);
	assert_int_equal(vm.vcpus, vcpus);
}

static void check_not_qemu(const char *const *args)
{
	struct qemu_cmdline vm = { 0 };
	size_t len = layout(args);

	if (qemu_cmdline_parse(cmdline, len, PID, START, &vm))
		fail_msg("'%s ...' taken for qemu", args[0]);
	assert_string_equal(vm.name, "");
}

static void test_libvirt(void **state)
{
	(void)state;
	CHECK_VM("web", UUID, 4,
		 QEMU, "-name", "guest=web,debug-threads=on", "-S",
		 "-object", "{\"qom-type\":\"secret\",\"id\":\"masterKey0\"}",
		 "-machine", "pc-q35-7.2,usb=off", "-accel", "kvm", "-m", "4096",
		 "-smp", "4,sockets=4,cores=1,threads=1", "-uuid", UUID_UPPER,
		 "-no-user-config", "-nodefaults", "-chardev", "socket,id=charmonitor,fd=30,server=on,wait=off");
	/* commas in a name are doubled */
	CHECK_VM("a,b", UUID, 1, QEMU, "-name", "guest=a,,b,debug-threads=on", "-uuid", UUID);
	CHECK_VM("a,,b", UUID, 1, QEMU, "-name", "guest=a,,,,b", "-uuid", UUID);
	CHECK_VM("trailing,", UUID, 1, QEMU, "-name", "guest=trailing,,", "-uuid", UUID);
	/* the name keeps its case and bytes; the UUID is folded */
	CHECK_VM("Web Server/1", UUID, 1, QEMU, "-name", "guest=Web Server/1", "-uuid", UUID_UPPER);
}

static void test_plain_qemu(void **state)
{
	(void)state;
	CHECK_VM("web", UUID, 2, QEMU, "-name", "web", "-uuid", UUID, "-smp", "2");
	CHECK_VM("web", UUID, 2, QEMU, "-name", "web,process=qemu:web", "-uuid", UUID, "-smp", "2");
	CHECK_VM("web", UUID, 2, "qemu-system-aarch64", "--name", "web", "--uuid", UUID, "--smp", "2");
	CHECK_VM("web", UUID, 1, "/usr/libexec/qemu-kvm", "-name", "web", "-uuid", UUID);
	/* a later option of the same kind wins */
	CHECK_VM("second", UUID, 3, QEMU, "-name", "first", "-name", "second", "-uuid", "other",
		 "-uuid", UUID, "-smp", "2", "-smp", "3");
}

static void test_proxmox(void **state)
{
	(void)state;
	CHECK_VM("pve-web", UUID, 2,
		 "/usr/bin/kvm", "-id", "101", "-name", "pve-web,debug-threads=on", "-no-shutdown",
		 "-smbios", "type=1,uuid=" UUID_UPPER, "-smp", "2,sockets=1,cores=2,maxcpus=2");
	/* no name: the Proxmox id names it */
	CHECK_VM("qemu-id-101", UUID, 1, "/usr/bin/kvm", "-id", "101", "-smbios", "type=1,uuid=" UUID);
}

/* Proxmox's VM id, for the proxmox_vmid label: a number after -id, on qemu only. */
static void test_proxmox_id(void **state)
{
	char id[16];
	size_t len;

	(void)state;
	len = layout((const char *const[]){ "/usr/bin/kvm", "-id", "101", "-name", "pve-web", NULL });
	assert_true(qemu_cmdline_id(cmdline, len, id, sizeof(id)));
	assert_string_equal(id, "101");
	len = layout((const char *const[]){ QEMU, "-name", "web", NULL });
	assert_false(qemu_cmdline_id(cmdline, len, id, sizeof(id)));
	len = layout((const char *const[]){ QEMU, "-id", "1x", NULL });
	assert_false(qemu_cmdline_id(cmdline, len, id, sizeof(id)));
	len = layout((const char *const[]){ QEMU, "-id", "12345678901234567890", NULL });
	assert_false(qemu_cmdline_id(cmdline, len, id, sizeof(id)));  /* does not fit */
	len = layout((const char *const[]){ QEMU, "-name", "x", "-id", NULL });
	assert_false(qemu_cmdline_id(cmdline, len, id, sizeof(id)));  /* -id last */
	len = layout((const char *const[]){ "/usr/bin/bash", "-id", "101", NULL });
	assert_false(qemu_cmdline_id(cmdline, len, id, sizeof(id)));
}

static void test_uuid_sources(void **state)
{
	(void)state;
	/* -uuid over -smbios, whichever comes first */
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-uuid", UUID, "-smbios", "type=1,uuid=11111111");
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-smbios", "type=1,uuid=11111111", "-uuid", UUID);
	/* uuid anywhere among the keys, past doubled commas */
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a",
		 "-smbios", "type=1,manufacturer=Acme,,Inc,product=x,uuid=" UUID ",serial=1");
	/* an escaped comma is inside a value: what follows it is no key */
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-smbios", "type=1,product=x,,uuid=11111111,uuid=" UUID);
	/* the key is matched whole */
	CHECK_VM("a", "pid-4242-987654", 1, QEMU, "-name", "a", "-smbios", "type=1,xuuid=" UUID);
	CHECK_VM("a", "pid-4242-987654", 1, QEMU, "-name", "a", "-smbios", "type=1,product=uuid=" UUID);
	CHECK_VM("a", "pid-4242-987654", 1, QEMU, "-name", "a", "-smbios", "type=0,vendor=x");
}

static void test_vcpus(void **state)
{
	(void)state;
	CHECK_VM("a", UUID, 8, QEMU, "-name", "a", "-uuid", UUID, "-smp", "8");
	CHECK_VM("a", UUID, 3, QEMU, "-name", "a", "-uuid", UUID, "-smp", "cpus=3,sockets=1");
	CHECK_VM("a", UUID, 2, QEMU, "-name", "a", "-uuid", UUID, "-smp", "maxcpus=16,cpus=2");
	/* no count: one vCPU, as qemu has it */
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-uuid", UUID, "-smp", "sockets=2,cores=2");
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-uuid", UUID, "-smp", "0");
	/* a count no qemu runs (here one whose low 32 bits are 0): one vCPU, never 0 */
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-uuid", UUID, "-smp", "cpus=4294967296");
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-uuid", UUID, "-smp", "12182312274223955968");
	CHECK_VM("a", UUID, 16384, QEMU, "-name", "a", "-uuid", UUID, "-smp", "16384");
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-uuid", UUID, "-smp", "cpus=0");
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-uuid", UUID, "-smp", "");
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-uuid", UUID, "-smp", "many");
}

/* Never an empty name, never an empty UUID. */
static void test_fallbacks(void **state)
{
	(void)state;
	CHECK_VM("qemu-" UUID, UUID, 1, QEMU, "-uuid", UUID_UPPER);
	CHECK_VM("qemu-pid-4242", "pid-4242-987654", 1, QEMU);
	CHECK_VM("qemu-pid-4242", "pid-4242-987654", 1, QEMU, "-accel", "tcg");
	CHECK_VM("qemu-pid-4242", "pid-4242-987654", 1, QEMU, "-name", "");
	CHECK_VM("qemu-pid-4242", "pid-4242-987654", 1, QEMU, "-name", "guest=");
	CHECK_VM("qemu-pid-4242", "pid-4242-987654", 1, QEMU, "-name", ",debug-threads=on");
	/* an id takes precedence over the UUID as a name */
	CHECK_VM("qemu-id-7", UUID, 1, "kvm", "-uuid", UUID, "-id", "7");
}

static void test_not_qemu(void **state)
{
	struct qemu_cmdline vm = { 0 };

	(void)state;
	CHECK_NOT_QEMU("/bin/bash", "-c", "qemu-system-x86_64 -name web");
	CHECK_NOT_QEMU("/usr/bin/qemu-img", "info", "disk.qcow2");
	CHECK_NOT_QEMU("/usr/bin/qemu-system", "-name", "web");
	CHECK_NOT_QEMU("/usr/bin/kvm-ok");
	CHECK_NOT_QEMU("/usr/bin/qemu-kvm-wrapper", "-name", "web");
	CHECK_NOT_QEMU("/opt/qemu-system-x86_64/bin/bash", "-name", "web");
	CHECK_NOT_QEMU("", "-name", "web");
	/* a kernel thread's command line is empty */
	cmdline[0] = '\0';
	assert_false(qemu_cmdline_parse(cmdline, 0, PID, START, &vm));
}

static void test_odd_shapes(void **state)
{
	static const char tail[] = QEMU "\0-name\0guest=tail\0-uuid\0" UUID;
	struct qemu_cmdline vm = { 0 };
	char name[VM_NAME_MAX + 100];
	const char *many[600];
	size_t n = 0, len;

	(void)state;
	/* an option without its value, at the end */
	CHECK_VM("qemu-" UUID, UUID, 1, QEMU, "-uuid", UUID, "-name");
	CHECK_VM("a", UUID, 1, QEMU, "-name", "a", "-uuid", UUID, "-smp");
	/* a value that looks like an option is the value, and nothing else */
	CHECK_VM("-uuid", "pid-4242-987654", 1, QEMU, "-name", "-uuid", UUID);
	CHECK_VM("a", "-name", 1, QEMU, "-uuid", "-NAME", "-name", "a");
	/* options are not matched by prefix or case */
	CHECK_VM("qemu-pid-4242", "pid-4242-987654", 1, QEMU, "-names", "a", "-Name", "b", "name", "c");
	/* empty arguments in between */
	CHECK_VM("a", UUID, 1, QEMU, "", "-name", "a", "", "-uuid", UUID);

	/* a name longer than a VM's is cut */
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	len = layout((const char *const[]){ QEMU, "-name", name, "-uuid", UUID, NULL });
	assert_true(qemu_cmdline_parse(cmdline, len, PID, START, &vm));
	assert_int_equal(strlen(vm.name), VM_NAME_MAX - 1);
	assert_int_equal(strspn(vm.name, "x"), VM_NAME_MAX - 1);

	/* the last argument without its NUL in the length (a rewritten cmdline) */
	memcpy(cmdline, tail, sizeof(tail));
	memset(&vm, 0, sizeof(vm));
	assert_true(qemu_cmdline_parse(cmdline, sizeof(tail) - 1, PID, START, &vm));
	assert_string_equal(vm.name, "tail");
	assert_string_equal(vm.uuid, UUID);

	/* only the first 512 arguments are read */
	many[n++] = QEMU;
	while (n < 511)
		many[n++] = "-S";
	many[n++] = "-name";
	many[n++] = "late";
	many[n] = NULL;
	check_vm(many, "qemu-pid-4242", "pid-4242-987654", 1);
	many[509] = "-name";
	many[510] = "early";
	check_vm(many, "early", "pid-4242-987654", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libvirt),
		cmocka_unit_test(test_plain_qemu),
		cmocka_unit_test(test_proxmox),
		cmocka_unit_test(test_proxmox_id),
		cmocka_unit_test(test_uuid_sources),
		cmocka_unit_test(test_vcpus),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_not_qemu),
		cmocka_unit_test(test_odd_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
