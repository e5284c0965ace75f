/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus exporter's published body (common/exporter_prometheus.c
 * serves it): a report rendered and gzip-compressed once.
 */
#ifndef VPOWERCAP_PROMETHEUS_BODY_I_H
#define VPOWERCAP_PROMETHEUS_BODY_I_H

#include <stddef.h>
#include <stdint.h>

#include "common/publish.h"
#include "common/report.h"

/*
 * One rendered report, published with the snapshot publisher
 * (common/publish.h): scrapes and ticks share no lock, so an HTTP thread
 * (which runs at a lower priority) can never hold up a tick by being
 * preempted while holding one.
 *
 * A report is rendered and compressed once, as it is published, and only
 * the compressed text is kept: a gzip member's header and the body as raw
 * deflate, flushed to a byte boundary but not finished. A scrape that
 * accepts gzip (Prometheus does) gets it as it is, then its own tail (the
 * scrape counter) as a final stored block, and the member's trailer (the
 * CRC-32 and length of body and tail); any other scrape gets the body
 * inflated as it is sent. No scrape renders, none compresses, and the
 * daemon holds about a tenth of the text.
 */
struct snapshot {
	struct published pub;
	unsigned char *gz;     /* gzip header + raw deflate of the body, sync-flushed */
	size_t gz_len;
	size_t len;            /* the body's length, uncompressed */
	uint32_t crc;          /* the body's CRC-32 */
};

#define GZIP_HEADER_LEN 10

/** Render @r (NULL: none yet) and compress it into a new snapshot; NULL when out of memory. */
struct snapshot *snapshot_render(const struct report *r, unsigned long reports);

/** The publisher's free function for a snapshot. */
void snapshot_free(struct published *pub);

#endif
