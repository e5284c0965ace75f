/* SPDX-License-Identifier: MIT */
/*
 * The VMs' shares as their guests see them: the per-VM tree snapshot
 * (fuse/tree.h) built from the ledger's view, the one place that decides
 * how host zones appear in a guest.
 */
#ifndef VPOWERCAP_SHARE_H
#define VPOWERCAP_SHARE_H

#include "fuse/tree.h"
#include "host/ledger.h"

/*
 * How a host's estimate (a host without RAPL) appears in the VMs' trees: a
 * package zone, where powercap readers look for one (a name beginning
 * "package-"), whose name says it is an estimate, for the guest to tell.
 */
#define SHARE_ESTIMATE_ZONE_ID "intel-rapl:0"
#define SHARE_ESTIMATE_ZONE_NAME "package-0-estimate"

/**
 * Build the snapshot of @v: every VM presented, every zone presented,
 * values modulo each zone's range; the estimate's zone is served as a
 * package zone, where powercap readers look for one. Returns a finished
 * snapshot, or NULL when out of memory.
 */
struct tree_snapshot *share_snapshot_build(const struct ledger_view *v);

/**
 * Send the snapshot share_snapshot_build() would build of @v on feed
 * socket @fd (blocking), as the feed's SNAPSHOT message with the last
 * announcement taken in, @announced_seq: encoded as it is sent, never held
 * whole, and laid out (tree_snapshot_finish()) by the tree server alone.
 *
 * With @shape_sent (a server that takes COUNTERS): when *@shape_sent is
 * the hash of @v's shape (the last SNAPSHOT sent on @fd was of this
 * shape), only the values go, as COUNTERS; otherwise a SNAPSHOT, and
 * *@shape_sent becomes its shape's hash (0 after an error: the next is
 * whole). NULL: a SNAPSHOT every time.
 *
 * Returns 0 or -errno (the connection is then unusable).
 */
int share_snapshot_send(const struct ledger_view *v, int fd, uint64_t announced_seq, uint64_t *shape_sent);

/** The feed's hash of the shape of @v as share_snapshot_send() sends it. */
uint64_t share_shape(const struct ledger_view *v);

/** share_snapshot_send() with @v's shape already hashed (share_shape()): @shape. */
int share_send_shaped(const struct ledger_view *v, int fd, uint64_t announced_seq, uint64_t shape,
		      uint64_t *shape_sent);

/**
 * A board (fuse/board.h) for @v's shape, hashed @shape, holding @v's
 * values: mapped in @b, its descriptor in *@fd for FEED_BOARD. Returns 0
 * or -errno.
 */
int share_board_new(const struct ledger_view *v, uint64_t shape, struct board *b, int *fd);

/** @v's values on board @b, made of its shape: a tick written. */
void share_board_write(const struct ledger_view *v, struct board *b);

/**
 * The inverse, for a start without saved counters: set each VM's counter
 * in empty-of-state ledger @l to the value snapshot @s served its guests
 * (VMs and zones added as needed; @estimate: the daemon's sensor is an
 * estimate, served as a package zone). A guest then reads on from what it
 * saw, wrapped as before. Returns the number of VMs set, or -ENOMEM.
 */
int share_seed_ledger(struct ledger *l, const struct tree_snapshot *s, bool estimate);

#endif
