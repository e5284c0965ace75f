// SPDX-License-Identifier: MIT
/*
 * Tests of the control socket's request parser (host/control.c): the lines
 * the libvirt hook sends, UUIDs folded to lowercase, and every shape of
 * line that must be refused; and the listening sockets' files, made
 * without a path operation another user could lead astray.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/control.h"

#define UUID "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"

/* Parse @line, which must be accepted as @op with @name and @uuid. */
static void parse_ok(const char *line, enum control_op op, const char *name, const char *uuid)
{
	struct control_request req;
	char why[128] = "";

	if (control_parse(line, &req, why, sizeof(why)) != 0)
		fail_msg("refused '%s': %s", line, why);
	assert_string_equal(why, "");
	assert_int_equal(req.op, op);
	assert_string_equal(req.name, name);
	assert_string_equal(req.uuid, uuid);
}

/* Parse @line, which must be refused with @reason. */
static void parse_bad(const char *line, const char *reason)
{
	struct control_request req;
	char why[128] = "";

	if (control_parse(line, &req, why, sizeof(why)) != -EINVAL)
		fail_msg("accepted '%s'", line);
	assert_string_equal(why, reason);
}

static void test_good_lines(void **state)
{
	(void)state;
	parse_ok("ping", CONTROL_PING, "", "");
	parse_ok("ping\n", CONTROL_PING, "", "");
	parse_ok("prepare web " UUID, CONTROL_PREPARE, "web", UUID);
	parse_ok("release db-1 " UUID "\n", CONTROL_RELEASE, "db-1", UUID);
	/* Names are bytes: UTF-8 and punctuation pass as they are. */
	parse_ok("prepare caf\xc3\xa9/\"x\" " UUID, CONTROL_PREPARE, "caf\xc3\xa9/\"x\"", UUID);
	/* One request per connection: what follows the first line is not read. */
	parse_ok("prepare web " UUID "\nrelease other " UUID, CONTROL_PREPARE, "web", UUID);
}

static void test_uuid_case_folded(void **state)
{
	(void)state;
	/* the name keeps its case: it is the domain's name, not a key */
	parse_ok("prepare Web-Server 6F1C2D3E-4A5B-4C6D-8E9F-0A1B2C3D4E5F", CONTROL_PREPARE,
		 "Web-Server", UUID);
	parse_ok("release x AbCdEf", CONTROL_RELEASE, "x", "abcdef");
}

static void test_unknown_requests(void **state)
{
	(void)state;
	parse_bad("", "unknown request");
	parse_bad("\n", "unknown request");
	parse_bad("PING", "unknown request");
	parse_bad("Prepare web " UUID, "unknown request");
	parse_bad("pingx", "unknown request");
	parse_bad("prepared web " UUID, "unknown request");
	parse_bad("stop web " UUID, "unknown request");
	parse_bad(" prepare web " UUID, "unknown request");
	/* ping takes nothing after it */
	parse_bad("ping now", "unknown request");
	parse_bad("ping ", "unknown request");
}

static void test_missing_and_extra_fields(void **state)
{
	(void)state;
	parse_bad("prepare", "want: prepare NAME UUID");
	parse_bad("release\n", "want: release NAME UUID");
	parse_bad("prepare ", "want: prepare NAME UUID");
	parse_bad("prepare web", "want: prepare NAME UUID");
	parse_bad("prepare web\n", "want: prepare NAME UUID");
	parse_bad("prepare web ", "want: prepare NAME UUID");
	parse_bad("prepare web \n", "want: prepare NAME UUID");
	parse_bad("release " UUID, "want: release NAME UUID");
	/* fields are separated by exactly one space */
	parse_bad("prepare  web " UUID, "want: prepare NAME UUID");
	parse_bad("prepare web  " UUID, "want: prepare NAME UUID");
	/* and there are exactly two */
	parse_bad("prepare web " UUID " extra", "want: prepare NAME UUID");
	parse_bad("prepare web " UUID " ", "want: prepare NAME UUID");
	parse_bad("release web " UUID " extra\n", "want: release NAME UUID");
}

static void test_control_characters(void **state)
{
	(void)state;
	parse_bad("prepare we\tb " UUID, "want: prepare NAME UUID");
	parse_bad("prepare web\t" UUID, "want: prepare NAME UUID");
	parse_bad("prepare w\x01" "eb " UUID, "want: prepare NAME UUID");
	parse_bad("prepare w\x7f" "eb " UUID, "want: prepare NAME UUID");
	parse_bad("prepare web 6f1c\x1b" "2d3e", "want: prepare NAME UUID");
	/* a CR is not a line end here: the hook sends bare newlines */
	parse_bad("prepare web " UUID "\r\n", "want: prepare NAME UUID");
	parse_bad("prepare web\r " UUID, "want: prepare NAME UUID");
}

/* Names are percent-encoded: spaces, controls, '%' and UTF-8 decoded, bad escapes refused. */
static void test_encoded_names(void **state)
{
	char name[CONTROL_NAME_MAX], line[CONTROL_LINE_MAX + 8];
	size_t n = 0;

	(void)state;
	parse_ok("prepare my%20web%20vm " UUID, CONTROL_PREPARE, "my web vm", UUID);
	parse_ok("release 100%25 " UUID "\n", CONTROL_RELEASE, "100%", UUID);
	parse_ok("prepare caf%C3%A9%E2%98%83 " UUID, CONTROL_PREPARE, "caf\xc3\xa9\xe2\x98\x83", UUID);
	parse_ok("prepare caf\xc3\xa9 " UUID, CONTROL_PREPARE, "caf\xc3\xa9", UUID);  /* raw UTF-8 too */
	parse_ok("prepare a%09b%0Ac%7f " UUID, CONTROL_PREPARE, "a\tb\nc\x7f", UUID);
	parse_ok("prepare %2e%2E " UUID, CONTROL_PREPARE, "..", UUID);
	parse_bad("prepare a%00b " UUID, "want: prepare NAME UUID");
	parse_bad("prepare a%2 " UUID, "want: prepare NAME UUID");
	parse_bad("prepare a% " UUID, "want: prepare NAME UUID");
	parse_bad("prepare a%zz " UUID, "want: prepare NAME UUID");
	parse_bad("prepare a%g0 " UUID, "want: prepare NAME UUID");
	parse_bad("prepare %20 b " UUID, "want: prepare NAME UUID");
	/* the longest name, every byte encoded, fits a request line */
	memset(name, ' ', CONTROL_NAME_MAX - 1);
	name[CONTROL_NAME_MAX - 1] = '\0';
	n = (size_t)snprintf(line, sizeof(line), "prepare ");
	for (size_t i = 0; i < CONTROL_NAME_MAX - 1; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%%20");
	snprintf(line + n, sizeof(line) - n, " %s\n", UUID);
	assert_true(strlen(line) < CONTROL_LINE_MAX);
	parse_ok(line, CONTROL_PREPARE, name, UUID);
	/* one decoded byte more: refused, not cut */
	snprintf(line + n, sizeof(line) - n, "%%20 %s", UUID);
	parse_bad(line, "want: prepare NAME UUID");
}

static void test_overlong_words(void **state)
{
	char name[CONTROL_NAME_MAX + 1], uuid[CONTROL_UUID_MAX + 1], line[600];

	(void)state;
	/* the longest name and UUID that fit */
	memset(name, 'n', CONTROL_NAME_MAX - 1);
	name[CONTROL_NAME_MAX - 1] = '\0';
	memset(uuid, 'u', CONTROL_UUID_MAX - 1);
	uuid[CONTROL_UUID_MAX - 1] = '\0';
	snprintf(line, sizeof(line), "prepare %s %s", name, uuid);
	parse_ok(line, CONTROL_PREPARE, name, uuid);

	/* one byte more, either: refused, not cut */
	name[CONTROL_NAME_MAX - 1] = 'n';
	name[CONTROL_NAME_MAX] = '\0';
	snprintf(line, sizeof(line), "prepare %s %s", name, UUID);
	parse_bad(line, "want: prepare NAME UUID");
	uuid[CONTROL_UUID_MAX - 1] = 'u';
	uuid[CONTROL_UUID_MAX] = '\0';
	snprintf(line, sizeof(line), "release web %s", uuid);
	parse_bad(line, "want: release NAME UUID");
}

/* The reason fits whatever room the caller gives it. */
static void test_short_reason_buffer(void **state)
{
	struct control_request req;
	char why[6];

	(void)state;
	memset(why, 'x', sizeof(why));
	assert_int_equal(control_parse("prepare web", &req, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "want:");
}

/*
 * bind(), as the code under test sees it: the real one, and then, when
 * asked, what a hostile owner of the socket's directory does at once: the
 * socket file swapped for a link to another file.
 */
static const char *swap_link_to;

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) =
		(int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	int ret = real(fd, addr, len);

	if (ret == 0 && swap_link_to && addr->sa_family == AF_UNIX) {
		const char *path = ((const struct sockaddr_un *)addr)->sun_path;
		char tmp[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];

		snprintf(tmp, sizeof(tmp), "%s.lnk", path);
		if (symlink(swap_link_to, tmp) == 0)
			rename(tmp, path);
	}
	return ret;
}

/* The socket is 0600 from its birth, and no link put in its place is followed. */
static void test_listen_follows_no_link(void **state)
{
	char dir[] = "/tmp/vpowercap-test-control.XXXXXX", sock[64], victim[64];
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/tree.sock", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	umask(0);
	fd = unix_listen(sock, "test");
	assert_true(fd >= 0);
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd);

	fd = open(victim, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	chmod(victim, 0644);
	swap_link_to = victim;
	fd = unix_listen(sock, "test");
	swap_link_to = NULL;
	if (fd >= 0)
		close(fd);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);  /* never chmod'ed through the link */
	unlink(sock);
	unlink(victim);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),
		cmocka_unit_test(test_listen_follows_no_link),
		cmocka_unit_test(test_uuid_case_folded),
		cmocka_unit_test(test_unknown_requests),
		cmocka_unit_test(test_missing_and_extra_fields),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_encoded_names),
		cmocka_unit_test(test_overlong_words),
		cmocka_unit_test(test_short_reason_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
