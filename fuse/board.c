// SPDX-License-Identifier: MIT
#include "fuse/board.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOARD_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static size_t board_size(size_t nzones, size_t nvms)
{
	return sizeof(struct board_header) + nzones * nvms * sizeof(uint64_t);
}

/* @b holds mapping @map of a board of @nzones zones and @nvms VMs. */
static void board_hold(struct board *b, void *map, size_t nzones, size_t nvms, unsigned long refs)
{
	b->h = map;
	b->size = board_size(nzones, nvms);
	b->nzones = nzones;
	b->nvms = nvms;
	b->refs = refs;
}

int board_create(struct board *b, int *fd, uint64_t shape, size_t nzones, size_t nvms)
{
	size_t size = board_size(nzones, nvms);
	void *map;
	int ret;

	*fd = memfd_create("vpowercap-board", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*fd < 0)
		return -errno;
	if (ftruncate(*fd, (off_t)size) < 0 || fcntl(*fd, F_ADD_SEALS, BOARD_SEALS) < 0)
		goto fail;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (map == MAP_FAILED)
		goto fail;
	board_hold(b, map, nzones, nvms, 0);
	b->h->shape = shape;
	b->h->nzones = nzones;
	b->h->nvms = nvms;
	__atomic_store_n(&b->h->magic, BOARD_MAGIC, __ATOMIC_RELEASE);
	return 0;
fail:
	ret = -errno;
	close(*fd);
	*fd = -1;
	return ret;
}

struct board *board_map(int fd, uint64_t shape, size_t nzones, size_t nvms, char *why, size_t whylen)
{
	size_t size = board_size(nzones, nvms);
	struct board *b = NULL;
	struct stat st;
	int seals;
	void *map;

	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) != (F_SEAL_SHRINK | F_SEAL_SEAL)) {
		snprintf(why, whylen, "its board is not a sealed memfd (it could shrink under the server)");
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < size) {
		snprintf(why, whylen, "its board is smaller than %zu VMs of %zu zones", nvms, nzones);
		return NULL;
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(why, whylen, "cannot map its board: %s", strerror(errno));
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		munmap(map, size);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	board_hold(b, map, nzones, nvms, 1);
	if (__atomic_load_n(&b->h->magic, __ATOMIC_ACQUIRE) != BOARD_MAGIC || b->h->shape != shape ||
	    b->h->nzones != nzones || b->h->nvms != nvms) {
		snprintf(why, whylen, "its board is not of the shape it names");
		board_put(b);
		return NULL;
	}
	return b;
}

void board_put(struct board *b)
{
	if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL))
		return;
	munmap(b->h, b->size);
	free(b);
}

void board_unmap(struct board *b)
{
	if (b->h)
		munmap(b->h, b->size);
	b->h = NULL;
	b->size = 0;
}
