// SPDX-License-Identifier: MIT
/* Parsing of sysfs energy counters. */
#include "common/energy.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>

int energy_parse_uj(const char *buf, size_t len, uint64_t *value)
{
	size_t i = 0;
	uint64_t v = 0;
	bool digits = false;

	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		unsigned d = (unsigned)(buf[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		digits = true;
	}
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (!digits || i != len)
		return -EINVAL;
	*value = v;
	return 0;
}
