/* SPDX-License-Identifier: MIT */
/*
 * The snapshot publisher: one thread publishes immutable snapshots, any
 * number of threads read the current one, and neither side ever waits for
 * the other. Used wherever a tick's result is served to other threads: the
 * per-VM trees (FUSE threads) and the Prometheus text (HTTP threads).
 *
 * Contract:
 * - A snapshot embeds a struct published (first member, or reached with
 *   container_of) and is never changed once published.
 * - publisher_publish() and publisher_release() are called from one thread,
 *   the publisher's, and never concurrently with each other.
 * - publisher_get() and publisher_put() may be called from any thread at
 *   any time between publisher_init() and publisher_release(). A reader
 *   holds a snapshot from get to put; it may hold it across publishes.
 * - A snapshot no longer current is freed (with the free function given to
 *   publisher_init) by the publisher's thread, at a later publish, once no
 *   reader holds it; everything left is freed by publisher_release().
 *
 * No lock is shared between the two sides, so a reader that is preempted
 * while holding a snapshot never holds up a tick, and a tick never holds up
 * a reader. The cost: a retired snapshot lives until the publish after its
 * last reader let go.
 */
#ifndef VPOWERCAP_PUBLISH_H
#define VPOWERCAP_PUBLISH_H

#include <stddef.h>

struct published {
	unsigned long refs;          /* atomic: being current counts as one */
	struct published *next;      /* on the retired list */
};

struct publisher {
	struct published *current;   /* atomic */
	unsigned long taking;        /* atomic: readers between load and count */
	struct published *retired;   /* the publisher's thread only */
	void (*free)(struct published *);
};

/** Start with @first current (never NULL); @free_fn frees a snapshot. */
void publisher_init(struct publisher *p, struct published *first, void (*free_fn)(struct published *));

/** Make @s current: the publisher's thread only. */
void publisher_publish(struct publisher *p, struct published *s);

/** A reference to the current snapshot (never NULL); any thread. */
struct published *publisher_get(struct publisher *p);

/** Let go of @s, from publisher_get(); any thread. */
void publisher_put(struct publisher *p, struct published *s);

/** Free every snapshot: no reader may hold one any longer. */
void publisher_release(struct publisher *p);

#endif
