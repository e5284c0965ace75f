/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format: a report rendered as the
 * exporter serves it. Pure, so that it is tested (and could be served)
 * apart from any server.
 */
#ifndef VPOWERCAP_PROMETHEUS_TEXT_H
#define VPOWERCAP_PROMETHEUS_TEXT_H

#include <stddef.h>

#include "common/report.h"

/**
 * Render @r in the Prometheus text exposition format (version 0.0.4),
 * with @reports the number of reports so far, this one included. The text
 * goes to a fresh malloc'd, NUL-terminated *@text of *@len bytes, which
 * the caller frees. Returns 0 or -ENOMEM.
 */
int prometheus_render(const struct report *r, unsigned long reports, char **text, size_t *len);

#endif
