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

/**
 * One malloc arena for every thread of this process, called first thing in
 * main(). Our threads allocate little and seldom at once; an arena each
 * would keep what each freed (a compressor's state, a scrape's buffers)
 * apart and resident: 0.7 MB a thread under load.
 */
void alloc_one_arena(void);

#endif
