// SPDX-License-Identifier: MIT
/* Tests of attach, attach --all and detach against libvirt's test:///default driver. */
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

#include "common/channel.h"
#include "host/attach_i.h"
#include "host/vmsource_i.h"
#include "tests/lib/libvirt_events.h"

#define TEST_URI "test:///default"
#define MNT "/run/vpc-test"
#define CHANNEL_SOCKET "/run/vpc-test-channel.sock"

static const struct share_request nine_p = { .transport = SHARE_9P, .mountpoint = MNT };
static const struct share_request nine_p_ro = { .transport = SHARE_9P, .mountpoint = MNT, .readonly = true };
static const struct share_request virtiofs = { .transport = SHARE_VIRTIOFS, .mountpoint = MNT };
#define NINE_P (&nine_p)
#define NINE_P_RO (&nine_p_ro)
#define VIRTIOFS (&virtiofs)

/*
 * Every connection of one process to test:///default shares the driver's
 * state while one stays open: the test holds one for the whole run, so
 * that what attach defines is there to read.
 */
static virConnectPtr conn;

static const char bare_xml[] =
	"<domain type='test'><name>%s</name><uuid>%s</uuid>"
	"<memory>1024</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>";

static void define(const char *name, const char *uuid)
{
	char xml[512];
	virDomainPtr dom;

	snprintf(xml, sizeof(xml), bare_xml, name, uuid);
	dom = virDomainDefineXML(conn, xml);
	assert_non_null(dom);
	virDomainFree(dom);
}

static void undefine(const char *name)
{
	virDomainPtr dom = virDomainLookupByName(conn, name);

	assert_non_null(dom);
	assert_int_equal(virDomainUndefine(dom), 0);
	virDomainFree(dom);
}

/* How many times @needle is in @name's persistent definition. */
static int count_in_xml(const char *name, const char *needle)
{
	virDomainPtr dom = virDomainLookupByName(conn, name);
	char *xml, *at;
	int n = 0;

	assert_non_null(dom);
	xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	assert_non_null(xml);
	for (at = xml; (at = strstr(at, needle)); at++)
		n++;
	free(xml);
	virDomainFree(dom);
	return n;
}

static void test_attach_detach(void **state)
{
	(void)state;
	define("a-one", "0a000000-0000-4000-8000-000000000001");
	assert_int_equal(share_attach(TEST_URI, "a-one", VIRTIOFS), 0);
	assert_int_equal(count_in_xml("a-one", "<target dir='" SHARE_TAG "'/>"), 1);
	assert_int_equal(count_in_xml("a-one", "<source dir='" MNT "/0a000000-0000-4000-8000-000000000001'/>"), 1);
	assert_int_equal(count_in_xml("a-one", "<access mode='shared'/>"), 1);
	assert_int_equal(count_in_xml("a-one", "urn:vpowercap:attach:1"), 1);
	/* twice is once; asked over 9p, an error that changes nothing */
	assert_int_equal(share_attach(TEST_URI, "a-one", VIRTIOFS), 0);
	assert_int_equal(share_attach(TEST_URI, "a-one", NINE_P), -EEXIST);
	assert_int_equal(count_in_xml("a-one", "<target dir='" SHARE_TAG "'/>"), 1);
	assert_int_equal(count_in_xml("a-one", "<driver type='virtiofs'/>"), 1);
	assert_int_equal(share_detach(TEST_URI, "a-one"), 0);
	assert_int_equal(count_in_xml("a-one", "<filesystem"), 0);
	assert_int_equal(count_in_xml("a-one", "<memoryBacking"), 0);
	assert_int_equal(count_in_xml("a-one", "urn:vpowercap:attach:1"), 0);
	assert_int_equal(share_attach(TEST_URI, "no-such-domain", NINE_P), -ENOENT);
	undefine("a-one");
}

/* The channel: in the definition with the socket it connects to, once, and taken away whole. */
static void test_attach_channel(void **state)
{
	static const struct share_request channel = { .transport = SHARE_CHANNEL, .channel_socket = CHANNEL_SOCKET };

	(void)state;
	define("c-one", "0a000000-0000-4000-8000-000000000041");
	assert_int_equal(share_attach(TEST_URI, "c-one", &channel), 0);
	assert_int_equal(count_in_xml("c-one", "<target type='virtio' name='" CHANNEL_NAME_DEFAULT "'"), 1);
	assert_int_equal(count_in_xml("c-one", "<source mode='connect' path='" CHANNEL_SOCKET "'"), 1);
	assert_int_equal(count_in_xml("c-one", "<reconnect enabled='yes' timeout='1'/>"), 1);
	assert_int_equal(count_in_xml("c-one", "<filesystem"), 0);
	/* twice is once; a 9p share beside it is another thing */
	assert_int_equal(share_attach(TEST_URI, "c-one", &channel), 0);
	assert_int_equal(count_in_xml("c-one", "name='" CHANNEL_NAME_DEFAULT "'"), 1);
	assert_int_equal(share_attach(TEST_URI, "c-one", NINE_P), 0);
	assert_int_equal(count_in_xml("c-one", "<filesystem"), 1);
	assert_int_equal(share_detach(TEST_URI, "c-one"), 0);
	assert_int_equal(count_in_xml("c-one", "name='" CHANNEL_NAME_DEFAULT "'"), 0);
	assert_int_equal(count_in_xml("c-one", "<filesystem"), 0);
	/* a share over 9p is not changed to virtiofs behind the operator's back */
	assert_int_equal(share_attach(TEST_URI, "c-one", NINE_P), 0);
	assert_int_equal(share_attach(TEST_URI, "c-one", VIRTIOFS), -EEXIST);
	assert_int_equal(count_in_xml("c-one", "<driver type='path'/>"), 1);
	assert_int_equal(count_in_xml("c-one", "<memoryBacking"), 0);
	undefine("c-one");
}

/* The share is the domain's by UUID: a rename keeps it, a new domain of the old name has its own. */
static void test_attach_rename(void **state)
{
	virDomainPtr dom;

	(void)state;
	define("r-old", "0a000000-0000-4000-8000-000000000031");
	assert_int_equal(share_attach(TEST_URI, "r-old", NINE_P), 0);
	dom = virDomainLookupByName(conn, "r-old");
	assert_non_null(dom);
	assert_int_equal(virDomainRename(dom, "r-new", 0), 0);
	virDomainFree(dom);
	define("r-old", "0a000000-0000-4000-8000-000000000032");
	assert_int_equal(share_attach(TEST_URI, "r-old", NINE_P), 0);
	assert_int_equal(count_in_xml("r-new", "<source dir='" MNT "/0a000000-0000-4000-8000-000000000031'/>"), 1);
	assert_int_equal(count_in_xml("r-old", "<source dir='" MNT "/0a000000-0000-4000-8000-000000000032'/>"), 1);
	undefine("r-new");
	undefine("r-old");
}

static void test_attach_all(void **state)
{
	(void)state;
	define("all-one", "0a000000-0000-4000-8000-000000000011");
	define("all-two", "0a000000-0000-4000-8000-000000000012");
	/* one has its share already, over virtiofs: --all leaves it so */
	assert_int_equal(share_attach(TEST_URI, "all-two", VIRTIOFS), 0);
	assert_int_equal(share_attach_all(TEST_URI, NINE_P_RO), 0);
	assert_int_equal(count_in_xml("all-one", "<source dir='" MNT "/0a000000-0000-4000-8000-000000000011'/>"), 1);
	assert_int_equal(count_in_xml("all-one", "<driver type='path'/>"), 1);
	assert_int_equal(count_in_xml("all-one", "<readonly/>"), 1);
	assert_int_equal(count_in_xml("all-two", "<target dir='" SHARE_TAG "'/>"), 1);
	assert_int_equal(count_in_xml("all-two", "<driver type='virtiofs'/>"), 1);
	/* the driver's own domain is defined too */
	assert_int_equal(count_in_xml("test", "<source dir='" MNT "/6695eb01-f6a4-8304-79aa-97f2502e193f'/>"), 1);
	/* again: nothing more */
	assert_int_equal(share_attach_all(TEST_URI, NINE_P), 0);
	assert_int_equal(count_in_xml("all-one", "<filesystem"), 1);
	assert_int_equal(count_in_xml("all-two", "<filesystem"), 1);
	assert_int_equal(share_detach(TEST_URI, "test"), 0);
	undefine("all-one");
	undefine("all-two");
}

/* A domain defined while the source runs: given the share with auto_attach, else left alone. */
static void check_auto_attach(bool on, const char *name, const char *uuid)
{
	struct vm_source_config cfg = { .libvirt_uri = TEST_URI, .auto_attach = on,
					.auto_attach_transport = SHARE_9P, .share_dir = MNT };
	struct vm_source *src = vm_source_open(VM_SOURCE_LIBVIRT, &cfg);
	struct vm_list vms = { 0 };
	char source[128];
	unsigned long gen;

	assert_non_null(src);
	assert_int_equal(vm_source_list(src, &vms), 0);
	gen = libvirt_source_generation(src);
	define(name, uuid);
	assert_true(libvirt_generation_moves(src, gen));
	assert_int_equal(vm_source_list(src, &vms), 0);
	snprintf(source, sizeof(source), "<source dir='" MNT "/%s'/>", uuid);
	assert_int_equal(count_in_xml(name, source), on ? 1 : 0);
	/* the domains defined before are not touched */
	assert_int_equal(count_in_xml("test", "<filesystem"), 0);
	/* redefining it (an update, not an addition) adds nothing more */
	gen = libvirt_source_generation(src);
	define(name, uuid);
	assert_true(libvirt_generation_moves(src, gen));
	assert_int_equal(vm_source_list(src, &vms), 0);
	/* redefined from the bare XML: the share is gone again, and stays so */
	assert_int_equal(count_in_xml(name, "<filesystem"), 0);
	vm_list_release(&vms);
	vm_source_free(src);
	undefine(name);
}

static void test_auto_attach(void **state)
{
	(void)state;
	check_auto_attach(true, "auto-on", "0a000000-0000-4000-8000-000000000021");
	check_auto_attach(false, "auto-off", "0a000000-0000-4000-8000-000000000022");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_detach),
		cmocka_unit_test(test_attach_channel),
		cmocka_unit_test(test_attach_rename),
		cmocka_unit_test(test_attach_all),
		cmocka_unit_test(test_auto_attach),
	};
	int ret;

	conn = virConnectOpen(TEST_URI);
	if (!conn)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	virConnectClose(conn);
	return ret;
}
