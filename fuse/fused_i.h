/* SPDX-License-Identifier: MIT */
/*
 * The tree server's state, shared by its loop (fuse/fused.c) and its
 * answers to admins (fuse/fused_admin.c): status, the values served, the
 * hand-over for an upgrade.
 */
#ifndef VPOWERCAP_FUSED_I_H
#define VPOWERCAP_FUSED_I_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/control.h"
#include "common/log.h"
#include "fuse/channel_server.h"
#include "fuse/feed.h"
#include "fuse/feed_socket.h"
#include "fuse/tree.h"

#define CLIENTS_MAX 8
#define CONTROL_CONNS_MAX 16
/* A feed connection must say hello within this; a silent one frees its place. */
#define HELLO_WAIT_NS 2000000000ull
/* Announcements kept while no daemon takes them in; the oldest go first. */
#define PENDING_MAX 4096

struct client {
	int fd;                      /* -1: free */
	enum feed_role role;         /* 0 until its hello */
	unsigned pid;
	struct feed_reader r;
	char *out;                   /* a reply too large for the socket at once: the rest, */
	size_t out_len, out_off;     /* sent as the client reads (POLLOUT) */
	uint64_t since_ns;           /* connected: until its hello, HELLO_WAIT_NS to say it */
	bool fed;                    /* the base is a snapshot it sent: COUNTERS apply to it */
	bool holds;                  /* it was given the FUSE connection to hold */
	bool push;                   /* told to send COUNTERS every tick (FEED_PUSH) */
};

/* An announcement of the hook that no daemon has taken in yet. */
struct pending {
	uint64_t seq;
	bool prepare;
	char name[TREE_DIR_MAX];
	char uuid[TREE_UUID_MAX];
};

struct server {
	const char *mountpoint, *control_path, *user;
	struct publisher tree;
	struct fusefs *fs;
	struct feed_socket feed;     /* where daemons connect; feed.dir: the daemon's state directory */
	int control_fd, sig_fd;
	struct channel_server chan;  /* chan.fd -1: no channel socket */
	struct pollfd *pfd;          /* the loop's, grown with the channels */
	int *owner;
	size_t pfd_alloc, owner_alloc;
	struct client clients[CLIENTS_MAX];
	struct control_conn control[CONTROL_CONNS_MAX];  /* the hook's, their lines coming in */
	int daemon;                  /* index in clients, -1: none */
	struct tree_snapshot *base;  /* the daemon's last snapshot, not published itself */
	struct pending *pending;
	size_t npending, pending_alloc;
	uint64_t next_seq;
	uint64_t started_ns, last_snapshot_ns, daemon_left_ns, longest_stall_ns, snapshots;
	uint64_t values_alone;        /* snapshots that came as COUNTERS */
	unsigned takeovers;           /* servers that took this connection over, this one included */
	time_t started_at;
	bool handed_over;             /* stopped for the next server: leave the mount as it is */
	unsigned daemons;
	bool stop;
	int shutdown_client;         /* the admin that asked to stop, -1: none */
	struct complaint bad_snapshot;
};

/* fused.c */

/** Close feed client @i, saying @why (the daemon's end is logged). */
void client_close(struct server *sv, int i, const char *why);

/** Refuse client @i with @why, and close it. */
void refuse(struct server *sv, int i, const char *why);
/** Publish the base with a placeholder for each announced domain it lacks. Returns 0 or -ENOMEM. */
int republish(struct server *sv);

/* fused_values.c */
/** A SNAPSHOT or COUNTERS of daemon client @i: the base now. */
void on_snapshot(struct server *sv, int i, enum feed_type type, const void *payload, size_t len);
/** A BOARD of daemon client @i, for the shape of its last snapshot. */
void on_board(struct server *sv, int i, const void *payload, size_t len);
/** Tell the daemon whether each tick must come as COUNTERS (channel peers take them). */
void push_update(struct server *sv);
/** When guests last got new values: the last snapshot, or the board's last tick; 0: never. */
uint64_t last_values_ns(const struct server *sv);

/* fused_admin.c */

/** An admin's status request: the server, its daemon, its snapshots and channels. */
void on_status(struct server *sv, int i);

/** Send what is left of client @i's reply as its socket takes it; false when it is gone. */
bool client_flush(struct server *sv, int i);

/** An admin's request for the values served now. */
void on_values(struct server *sv, int i);

/** An admin's request to hand the connection over to the next server. */
void on_handover(struct server *sv, int i);

#endif
