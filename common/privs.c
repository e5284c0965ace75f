// SPDX-License-Identifier: MIT
/* Dropping root for an unprivileged user. */
#include "common/privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/users.h"

/*
 * Keep only CAP_SYS_ADMIN, and only in the permitted set: the FUSE tree
 * raises it for the one call that needs it, unmounting at exit.
 */
static int keep_only_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].permitted = 1u << CAP_SYS_ADMIN;
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

int privs_drop(const char *user, bool keep_unmount)
{
	uid_t uid;
	gid_t gid;
	int ret;

	if (geteuid() != 0) {
		log_info("not started as root: running as uid %u", (unsigned)geteuid());
		return 0;
	}
	if (users_find(user, &uid, &gid) < 0)
		return log_error(-ENOENT, "user '%s' does not exist: create it ('make install' does) "
				 "or name another with --user", user);
	if (keep_unmount && uid != 0 && prctl(PR_SET_KEEPCAPS, 1) < 0)
		return log_error(-errno, "cannot keep the right to unmount: %s", strerror(errno));
	ret = users_become(user, uid, gid);
	if (ret < 0)
		return log_error(ret, "cannot switch to user '%s': %s", user, strerror(-ret));
	if (uid != 0 && setuid(0) == 0)
		return log_error(-EPERM, "could switch back to root after dropping to '%s'", user);
	if (keep_unmount && uid != 0 && keep_only_sys_admin() < 0)
		return log_error(-errno, "cannot drop capabilities: %s", strerror(errno));
	log_info("running as user '%s'", user);
	return 0;
}
