/* SPDX-License-Identifier: MIT */
/*
 * Users and groups by name, as the daemon and the tree server look them
 * up: /etc/passwd and /etc/group first, the system's other databases (NSS:
 * LDAP, systemd's dynamic users) only for a name those files lack. A
 * lookup the files answer loads no NSS module, which would otherwise stay
 * mapped in a long-running process for good.
 */
#ifndef VPOWERCAP_USERS_H
#define VPOWERCAP_USERS_H

#include <stdbool.h>
#include <sys/types.h>

/** User @name's uid and primary gid: 0, or -ENOENT. */
int users_find(const char *name, uid_t *uid, gid_t *gid);

/** Group @name's gid: 0, or -ENOENT. */
int users_find_group(const char *name, gid_t *gid);

/**
 * Become user @name (uid @uid, primary group @gid), with the
 * supplementary groups /etc/group gives it (or NSS's, for a user the
 * files lack). Returns 0 or -errno.
 */
int users_become(const char *name, uid_t uid, gid_t gid);

#endif
