/* SPDX-License-Identifier: MIT */
/*
 * Unsigned integers in decimal, written by hand where a tick or a save
 * writes thousands of them and printf's format handling costs more than
 * the rest (the counters file, the channel's frames, a process's path);
 * and process ids read the same way, where a tick lists /proc and
 * strtol's locale and base handling cost more than the listing.
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

/**
 * The process id spelled by the digits at @s, as the kernel writes one:
 * no sign, no space, no leading zero, 1 to INT32_MAX. Returns it, or 0 for
 * anything else; *@end is set past the digits read (the caller says what
 * may follow them).
 */
static inline int32_t decimal_pid(const char *s, const char **end)
{
	const char *p = s;
	uint64_t v = 0;

	if (*p < '1' || *p > '9') {
		*end = s;
		return 0;
	}
	while (*p >= '0' && *p <= '9' && v <= INT32_MAX)
		v = v * 10 + (uint64_t)(*p++ - '0');
	*end = p;
	return v <= INT32_MAX ? (int32_t)v : 0;
}

#endif
