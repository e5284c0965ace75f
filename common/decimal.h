/* SPDX-License-Identifier: MIT */
/*
 * Unsigned integers in decimal, written by hand where a tick or a save
 * writes thousands of them and printf's format handling costs more than
 * the rest (the counters file, the channel's frames, a process's path).
 */
#ifndef VPOWERCAP_DECIMAL_H
#define VPOWERCAP_DECIMAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The most digits a uint64_t takes. */
#define DECIMAL_U64_MAX 20

/** @v in decimal at @out (room for DECIMAL_U64_MAX bytes, no NUL written): how many digits. */
static inline size_t decimal_u64(char *out, uint64_t v)
{
	char digits[DECIMAL_U64_MAX], *d = digits + sizeof(digits);
	size_t n;

	do
		*--d = (char)('0' + v % 10);
	while (v /= 10);
	n = (size_t)(digits + sizeof(digits) - d);
	memcpy(out, d, n);
	return n;
}

#endif
