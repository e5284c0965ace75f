/* SPDX-License-Identifier: MIT */
/*
 * The daemon's link to the tree server (fuse/fused.c), which mounts the
 * per-VM trees and outlives the daemon: found through the feed socket in
 * the state directory and reused, or started when none runs. The daemon
 * feeds it a snapshot each tick and takes the hook's announcements from it.
 */
#ifndef VPOWERCAP_TREELINK_H
#define VPOWERCAP_TREELINK_H

#include <stdbool.h>
#include <stdint.h>

#include "fuse/feed.h"
#include "host/ledger.h"
#include "fuse/fusefs.h"
#include "fuse/tree.h"

#define TREE_SERVER_FILE "vpowercap-fused"

struct tree_link_config {
	const char *mountpoint;
	const char *state_dir;       /* holds the feed socket */
	const char *control_socket;  /* for the hook, served by the tree server; "" for none */
	const char *user;            /* the server drops to it, as the daemon does */
	const char *reader_group;    /* who besides root may read the trees; "" for none */
	const char *channel_socket;  /* where qemu connects the VMs' channels; "" for none */
};

struct tree_link {
	int fd;
	struct feed_reader r;
	uint64_t announced_seq;      /* the last announcement taken in */
	unsigned server_pid;
	double stall_s;              /* how long the trees stood still before we began */
	bool counters;               /* the server takes the values alone (FEED_COUNTERS) */
	bool boards;                 /* the server takes a board (FEED_BOARD, fuse/board.h) */
	bool push;                   /* it wants COUNTERS every tick all the same (FEED_PUSH) */
	uint64_t shape_sent;         /* the hash of the last snapshot's shape sent; 0: none */
	uint64_t announced_sent;     /* announced_seq as the server last got it */
	struct board board;          /* the board of shape_sent, mapped (board.h NULL: none) */
	uint64_t board_shape;
	struct tree_link_config cfg; /* what it was opened with, to start a next server */
	int held[FEED_HOLD_FDS];     /* the server's descriptors, held for a next one (fuse/feed.h); -1: none */
	unsigned char init[FUSEFS_INIT_MAX]; /* its FUSE_INIT, as the kernel sent it */
	size_t init_len;
	unsigned takeovers;          /* servers started to take the connection over */
};

/**
 * Connect to the tree server of @cfg's state directory, starting one when
 * none runs, and say hello as the daemon. Refused when another daemon
 * feeds it or it serves another mountpoint. Returns 0 or -errno after
 * logging what to do.
 */
int tree_link_open(struct tree_link *t, const struct tree_link_config *cfg);

/**
 * The tree server is gone (it died, or handed over for an upgrade): start
 * the next one on the FUSE connection this daemon holds, so that guests
 * keep their trees, and link to it. Returns 0, or -errno after logging
 * (-ENOTCONN: no connection held, the trees are gone with the server).
 */
int tree_link_take_over(struct tree_link *t);

/** The socket to poll for announcements, -1 when not linked. */
static inline int tree_link_fd(const struct tree_link *t)
{
	return t->fd;
}

struct ledger_view;

/**
 * Feed the snapshot of ledger view @v (host/share.h), encoded as it is
 * sent rather than built and copied first. Returns 0, or -errno: the link
 * is lost.
 */
int tree_link_publish_view(struct tree_link *t, const struct ledger_view *v);

/** Whether bytes of the server's are read and not yet taken (tree_link_poll()). */
bool tree_link_buffered(const struct tree_link *t);

/**
 * Take the next announcement the server has for us, without blocking.
 * Returns 1 with it in @a, 0 when there is none, -errno when the link is
 * lost. Once the VM is in the ledger, mark it taken in with
 * tree_link_taken() so the next snapshot says so.
 */
int tree_link_poll(struct tree_link *t, struct feed_announce *a);

static inline void tree_link_taken(struct tree_link *t, const struct feed_announce *a)
{
	if (a->seq > t->announced_seq)
		t->announced_seq = a->seq;
}

/** Let go of the server, which goes on serving the last snapshot. */
void tree_link_close(struct tree_link *t);

/**
 * The operator's commands: print the tree server's status, take the tree
 * down, or have the server hand the trees over to the next one, which the
 * daemon starts (an upgrade of the server). Returns a process exit status.
 */
enum tree_admin {
	TREE_ADMIN_STATUS,
	TREE_ADMIN_UNMOUNT,
	TREE_ADMIN_HANDOVER,   /* upgrade-tree-server: the daemon starts the next server on the connection */
};

int tree_link_admin(const char *state_dir, enum tree_admin what);

/**
 * The values the tree server of @state_dir serves its guests now (the last
 * snapshot a daemon fed it), asked as an admin, so before this daemon
 * takes over. Sets *@served to a finished snapshot to free with
 * tree_snapshot_free(), or to NULL when no server runs. Returns 0 or
 * -errno after logging.
 */
int tree_link_served(const char *state_dir, struct tree_snapshot **served);

/**
 * No saved counters in @state_dir (none yet, or none usable and @reset,
 * --reset-counters): start each VM's counters in @l at what the running
 * tree server serves its guest (tree_link_served), so that none goes
 * back: a state directory emptied under a live tree is no new host. With
 * no tree server (or no @trees at all), no guest holds a value, and zero
 * is safe. @estimate: the sensor estimates. Returns 0 or -errno after
 * logging.
 */
int tree_link_seed_ledger(struct ledger *l, const char *state_dir, bool trees, bool estimate, bool reset);

/**
 * Before anything else uses @mountpoint: when a live tree server serves
 * it, it must be the one of @state_dir. One whose feed socket was removed
 * from @state_dir makes it again within a second (it checks): waited for.
 * One fed from another state directory is refused (-EBUSY), naming it, so
 * that no second server mounts over a tree guests read and no daemon
 * starts counters again beneath it. Returns 0 or -errno after logging.
 */
int tree_link_check_mountpoint(const char *mountpoint, const char *state_dir);

#endif
