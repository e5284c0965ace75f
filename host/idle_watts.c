// SPDX-License-Identifier: MIT
/* The daemon's idle_watts setting: watts for every zone, or by zone name. */
#include "host/idle_watts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int idle_watts_lookup(const char *spec, const char *zone, double *watts, char *why, size_t whylen)
{
	char buf[512], *save = NULL;
	char *end;

	*watts = -1;
	if (!spec[0])
		return 0;
	*watts = strtod(spec, &end);
	if (end != spec && *end == '\0')
		return *watts >= 0 ? 0 : (snprintf(why, whylen, "idle_watts must not be negative"), -EINVAL);
	*watts = -1;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		double w;

		while (*item == ' ')
			item++;
		if (!eq || eq == item) {
			snprintf(why, whylen, "idle_watts: '%s' is not ZONE=WATTS", item);
			return -EINVAL;
		}
		*eq = '\0';
		w = strtod(eq + 1, &end);
		if (end == eq + 1 || *end != '\0' || w < 0) {
			snprintf(why, whylen, "idle_watts: '%s' is not a number of watts", eq + 1);
			return -EINVAL;
		}
		if (zone && !strcmp(item, zone))
			*watts = w;
	}
	return 0;
}
