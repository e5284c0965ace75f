/* SPDX-License-Identifier: MIT */
/*
 * A network exporter's outbox: a bounded queue of rendered steps and the
 * thread that sends them, so that a server down or slow costs queued
 * steps (the oldest dropped, and counted), never a late tick, never
 * unbounded memory.
 */
#ifndef VPOWERCAP_OUTBOX_H
#define VPOWERCAP_OUTBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/log.h"

/* Waits after a failed send: doubled from the first to the last. */
#define OUTBOX_BACKOFF_FIRST_S 0.25
#define OUTBOX_BACKOFF_MAX_S 10.0

struct outbox_item {
	char *data;        /* malloc'd; the outbox frees it */
	size_t len;
};

/*
 * Sends one item from the outbox's thread: 0 when the server took it,
 * else -errno with the reason in @why (the item is kept, first in line,
 * and tried again after a wait that doubles each failure).
 */
typedef int (*outbox_send_fn)(void *arg, const struct outbox_item *item, char *why, size_t whylen);

struct outbox {
	const char *name;          /* the exporter's, for the log */
	outbox_send_fn send;
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct outbox_item *items; /* a ring of capacity items */
	size_t capacity, head, count;
	unsigned long dropped, sent; /* read with outbox_counts() */
	bool stopping, started;
	pthread_t thread;
	struct complaint down;     /* the server refuses or is away */
};

/**
 * Set up @o for @capacity items (at least 1), sent by @send(@arg, item).
 * Starts no thread. Returns 0 or -ENOMEM.
 */
int outbox_init(struct outbox *o, const char *name, size_t capacity, outbox_send_fn send, void *arg);

/** Start the sending thread, with every signal blocked. Returns 0 or -errno. */
int outbox_start(struct outbox *o);

/**
 * Queue @data (@len bytes, malloc'd; the outbox owns it from now) behind
 * the others; when the queue is full its oldest item is dropped and
 * counted. Never blocks for longer than a pop takes.
 */
void outbox_put(struct outbox *o, char *data, size_t len);

/**
 * Take the oldest item into *@item (the caller owns its data). Returns
 * false when the queue is empty. The sending thread's; tests call it.
 */
bool outbox_take(struct outbox *o, struct outbox_item *item);

/** Steps dropped and sent so far. */
void outbox_counts(struct outbox *o, unsigned long *dropped, unsigned long *sent);

/**
 * Stop the thread: what is queued is sent first while the server takes it
 * (a failure ends that), then everything is freed. NULL-safe on a zeroed
 * outbox.
 */
void outbox_release(struct outbox *o);

#endif
