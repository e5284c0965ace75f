/* SPDX-License-Identifier: MIT */
/* Dropping root once what needs it is open: the daemon and the tree server. */
#ifndef VPOWERCAP_PRIVS_H
#define VPOWERCAP_PRIVS_H

#include <stdbool.h>

/**
 * Switch to @user (its groups too) for good. With @keep_unmount, keep
 * CAP_SYS_ADMIN in the permitted set only, for unmounting at exit. Does
 * nothing (but say so) when not started as root. Returns 0 or -errno after
 * logging what to do.
 */
int privs_drop(const char *user, bool keep_unmount);

#endif
