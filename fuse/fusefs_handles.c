// SPDX-License-Identifier: MIT
/* Open files' and directories' handles (fuse/fusefs_i.h). */
#include "fuse/fusefs_i.h"

#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/alloc.h"

/* ---- handles -------------------------------------------------------------- */

/* A handle for @p; 0 when out of memory (or handles). */
uint64_t handle_put(struct handles *h, void *p)
{
	uint32_t slot;
	void **chunk;

	pthread_mutex_lock(&h->lock);
	if (h->nfree) {
		slot = h->free[--h->nfree];
	} else if (h->nslots < (uint32_t)HANDLE_CHUNK * HANDLE_CHUNKS) {
		slot = h->nslots;
		if (!h->chunks[slot / HANDLE_CHUNK]) {
			chunk = calloc(HANDLE_CHUNK, sizeof(*chunk));
			if (!chunk) {
				pthread_mutex_unlock(&h->lock);
				return 0;
			}
			__atomic_store_n(&h->chunks[slot / HANDLE_CHUNK], chunk, __ATOMIC_RELEASE);
		}
		h->nslots++;
	} else {
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	__atomic_store_n(&h->chunks[slot / HANDLE_CHUNK][slot % HANDLE_CHUNK], p, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&h->lock);
	return h->instance << 32 | slot;
}

/* What handle @fh holds; NULL for a handle another server made. */
void *handle_get(struct handles *h, uint64_t fh)
{
	uint32_t slot = (uint32_t)fh;
	void **chunk;

	if (fh >> 32 != h->instance || slot >= (uint32_t)HANDLE_CHUNK * HANDLE_CHUNKS)
		return NULL;
	chunk = __atomic_load_n(&h->chunks[slot / HANDLE_CHUNK], __ATOMIC_ACQUIRE);
	return chunk ? __atomic_load_n(&chunk[slot % HANDLE_CHUNK], __ATOMIC_ACQUIRE) : NULL;
}

/* Give handle @fh back: what it held (NULL: another server's). */
void *handle_drop(struct handles *h, uint64_t fh)
{
	void *p = handle_get(h, fh);
	uint32_t slot = (uint32_t)fh;

	if (!p)
		return NULL;
	pthread_mutex_lock(&h->lock);
	if (ALLOC_GROW(h->free, h->nfree + 1, h->free_alloc) == 0) {
		__atomic_store_n(&h->chunks[slot / HANDLE_CHUNK][slot % HANDLE_CHUNK], NULL, __ATOMIC_RELEASE);
		h->free[h->nfree++] = slot;
	}
	pthread_mutex_unlock(&h->lock);
	return p;
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
	for (size_t c = 0; c < HANDLE_CHUNKS && h->chunks[c]; c++)
		free(h->chunks[c]);
	free(h->free);
	pthread_mutex_destroy(&h->lock);
}

