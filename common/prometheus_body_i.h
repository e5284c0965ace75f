/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus exporter's published body (common/exporter_prometheus.c
 * serves it): a report, rendered and gzip-compressed when first asked for.
 */
#ifndef VPOWERCAP_PROMETHEUS_BODY_I_H
#define VPOWERCAP_PROMETHEUS_BODY_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/publish.h"
#include "common/report.h"

/*
 * One report, published with the snapshot publisher (common/publish.h):
 * scrapes and ticks share no lock, so an HTTP thread (which runs at a
 * lower priority) can never hold up a tick by being preempted while
 * holding one.
 *
 * A report is published as a copy (common/report_copy.h) and rendered at
 * most once: by the first scrape that asks for it, or by the tick that
 * publishes it when a scrape is due before the next report (the exporter
 * predicts scrapes from their past times). Reports no scrape asks for are
 * never rendered. Rendering compresses as it goes, and only the
 * compressed text is kept: a gzip member's header and the body as raw
 * deflate, flushed to a byte boundary but not finished. A scrape that
 * accepts gzip (Prometheus does) gets it as it is, then its own tail (the
 * scrape counter) as a final stored block, and the member's trailer (the
 * CRC-32 and length of body and tail); any other scrape gets the body
 * inflated as it is sent.
 *
 * Once published, a snapshot changes once: its body is made under @lock
 * and @ready set after it; the report copy is then freed. Readers read
 * the body only after seeing @ready (acquire).
 */
struct snapshot {
	struct published pub;
	pthread_mutex_t lock;  /* scrapes: who renders, the others wait */
	int ready;             /* atomic: the body below is made */
	int served;            /* atomic: some scrape took it */
	struct report *report; /* the copy, until rendered */
	unsigned long reports;
	unsigned char *gz;     /* gzip header + raw deflate of the body, sync-flushed */
	size_t gz_len;
	size_t len;            /* the body's length, uncompressed */
	uint32_t crc;          /* the body's CRC-32 */
};

#define GZIP_HEADER_LEN 10

/** A snapshot of @r (NULL: none yet) and its count, not rendered; NULL when out of memory. */
struct snapshot *snapshot_new(const struct report *r, unsigned long reports);

/**
 * Make @s's body, once: 0 when it is made (now or before), -ENOMEM. Any
 * thread; the tick's before it publishes @s, then scrapes.
 */
int snapshot_render(struct snapshot *s);

#define SCRAPE_TIMES 16  /* the latest reports' first scrapes kept, to foresee the next */

/**
 * Whether the first scrapes of past reports, at the monotonic times in
 * @t (0: none; @n of them, at most SCRAPE_TIMES, in any order), foresee a scrape between @now
 * and @period_ns (the reports' period) later.
 */
bool scrape_foreseen(const uint64_t *t, size_t n, uint64_t now, uint64_t period_ns);

/** The publisher's free function for a snapshot. */
void snapshot_free(struct published *pub);

#endif
