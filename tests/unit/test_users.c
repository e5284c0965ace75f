// SPDX-License-Identifier: MIT
/*
 * Tests of the users and groups lookups (common/users.c): the same answers
 * as the C library's for every name /etc/passwd and /etc/group hold, with
 * no NSS module loaded for them; -ENOENT for a name nobody has; and
 * becoming a user gives it the groups /etc/group lists it in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/users.h"

/* Whether an NSS module (libnss_*.so) is mapped in this process. */
static bool nss_loaded(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libnss_") != NULL;
	fclose(f);
	return found;
}

/* Runs first: nothing before it has asked the C library for a name. */
static void test_files_load_no_module(void **state)
{
	uid_t uid;
	gid_t gid;

	(void)state;
	if (nss_loaded())
		skip();
	assert_int_equal(users_find("root", &uid, &gid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 0);
	assert_int_equal(users_find_group("root", &gid), 0);
	assert_int_equal(gid, 0);
	assert_false(nss_loaded());
}

static void test_same_as_libc(void **state)
{
	FILE *f;
	struct passwd *pw;
	struct group *gr;
	int users = 0, groups = 0;

	(void)state;
	f = fopen("/etc/passwd", "re");
	assert_non_null(f);
	while ((pw = fgetpwent(f))) {
		char name[256];
		uid_t want_uid = pw->pw_uid, uid;
		gid_t want_gid = pw->pw_gid, gid;

		snprintf(name, sizeof(name), "%s", pw->pw_name);
		assert_int_equal(users_find(name, &uid, &gid), 0);
		assert_int_equal(uid, want_uid);
		assert_int_equal(gid, want_gid);
		users++;
	}
	fclose(f);
	f = fopen("/etc/group", "re");
	assert_non_null(f);
	while ((gr = fgetgrent(f))) {
		char name[256];
		gid_t want = gr->gr_gid, gid;

		snprintf(name, sizeof(name), "%s", gr->gr_name);
		assert_int_equal(users_find_group(name, &gid), 0);
		assert_int_equal(gid, want);
		groups++;
	}
	fclose(f);
	assert_true(users > 0 && groups > 0);
}

static void test_missing(void **state)
{
	uid_t uid;
	gid_t gid;

	(void)state;
	assert_int_equal(users_find("vpowercap-no-such-user", &uid, &gid), -ENOENT);
	assert_int_equal(users_find_group("vpowercap-no-such-group", &gid), -ENOENT);
	assert_int_equal(users_find("", &uid, &gid), -ENOENT);
}

/* As root, a child becomes 'nobody': its ids, and the groups it is listed in. */
static void test_become(void **state)
{
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0 || users_find("nobody", &uid, &gid) < 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		gid_t list[64], want[64];
		int n, nwant = 0;
		struct group *gr;
		FILE *f = fopen("/etc/group", "re");

		if (users_become("nobody", uid, gid) < 0 || getuid() != uid || geteuid() != uid ||
		    getgid() != gid || getegid() != gid || !f)
			_exit(1);
		want[nwant++] = gid;
		while ((gr = fgetgrent(f)))
			for (char **m = gr->gr_mem; *m; m++)
				if (!strcmp(*m, "nobody"))
					want[nwant++] = gr->gr_gid;
		fclose(f);
		n = getgroups(64, list);
		if (n != nwant)
			_exit(2);
		for (int i = 0; i < n; i++)
			if (list[i] != want[i])
				_exit(3);
		_exit(setuid(0) == 0 ? 4 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_load_no_module),
		cmocka_unit_test(test_same_as_libc),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_become),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
