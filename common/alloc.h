/* SPDX-License-Identifier: MIT */
/* Growing arrays, as git's ALLOC_GROW: one helper for every doubling realloc. */
#ifndef VPOWERCAP_ALLOC_H
#define VPOWERCAP_ALLOC_H

#include <stddef.h>

/**
 * Make the array *@p, of @alloc elements of @size bytes, hold at least
 * @need: grown by half again (at least to @need), *@p and *@alloc updated.
 * Returns 0, or -ENOMEM with *@p and *@alloc as they were. New elements
 * are not initialised.
 */
int alloc_grow(void **p, size_t size, size_t need, size_t *alloc);

/** ALLOC_GROW(array, need, alloc): alloc_grow() on a typed array. */
#define ALLOC_GROW(p, need, alloc) alloc_grow((void **)&(p), sizeof(*(p)), (need), &(alloc))

#endif
