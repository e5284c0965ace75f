// SPDX-License-Identifier: MIT
/* Dropping root for an unprivileged user. */
#include "common/privs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

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
	struct passwd *pw;

	if (geteuid() != 0) {
		log_info("not started as root: running as uid %u", (unsigned)geteuid());
		return 0;
	}
	pw = getpwnam(user);
	if (!pw)
		return log_error(-ENOENT, "user '%s' does not exist: create it ('make install' does) "
				 "or name another with --user", user);
	if (keep_unmount && pw->pw_uid != 0 && prctl(PR_SET_KEEPCAPS, 1) < 0)
		return log_error(-errno, "cannot keep the right to unmount: %s", strerror(errno));
	if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return log_error(-errno, "cannot switch to user '%s': %s", user, strerror(errno));
	if (pw->pw_uid != 0 && setuid(0) == 0)
		return log_error(-EPERM, "could switch back to root after dropping to '%s'", user);
	if (keep_unmount && pw->pw_uid != 0 && keep_only_sys_admin() < 0)
		return log_error(-errno, "cannot drop capabilities: %s", strerror(errno));
	log_info("running as user '%s'", user);
	return 0;
}
