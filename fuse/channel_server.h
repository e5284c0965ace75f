/* SPDX-License-Identifier: MIT */
/*
 * The tree server's channel socket. qemu connects to it for every VM whose
 * definition has vpowercap's channel (docs/daemon.md):
 *
 *   <channel type='unix'>
 *     <source mode='connect' path='/run/vpowercap-channel.sock'/>
 *     <target type='virtio' name='org.vpowercap.0'/>
 *   </channel>
 *
 * and after every snapshot the server writes that VM's frame
 * (common/channel.h) down the connection, to the guest's port. Which VM a
 * connection serves comes from its peer, never from what it says: the
 * kernel gives the connecting process (SO_PEERCRED), whose command line
 * holds the VM's UUID (common/qemu_cmdline.h). A connection carries its
 * VM's numbers alone.
 *
 * The server never waits on a guest: sockets are non-blocking, a frame
 * that cannot go out whole now is dropped (a guest that does not read
 * loses frames, and the tick goes on), and what the guest writes into its
 * port is read, at most CHANNEL_SERVER_DRAIN bytes a tick, and thrown
 * away unread: once drained, a connection is polled for hang-ups alone
 * until the next tick.
 */
#ifndef VPOWERCAP_CHANNEL_SERVER_H
#define VPOWERCAP_CHANNEL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/channel.h"
#include "fuse/tree.h"

#define CHANNEL_SOCKET_DEFAULT "/run/vpowercap-channel.sock"
#define CHANNEL_SERVER_DRAIN 4096
#define CHANNEL_SERVER_SNDBUF 8192  /* the kernel doubles it */
#define CHANNEL_SERVER_CONNS_MAX 65536

struct channel_conn {
	int fd;
	pid_t pid;                    /* the qemu that connected */
	char uuid[TREE_UUID_MAX];     /* its VM */
	char *rest;                   /* what is left of a frame partly sent */
	size_t rest_len;
	bool muted;                   /* drained this tick: not polled for input until the next */
};

struct channel_server {
	int fd;                       /* listening; -1: none */
	char path[108];
	const char *proc_root;
	struct channel_conn *conns;
	size_t nconns, alloc;
	bool have_source;
	char host[CHANNEL_HOST_MAX];
	uint64_t epoch;
	uint64_t frames, dropped, refused, drained, connections;
};

/**
 * Listen on @path (replacing a stale socket) with mode 0660, owned by
 * @uid and @gid (-1: unchanged): qemu's user must be able to connect,
 * through @gid. Call as root, before dropping privileges. Returns 0 or
 * -errno after logging.
 */
int channel_server_listen(struct channel_server *cs, const char *path, uid_t uid, gid_t gid);

/** Serve on @fd, the listening socket at @path a server before made and handed on. */
void channel_server_adopt(struct channel_server *cs, const char *path, int fd);

/** Who sends from now on (read from the daemon's state directory). */
void channel_server_set_source(struct channel_server *cs, const char *host, uint64_t epoch);

/** Take a connection waiting on the listening socket. */
void channel_server_accept(struct channel_server *cs);

/**
 * Connection @i has news (@revents of poll): what the guest wrote is
 * drained, once a tick (poll it for POLLIN only while it is not muted); a
 * hang-up closes it.
 */
void channel_server_event(struct channel_server *cs, size_t i, short revents);

/** Write each connection's VM's frame from snapshot @s. */
void channel_server_send(struct channel_server *cs, const struct tree_snapshot *s);

/** Close everything; the socket file is removed unless @keep_socket (handed on to the next server). */
void channel_server_release(struct channel_server *cs, bool keep_socket);

#endif
