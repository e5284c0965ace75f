/* SPDX-License-Identifier: MIT */
/*
 * The daemon's idle_watts setting (split policy): one number of watts for
 * every zone, or a list of ZONE=WATTS by zone name.
 */
#ifndef VPOWERCAP_IDLE_WATTS_H
#define VPOWERCAP_IDLE_WATTS_H

#include <stddef.h>

/**
 * Parse idle_watts @spec: "" (learned), "20" for every zone, or
 * "package-0=20,dram=4". Returns 0 or -EINVAL with the reason in @why.
 * With @zone, *@watts receives that zone's value (-1 when it has none);
 * with NULL, @spec is only checked.
 */
int idle_watts_lookup(const char *spec, const char *zone, double *watts, char *why, size_t whylen);

#endif
