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

/** Where prometheus_render_to() sends the text: 0, or < 0 to stop. */
typedef int prometheus_sink(void *ctx, const char *text, size_t len);

/**
 * The same text, handed to @sink piece by piece (about 64 KiB each, in
 * order), so that the whole never needs to be in memory at once. Returns
 * 0, or -ENOMEM (a sink's failure included).
 */
int prometheus_render_to(const struct report *r, unsigned long reports, prometheus_sink *sink, void *ctx);

#endif
