/* SPDX-License-Identifier: MIT */
/* The exporter backends, for the registry in exporter.c, and their helpers. */
#ifndef VPOWERCAP_EXPORTER_I_H
#define VPOWERCAP_EXPORTER_I_H

#include <stdio.h>
#include <sys/socket.h>

#include "common/exporter.h"

extern const struct exporter_ops stdout_exporter_ops;
extern const struct exporter_ops json_exporter_ops;
extern const struct exporter_ops prometheus_exporter_ops;
extern const struct exporter_ops push_exporter_ops;
extern const struct exporter_ops riemann_exporter_ops;
extern const struct exporter_ops warp10_exporter_ops;

/** Write @s as a JSON string, quoted and escaped. */
void json_write_string(FILE *out, const char *s);

/** Write @v as a JSON number with @decimals, or null when not finite. */
void json_write_number(FILE *out, double v, int decimals);

/**
 * Parse a listen address, "ADDR:PORT" or "[ADDR6]:PORT", into @ss and
 * *@sslen. Returns 0 or -EINVAL.
 */
int prometheus_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *sslen);

struct listen_address {
	struct sockaddr_storage ss;
	socklen_t len;
};

/**
 * The addresses to listen on for @text (at most @max, at least 2): an
 * address as prometheus_parse_listen() takes it, ":PORT" for every address
 * (0.0.0.0 and [::]), or "NAME:PORT" for each address of host name NAME.
 * Returns how many, -EINVAL for a bad syntax, or -ENOENT for a name that
 * does not resolve.
 */
int prometheus_resolve_listen(const char *text, struct listen_address *out, int max);

/** @ss as "ADDR:PORT" or "[ADDR6]:PORT" into @buf. */
void prometheus_format_address(const struct sockaddr_storage *ss, char *buf, size_t size);

#endif
