/* SPDX-License-Identifier: MIT */
/* The Riemann exporter's events, built apart from any connection for its tests. */
#ifndef VPOWERCAP_EXPORTER_RIEMANN_I_H
#define VPOWERCAP_EXPORTER_RIEMANN_I_H

#include <riemann/riemann-client.h>

#include "common/report.h"

struct riemann_events_config {
	const char *host;        /* every event's host */
	const char *tags;        /* "a,b": besides "vpowercap" */
	const char *attributes;  /* "KEY=VALUE,..." */
	float ttl;               /* seconds */
};

/**
 * One event per series of @r (common/series.h): host, service "NAME" or
 * "NAME LABELVALUE..." (the labels' values in order, space-separated,
 * but for source="estimate", an attribute only),
 * metric_d the value, time (seconds and microseconds) the report's,
 * state "ok", ttl, tags "vpowercap" and @c's, attributes each label and
 * @c's. Series whose value is not finite are left out. Returns a message
 * the caller frees with riemann_message_free(), or NULL when out of memory.
 */
riemann_message_t *riemann_events_build(const struct report *r, const struct riemann_events_config *c);

/**
 * Split "HOST:PORT" or "[ADDR6]:PORT" @address into @host and *@port.
 * Returns 0 or -EINVAL.
 */
int riemann_parse_address(const char *address, char *host, size_t size, int *port);

#endif
