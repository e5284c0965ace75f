// SPDX-License-Identifier: MIT
/* Growing arrays, and the malloc arenas. */
#include "common/alloc.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

int alloc_grow(void **p, size_t size, size_t need, size_t *alloc)
{
	size_t n;
	void *q;

	if (need <= *alloc)
		return 0;
	n = (*alloc + 16) / 2 * 3;
	if (n < need)
		n = need;
	if (size && n > SIZE_MAX / size)
		return -ENOMEM;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*alloc = n;
	return 0;
}

void alloc_one_arena(void)
{
	mallopt(M_ARENA_MAX, 1);
}
