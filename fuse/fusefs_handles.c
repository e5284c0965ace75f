// SPDX-License-Identifier: MIT
/* Open files' and directories' handles (fuse/fusefs_i.h). */
#include "fuse/fusefs_i.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/alloc.h"

/* ---- handles -------------------------------------------------------------- */

#define SLOT_MASK ((1u << HANDLE_SLOT_BITS) - 1)
#define GEN_MASK ((1u << HANDLE_GEN_BITS) - 1)

uint64_t handle_put(struct handles *h, void *p, void (*release)(void *p))
{
	struct handle_slot *e;
	uint32_t slot;

	pthread_mutex_lock(&h->lock);
	if (h->nfree) {
		slot = h->free[--h->nfree];
	} else if (h->nslots < (uint32_t)HANDLE_CHUNK * HANDLE_CHUNKS) {
		slot = h->nslots;
		if (!h->chunks[slot / HANDLE_CHUNK]) {
			h->chunks[slot / HANDLE_CHUNK] = calloc(HANDLE_CHUNK, sizeof(struct handle_slot));
			if (!h->chunks[slot / HANDLE_CHUNK]) {
				pthread_mutex_unlock(&h->lock);
				return 0;
			}
		}
		h->nslots++;
	} else {
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	e = &h->chunks[slot / HANDLE_CHUNK][slot % HANDLE_CHUNK];
	e->p = p;
	e->release = release;
	e->gen = (e->gen + 1) & GEN_MASK;
	e->refs = 1;
	e->dropped = false;
	pthread_mutex_unlock(&h->lock);
	return h->instance << 32 | (uint64_t)e->gen << HANDLE_SLOT_BITS | slot;
}

/* The slot of handle @fh while it holds state (h->lock held); NULL for another's, or a stale one. */
static struct handle_slot *slot_of(struct handles *h, uint64_t fh)
{
	uint32_t slot = (uint32_t)fh & SLOT_MASK, gen = (uint32_t)(fh >> HANDLE_SLOT_BITS) & GEN_MASK;
	struct handle_slot *e;

	if (fh >> 32 != h->instance || slot >= h->nslots)
		return NULL;
	e = &h->chunks[slot / HANDLE_CHUNK][slot % HANDLE_CHUNK];
	return e->p && e->gen == gen ? e : NULL;
}

void *handle_get(struct handles *h, uint64_t fh)
{
	struct handle_slot *e;
	void *p = NULL;

	pthread_mutex_lock(&h->lock);
	e = slot_of(h, fh);
	if (e && !e->dropped) {
		e->refs++;
		p = e->p;
	}
	pthread_mutex_unlock(&h->lock);
	return p;
}

/* Give a reference of @fh's back (@drop: the open's own); its state is freed with the last. */
static void unref(struct handles *h, uint64_t fh, bool drop)
{
	struct handle_slot *e;
	void (*release)(void *p) = NULL;
	void *p = NULL;

	pthread_mutex_lock(&h->lock);
	e = slot_of(h, fh);
	if (e && (drop ? !e->dropped : e->refs > 0)) {
		e->dropped |= drop;
		if (--e->refs == 0) {
			if (ALLOC_GROW(h->free, h->nfree + 1, h->free_alloc) == 0)
				h->free[h->nfree++] = (uint32_t)fh & SLOT_MASK;
			p = e->p;
			release = e->release;
			e->p = NULL;
		}
	}
	pthread_mutex_unlock(&h->lock);
	if (release)
		release(p);
}

void handle_unget(struct handles *h, uint64_t fh)
{
	unref(h, fh, false);
}

void handle_drop(struct handles *h, uint64_t fh)
{
	unref(h, fh, true);
}

void handles_init(struct handles *h)
{
	uint32_t r = 0;

	pthread_mutex_init(&h->lock, NULL);
	while (!r && getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint32_t)(time(NULL) ^ (getpid() << 16));
	h->instance = r ? r : 1;
}

void handles_release(struct handles *h)
{
	/* the states of files still open (no worker runs now) */
	for (uint32_t slot = 0; slot < h->nslots; slot++) {
		struct handle_slot *e = &h->chunks[slot / HANDLE_CHUNK][slot % HANDLE_CHUNK];

		if (e->p)
			e->release(e->p);
	}
	for (size_t c = 0; c < HANDLE_CHUNKS && h->chunks[c]; c++)
		free(h->chunks[c]);
	free(h->free);
	pthread_mutex_destroy(&h->lock);
}

