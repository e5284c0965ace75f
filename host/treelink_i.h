/* SPDX-License-Identifier: MIT */
/*
 * What the daemon's two sides of the feed share: reaching the tree server
 * (host/treelink.c, which starts and feeds it) and asking it as an admin
 * (host/treelink_admin.c: status, the values served, taking the trees
 * down, the mountpoint checked before a start).
 */
#ifndef VPOWERCAP_TREELINK_I_H
#define VPOWERCAP_TREELINK_I_H

#include <stddef.h>
#include <sys/un.h>

#include "fuse/feed.h"

/* How long the server may take to answer a hello. */
#define ANSWER_MS 5000

/** The feed socket's address in @state_dir. Returns 0 or -ENAMETOOLONG after logging. */
int feed_path(const char *state_dir, struct sockaddr_un *addr);

/** A stream socket connected to @addr, or -errno. */
int feed_connect(const struct sockaddr_un *addr);

/** Wait up to @ms for the next message on blocking @fd: 1, or -errno (-ETIMEDOUT). */
int feed_wait(int fd, struct feed_reader *r, enum feed_type *type, const void **payload, size_t *len, int ms);

#endif
