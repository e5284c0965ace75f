// SPDX-License-Identifier: MIT
/* A report rendered and gzip-compressed once, for every scrape (prometheus_body_i.h). */
#include "common/prometheus_body_i.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/prometheus_text.h"

#define GZIP_LEVEL 1       /* Z_BEST_SPEED: a tenth of the text, in a few ms per MB */

void snapshot_free(struct published *pub)
{
	struct snapshot *s = (struct snapshot *)pub;

	if (s) {
		free(s->gz);
		free(s);
	}
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

struct snapshot *snapshot_render(const struct report *r, unsigned long reports)
{
	static const unsigned char header[GZIP_HEADER_LEN] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	struct compressor c = { .alloc = 64 * 1024 };
	int ret;

	c.s = calloc(1, sizeof(*c.s));
	if (!c.s || !(c.s->gz = malloc(c.alloc))) {
		free(c.s);
		return NULL;
	}
	c.s->crc = (uint32_t)crc32(0, NULL, 0);
	memcpy(c.s->gz, header, sizeof(header));
	c.s->gz_len = sizeof(header);
	if (deflateInit2(&c.z, GZIP_LEVEL, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		snapshot_free(&c.s->pub);
		return NULL;
	}
	ret = prometheus_render_to(r, reports, compress_sink, &c);
	if (ret == 0)
		ret = compress_more(&c, NULL, 0, Z_SYNC_FLUSH);
	deflateEnd(&c.z);
	if (ret < 0) {
		snapshot_free(&c.s->pub);
		return NULL;
	}
	/* keep no slack: this is what the daemon holds between reports */
	{
		unsigned char *gz = realloc(c.s->gz, c.s->gz_len);

		if (gz)
			c.s->gz = gz;
	}
	return c.s;
}
