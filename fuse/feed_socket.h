/* SPDX-License-Identifier: MIT */
/*
 * The tree server's feed socket, where daemons connect (STATE_DIR/tree.sock):
 * made at start, unless a live server listens there already, and made
 * again when its file was removed (an emptied state directory), so that
 * the next daemon finds this server, and the counters its guests read,
 * rather than starting another. A file another put there is left alone.
 */
#ifndef VPOWERCAP_FEED_SOCKET_H
#define VPOWERCAP_FEED_SOCKET_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"

struct feed_socket {
	const char *path;      /* set before feed_socket_listen() */
	char dir[PATH_MAX];    /* the directory it is in: the daemon's state directory */
	int fd;                /* listening; -1: none */
	uint64_t checked_ns;   /* when its file was last seen there */
	struct complaint lost;
};

/** Listen on @fs->path. Returns the descriptor, or -errno after logging. */
int feed_socket_listen(struct feed_socket *fs);

/** Listen on @fd, @fs->path's listening socket handed on by a server before. Returns @fd. */
int feed_socket_adopt(struct feed_socket *fs, int fd);

/**
 * Once a second at most (and at least every 5 s, the server's idle poll):
 * listen again when the socket's file is gone.
 */
void feed_socket_recheck(struct feed_socket *fs);

/** Stop listening, and remove the file with @remove (a clean stop). */
void feed_socket_close(struct feed_socket *fs, bool remove);

#endif
