/* SPDX-License-Identifier: MIT */
/*
 * Wrap-safe deltas of RAPL energy counters, for the powercap reader and the
 * guest's channel tree (guest/channel_tree.c). A
 * counter runs from 0 up to max_energy_range_uj and then starts again at 0,
 * like the hardware register behind it; deltas are taken modulo that range
 * into 64-bit accumulators.
 */
#ifndef VPOWERCAP_ENERGY_H
#define VPOWERCAP_ENERGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Energy spent between two readings @prev and @cur of a counter that wraps
 * to 0 after @max_uj - 1 (the convention the daemon serves; a kernel
 * counter that reaches @max_uj itself is off by at most 1 µJ per wrap).
 * Returns false, leaving *@delta alone, when no delta can be trusted: a
 * reading beyond the range, or a decrease with no range to correct it by.
 */
static inline bool energy_delta(uint64_t prev, uint64_t cur, uint64_t max_uj, uint64_t *delta)
{
	if (max_uj && (cur > max_uj || prev > max_uj))
		return false;
	if (cur >= prev) {
		*delta = cur - prev;
		return true;
	}
	if (!max_uj)
		return false;
	*delta = max_uj - prev + cur;
	return true;
}

/**
 * Parse a sysfs decimal counter ("123\n"). Leading and trailing white space
 * is allowed, anything else (empty, signs, garbage, overflow) is refused.
 * Returns 0 or -EINVAL.
 */
int energy_parse_uj(const char *buf, size_t len, uint64_t *value);

#endif
