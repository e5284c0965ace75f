// SPDX-License-Identifier: MIT
/* Users and groups by name: see users.h. */
#include "common/users.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PASSWD_FILE "/etc/passwd"
#define GROUP_FILE "/etc/group"
#define GROUPS_MAX 64

/* User @name in /etc/passwd: 1 found, 0 not there. */
static int passwd_file_find(const char *name, uid_t *uid, gid_t *gid)
{
	FILE *f = fopen(PASSWD_FILE, "re");
	struct passwd *pw;
	int found = 0;

	if (!f)
		return 0;
	while (!found && (pw = fgetpwent(f))) {
		if (!strcmp(pw->pw_name, name)) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int users_find(const char *name, uid_t *uid, gid_t *gid)
{
	const struct passwd *pw;

	if (passwd_file_find(name, uid, gid))
		return 0;
	pw = getpwnam(name);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* Group @name in /etc/group: whether it is there. */
static bool group_file_find(const char *name, gid_t *gid)
{
	FILE *f = fopen(GROUP_FILE, "re");
	struct group *gr;
	bool found = false;

	if (!f)
		return false;
	while (!found && (gr = fgetgrent(f))) {
		if (!strcmp(gr->gr_name, name)) {
			*gid = gr->gr_gid;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* The groups /etc/group lists user @member in, added to @list (up to @max); false when unread. */
static bool group_file_memberships(const char *member, gid_t *list, int *n, int max)
{
	FILE *f = fopen(GROUP_FILE, "re");
	struct group *gr;

	if (!f)
		return false;
	while ((gr = fgetgrent(f))) {
		for (char **m = gr->gr_mem; *m; m++) {
			if (!strcmp(*m, member) && *n < max) {
				list[(*n)++] = gr->gr_gid;
				break;
			}
		}
	}
	fclose(f);
	return true;
}

int users_find_group(const char *name, gid_t *gid)
{
	const struct group *gr;

	if (group_file_find(name, gid))
		return 0;
	gr = getgrnam(name);
	if (!gr)
		return -ENOENT;
	*gid = gr->gr_gid;
	return 0;
}

int users_become(const char *name, uid_t uid, gid_t gid)
{
	gid_t list[GROUPS_MAX];
	uid_t file_uid;
	gid_t file_gid;
	int n = 0;

	list[n++] = gid;
	if (passwd_file_find(name, &file_uid, &file_gid) && file_uid == uid &&
	    group_file_memberships(name, list, &n, GROUPS_MAX)) {
		if (setgroups((size_t)n, list) < 0)
			return -errno;
	} else if (initgroups(name, gid) < 0) {
		return -errno;
	}
	if (setgid(gid) < 0 || setuid(uid) < 0)
		return -errno;
	return 0;
}
