/* SPDX-License-Identifier: MIT */
/*
 * The board: a tick's values in memory the daemon and the tree server
 * share, so that a tick in which no VM came, went or was renamed costs
 * the tree server nothing (no message to wake it, decode and publish).
 *
 * The daemon makes one board per shape it sends (a SNAPSHOT's zones and
 * VMs): a memfd sealed at its size (it can never shrink under the
 * server's mapping), sent after that SNAPSHOT with FEED_BOARD
 * (fuse/feed.h). It writes each tick's values there, the shape's rows in
 * the SNAPSHOT's order, and moves to a new board when the shape changes;
 * the old one stays as it was last written.
 *
 * The server maps it read-only and attaches it to the snapshots of that
 * shape: a guest's read takes its value from the board. Each value is a
 * 64-bit word written and read whole; the daemon only ever writes a
 * counter forward, so any value read is one the daemon has published,
 * never older than the SNAPSHOT the board came after (it holds those
 * values or later ones). A board's shape is fixed when made: nothing is
 * ever rewritten under a reader in another layout.
 */
#ifndef VPOWERCAP_BOARD_H
#define VPOWERCAP_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_MAGIC 0x31445242435056ull  /* "VPCBRD1" */

struct board_header {
	uint64_t magic;
	uint64_t shape;       /* the feed's hash of the shape (feed_shape_*()) */
	uint64_t nzones, nvms;
	uint64_t ticks;       /* values written so far */
	uint64_t written_ns;  /* CLOCK_MONOTONIC of the last */
	uint64_t values[];    /* nvms rows of nzones */
};

struct board {
	struct board_header *h;
	size_t size;          /* of the mapping */
	size_t nzones, nvms;  /* as made or checked: never read back from the shared header */
	unsigned long refs;   /* the server's: snapshots and the client holding it */
};

/**
 * The daemon's: a new board for @nvms VMs of @nzones zones of shape
 * @shape, mapped writable in *@b; its descriptor in *@fd, for FEED_BOARD.
 * Returns 0 or -errno.
 */
int board_create(struct board *b, int *fd, uint64_t shape, size_t nzones, size_t nvms);

/** The daemon's: VM row @row's values, one per zone. */
static inline void board_put_row(struct board *b, size_t row, const uint64_t *values)
{
	uint64_t *dst = &b->h->values[row * b->nzones];

	for (size_t z = 0; z < b->nzones; z++)
		__atomic_store_n(&dst[z], values[z], __ATOMIC_RELAXED);
}

/** The daemon's: the rows of a tick are written (at @now_ns, CLOCK_MONOTONIC). */
static inline void board_ticked(struct board *b, uint64_t now_ns)
{
	__atomic_store_n(&b->h->written_ns, now_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&b->h->ticks, b->h->ticks + 1, __ATOMIC_RELEASE);
}

/**
 * The server's: map board descriptor @fd (which it keeps no longer),
 * checked to be a sealed memfd holding a board of @shape, @nzones zones
 * and @nvms VMs. Returns a board with one reference, or NULL with the
 * reason in @why.
 */
struct board *board_map(int fd, uint64_t shape, size_t nzones, size_t nvms, char *why, size_t whylen);

/** The server's: VM row @row's value in zone @zone (within the board's counts). */
static inline uint64_t board_value(const struct board *b, size_t row, size_t zone)
{
	return __atomic_load_n(&b->h->values[row * b->nzones + zone], __ATOMIC_RELAXED);
}

/** Ticks written, and when the last was (CLOCK_MONOTONIC ns). */
static inline uint64_t board_ticks(const struct board *b, uint64_t *written_ns)
{
	uint64_t ticks = __atomic_load_n(&b->h->ticks, __ATOMIC_ACQUIRE);

	*written_ns = __atomic_load_n(&b->h->written_ns, __ATOMIC_RELAXED);
	return ticks;
}

static inline struct board *board_get(struct board *b)
{
	if (b)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

/** Drop a reference (the server's) or the mapping (the daemon's board, with refs 0). */
void board_put(struct board *b);

/** The daemon's: unmap @b, which is its own struct. */
void board_unmap(struct board *b);

#endif
