// SPDX-License-Identifier: MIT
/* A report, rendered and gzip-compressed once, when first asked for (prometheus_body_i.h). */
#include "common/prometheus_body_i.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/clock.h"
#include "common/prometheus_text.h"
#include "common/report_copy.h"

#define GZIP_LEVEL 1       /* Z_BEST_SPEED: a tenth of the text, in a few ms per MB */
/*
 * A 4 KB window and a small hash: 32 KB of state, not zlib's default 256 KB,
 * for the same size of body (the repeats in the text, a metric's name and
 * a VM's labels, lie within a few lines) and a little less CPU.
 */
#define GZIP_WINDOW_BITS 12
#define GZIP_MEM_LEVEL 5

/* Scrapes foreseen: how long past scrapes count, how late a foreseen one may come. */
#define SCRAPE_MEMORY_NS (600 * NSEC_PER_SEC)
#define SCRAPE_SLACK_NS (100 * NSEC_PER_MSEC) /* at most a quarter of a period */
#define SCRAPE_AHEAD_MAX 4 /* periods a foreseen scrape may lie past the latest of its scraper */
#define SCRAPE_JITTER_NS (50 * NSEC_PER_MSEC) /* how far from its period a scraper's scrape may come */

void snapshot_free(struct published *pub)
{
	struct snapshot *s = (struct snapshot *)pub;

	if (s) {
		pthread_mutex_destroy(&s->lock);
		free(s->report);
		free(s->gz);
		free(s);
	}
}

struct snapshot *snapshot_new(const struct report *r, unsigned long reports)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (r && !(s->report = report_copy(r))) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->reports = reports;
	return s;
}

/* A snapshot being compressed, fed by prometheus_render_to(). */
struct compressor {
	z_stream z;
	struct snapshot *s;
	size_t alloc;
};

/* Deflate @len bytes of @text (none to flush) into the snapshot's buffer. */
static int compress_more(struct compressor *c, const char *text, size_t len, int flush)
{
	c->z.next_in = (Bytef *)(uintptr_t)text;
	c->z.avail_in = (uInt)len;
	for (;;) {
		int zret;

		if (c->alloc - c->s->gz_len < 4096) {
			size_t alloc = c->alloc * 2;
			unsigned char *gz = realloc(c->s->gz, alloc);

			if (!gz)
				return -ENOMEM;
			c->s->gz = gz;
			c->alloc = alloc;
		}
		c->z.next_out = c->s->gz + c->s->gz_len;
		c->z.avail_out = (uInt)(c->alloc - c->s->gz_len);
		zret = deflate(&c->z, flush);
		c->s->gz_len = c->alloc - c->z.avail_out;
		if (zret != Z_OK && zret != Z_BUF_ERROR)
			return -EIO;
		/* done once the input is in and the flush had room to finish */
		if (!c->z.avail_in && c->z.avail_out)
			return 0;
	}
}

static int compress_sink(void *ctx, const char *text, size_t len)
{
	struct compressor *c = ctx;

	c->s->crc = (uint32_t)crc32(c->s->crc, (const Bytef *)text, (uInt)len);
	c->s->len += len;
	return compress_more(c, text, len, Z_NO_FLUSH);
}

/* Render and compress @s's report into its body. */
static int render(struct snapshot *s)
{
	static const unsigned char header[GZIP_HEADER_LEN] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	struct compressor c = { .s = s, .alloc = 64 * 1024 };
	unsigned char *gz;
	int ret;

	if (!(s->gz = malloc(c.alloc)))
		return -ENOMEM;
	s->crc = (uint32_t)crc32(0, NULL, 0);
	s->len = 0;
	memcpy(s->gz, header, sizeof(header));
	s->gz_len = sizeof(header);
	if (deflateInit2(&c.z, GZIP_LEVEL, Z_DEFLATED, -GZIP_WINDOW_BITS, GZIP_MEM_LEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = prometheus_render_to(s->report, s->reports, compress_sink, &c);
	if (ret == 0)
		ret = compress_more(&c, NULL, 0, Z_SYNC_FLUSH);
	deflateEnd(&c.z);
	if (ret < 0)
		goto fail;
	/* keep no slack: this is what the daemon holds between reports */
	if ((gz = realloc(s->gz, s->gz_len)))
		s->gz = gz;
	return 0;
fail:
	free(s->gz);
	s->gz = NULL;
	return ret < 0 ? ret : -ENOMEM;
}

int snapshot_render(struct snapshot *s)
{
	int ret = 0;

	if (__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&s->lock);
	if (!s->ready) {
		ret = render(s);
		if (ret == 0) {
			free(s->report);
			s->report = NULL;
			__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* Whether @t holds a time @gap before @b, give or take SCRAPE_JITTER_NS. */
static bool time_before(const uint64_t *t, size_t n, uint64_t b, uint64_t gap)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] && t[i] < b && (b - t[i] > gap ? b - t[i] - gap : gap - (b - t[i])) <= SCRAPE_JITTER_NS)
			return true;
	return false;
}

/*
 * A scraper's period is a gap between past scrapes that the gap before
 * them repeats (three scrapes evenly spaced, of at least half a report
 * period: scrapes of different reports). It foresees a scrape a period
 * after the latest of the three, and up to SCRAPE_AHEAD_MAX periods
 * after it (a scrape that failed). Scrapers keep their intervals
 * (Prometheus spaces a target's scrapes exactly), so a scraper is
 * foreseen from its third scrape on, whatever other scrapers there are;
 * scrapes at no steady interval are not, and render their reports when
 * they come.
 */
bool scrape_foreseen(const uint64_t *t, size_t n, uint64_t now, uint64_t period_ns)
{
	uint64_t slack = period_ns / 4 < SCRAPE_SLACK_NS ? period_ns / 4 : SCRAPE_SLACK_NS;
	uint64_t t_ok[SCRAPE_TIMES];
	size_t m = 0;

	for (size_t i = 0; i < n && m < SCRAPE_TIMES; i++)
		if (t[i] && t[i] <= now && now - t[i] <= SCRAPE_MEMORY_NS)
			t_ok[m++] = t[i];
	for (size_t a = 0; a < m; a++)
		for (size_t b = 0; b < m; b++) {
			uint64_t gap;

			if (t_ok[b] <= t_ok[a] || (gap = t_ok[b] - t_ok[a]) < period_ns / 2 ||
			    !time_before(t_ok, m, t_ok[a], gap))
				continue;
			for (uint64_t k = 1; k <= SCRAPE_AHEAD_MAX; k++) {
				uint64_t due = t_ok[b] + k * gap;

				if (due + slack < now)
					continue;
				if (due <= now + period_ns + slack)
					return true;
				break;
			}
		}
	return false;
}
