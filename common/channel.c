// SPDX-License-Identifier: MIT
/* The channel's frames (common/channel.h): encoding, checking, reading. */
#include "common/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/decimal.h"

static uint32_t fnv1a(const char *p, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

/* @s is 1 to @max - 1 letters, digits or bytes of @extra. */
static bool word_valid(const char *s, const char *extra, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!(s[n] >= 'a' && s[n] <= 'z') && !(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= '0' && s[n] <= '9') && !strchr(extra, s[n]))
			return false;
	return n >= 1 && n < max;
}

bool channel_host_valid(const char *s)
{
	return word_valid(s, "._:-", CHANNEL_HOST_MAX);
}

static bool name_valid(const char *s)
{
	return word_valid(s, "._-", CHANNEL_ZONE_NAME_MAX);
}

bool channel_zone_id_valid(const char *id)
{
	const char *p = id;
	int numbers = 0;

	if (!(*p >= 'a' && *p <= 'z'))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')
		p++;
	while (*p == ':') {
		const char *start = ++p;

		while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
			p++;
		if (p == start || p - start > 8)
			return false;
		numbers++;
	}
	return !*p && numbers >= 1 && numbers <= 3 && p - id < (ptrdiff_t)CHANNEL_ID_MAX;
}

bool channel_zone_parent(const char *id, char *parent, size_t size)
{
	const char *first = strchr(id, ':'), *last = strrchr(id, ':');
	size_t len;

	if (!first || first == last)
		return false;
	len = (size_t)(last - id);
	if (len >= size)
		return false;
	memcpy(parent, id, len);
	parent[len] = '\0';
	return true;
}

/* The frame's zones are sound: valid, unique, parents first, and with @counters in range. */
static bool zones_valid(const struct channel_frame *f, bool counters, char *why, size_t whylen)
{
	for (size_t i = 0; i < f->nzones; i++) {
		const struct channel_zone *z = &f->zones[i];
		char parent[CHANNEL_ID_MAX];
		bool found = false;

		if (!channel_zone_id_valid(z->id) || !name_valid(z->name)) {
			snprintf(why, whylen, "zone %zu: a bad id or name", i + 1);
			return false;
		}
		if (counters && z->max_energy_range_uj && z->energy_uj > z->max_energy_range_uj) {
			snprintf(why, whylen, "zone '%s': energy beyond its range", z->id);
			return false;
		}
		for (size_t k = 0; k < i; k++) {
			if (!strcmp(f->zones[k].id, z->id)) {
				snprintf(why, whylen, "zone '%s' twice", z->id);
				return false;
			}
		}
		if (!channel_zone_parent(z->id, parent, sizeof(parent)))
			continue;
		for (size_t k = 0; k < i && !found; k++)
			found = !strcmp(f->zones[k].id, parent);
		if (!found) {
			snprintf(why, whylen, "zone '%s' before its parent", z->id);
			return false;
		}
	}
	return true;
}

int channel_encoder_init(struct channel_encoder *e, const struct channel_frame *f)
{
	char why[80];
	int n;

	if (!channel_host_valid(f->host) || f->nzones > CHANNEL_ZONES_MAX || !zones_valid(f, false, why, sizeof(why)))
		return -EINVAL;
	n = snprintf(e->head, sizeof(e->head), "host %s\nepoch %" PRIu64 "\ntime ", f->host, f->epoch);
	if (n < 0 || (size_t)n >= sizeof(e->head))
		return -ENOSPC;
	e->head_len = (size_t)n;
	e->nzones = f->nzones;
	for (size_t i = 0; i < f->nzones; i++) {
		const struct channel_zone *z = &f->zones[i];

		/* ids and names are checked short enough for the prefix */
		n = snprintf(e->zones[i].prefix, sizeof(e->zones[i].prefix), "zone %s %s %" PRIu64 " ", z->id,
			     z->name, z->max_energy_range_uj);
		if (n < 0 || (size_t)n >= sizeof(e->zones[i].prefix))
			return -ENOSPC;
		e->zones[i].len = (size_t)n;
		e->zones[i].max_energy_range_uj = z->max_energy_range_uj;
	}
	return 0;
}

int channel_encoder_frame(const struct channel_encoder *e, uint64_t time_ms, const uint64_t *energy_uj, char *buf,
			  size_t size)
{
	static const char hex[] = "0123456789abcdef";
	char payload[CHANNEL_PAYLOAD_MAX];
	size_t len = e->head_len, n;
	uint32_t check;

	/* the head and a number fit: the head was made to fit with room to spare */
	memcpy(payload, e->head, len);
	if (len + 22 > sizeof(payload))
		return -ENOSPC;
	len += decimal_u64(payload + len, time_ms);
	payload[len++] = '\n';
	for (size_t i = 0; i < e->nzones; i++) {
		if (e->zones[i].max_energy_range_uj && energy_uj[i] > e->zones[i].max_energy_range_uj)
			return -EINVAL;
		if (len + e->zones[i].len + 22 > sizeof(payload))
			return -ENOSPC;
		memcpy(payload + len, e->zones[i].prefix, e->zones[i].len);
		len += e->zones[i].len;
		len += decimal_u64(payload + len, energy_uj[i]);
		payload[len++] = '\n';
	}
	/* "VPC1 LENGTH CHECK\n" */
	if (size < CHANNEL_HEADER_MAX || len > size - CHANNEL_HEADER_MAX)
		return -ENOSPC;
	memcpy(buf, CHANNEL_MAGIC, strlen(CHANNEL_MAGIC));
	n = strlen(CHANNEL_MAGIC);
	n += decimal_u64(buf + n, len);
	buf[n++] = ' ';
	check = fnv1a(payload, len);
	for (int shift = 28; shift >= 0; shift -= 4)
		buf[n++] = hex[(check >> shift) & 0xf];
	buf[n++] = '\n';
	memcpy(buf + n, payload, len);
	return (int)(n + len);
}

int channel_encode(const struct channel_frame *f, char *buf, size_t size)
{
	struct channel_encoder e;
	uint64_t energy[CHANNEL_ZONES_MAX];
	char why[80];
	int ret;

	if (f->nzones > CHANNEL_ZONES_MAX || !zones_valid(f, true, why, sizeof(why)))
		return -EINVAL;
	ret = channel_encoder_init(&e, f);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < f->nzones; i++)
		energy[i] = f->zones[i].energy_uj;
	return channel_encoder_frame(&e, f->time_ms, energy, buf, size);
}

/* A decimal number that fills [p, end): 0, or -EINVAL */
static int parse_u64(const char *p, const char *end, uint64_t *v)
{
	uint64_t x = 0;

	if (p == end || end - p > 20 || (*p == '0' && end - p > 1))
		return -EINVAL;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	return 0;
}

/* Split [p, end) at single spaces into at most @max words. */
static size_t split_words(const char *p, const char *end, const char **w, const char **we, size_t max)
{
	size_t n = 0;

	while (p < end) {
		const char *s = memchr(p, ' ', (size_t)(end - p));

		if (!s)
			s = end;
		if (n == max)
			return max + 1;
		w[n] = p;
		we[n++] = s;
		if (s == end)
			break;
		p = s + 1;
		if (p == end)  /* a trailing space */
			return max + 1;
	}
	return n;
}

static bool copy_word(char *dst, size_t size, const char *p, const char *end)
{
	size_t len = (size_t)(end - p);

	if (!len || len >= size || memchr(p, '\0', len))
		return false;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return true;
}

static int refuse(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int channel_parse(const char *payload, size_t len, struct channel_frame *f, char *why, size_t whylen)
{
	const char *p = payload, *end = payload + len;
	bool have_host = false, have_epoch = false, have_time = false;
	unsigned line = 0;

	memset(f, 0, sizeof(*f));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *w[6], *we[6];
		size_t n;

		line++;
		if (!nl)
			return refuse(why, whylen, "line %u: no end of line", line);
		n = split_words(p, nl, w, we, 5);
		if (n >= 2 && we[0] - w[0] == 4 && !memcmp(w[0], "host", 4)) {
			if (n != 2 || have_host || !copy_word(f->host, sizeof(f->host), w[1], we[1]) ||
			    !channel_host_valid(f->host))
				return refuse(why, whylen, "line %u: a bad host", line);
			have_host = true;
		} else if (n >= 2 && we[0] - w[0] == 5 && !memcmp(w[0], "epoch", 5)) {
			if (n != 2 || have_epoch || parse_u64(w[1], we[1], &f->epoch) < 0)
				return refuse(why, whylen, "line %u: a bad epoch", line);
			have_epoch = true;
		} else if (n >= 2 && we[0] - w[0] == 4 && !memcmp(w[0], "time", 4)) {
			if (n != 2 || have_time || parse_u64(w[1], we[1], &f->time_ms) < 0)
				return refuse(why, whylen, "line %u: a bad time", line);
			have_time = true;
		} else if (n >= 1 && we[0] - w[0] == 4 && !memcmp(w[0], "zone", 4)) {
			struct channel_zone *z;

			if (f->nzones == CHANNEL_ZONES_MAX)
				return refuse(why, whylen, "line %u: more than %u zones", line, CHANNEL_ZONES_MAX);
			z = &f->zones[f->nzones];
			if (n != 5 || !copy_word(z->id, sizeof(z->id), w[1], we[1]) ||
			    !copy_word(z->name, sizeof(z->name), w[2], we[2]) ||
			    parse_u64(w[3], we[3], &z->max_energy_range_uj) < 0 ||
			    parse_u64(w[4], we[4], &z->energy_uj) < 0)
				return refuse(why, whylen, "line %u: a bad zone", line);
			f->nzones++;
		} else {
			return refuse(why, whylen, "line %u: not a host, epoch, time or zone line", line);
		}
		p = nl + 1;
	}
	if (!have_host || !have_epoch || !have_time)
		return refuse(why, whylen, "no %s line", !have_host ? "host" : !have_epoch ? "epoch" : "time");
	if (!zones_valid(f, true, why, whylen))
		return -EINVAL;
	return 0;
}

/* Drop the first @n bytes of what the reader holds. */
static void reader_drop(struct channel_reader *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

/* Skip to the next possible header: past a 'V' at 0, up to the next 'V'. */
static void reader_resync(struct channel_reader *r, size_t from)
{
	const char *v = from < r->len ? memchr(r->buf + from, 'V', r->len - from) : NULL;
	size_t n = v ? (size_t)(v - r->buf) : r->len;

	r->skipped += n;
	reader_drop(r, n);
}

int channel_reader_next(struct channel_reader *r, struct channel_frame *f, char *why, size_t whylen)
{
	const size_t magic = sizeof(CHANNEL_MAGIC) - 1;

	for (;;) {
		const char *nl, *w[3], *we[3];
		uint64_t length, check;
		size_t head, n;
		int ret;

		if (r->len && r->buf[0] != 'V')
			reader_resync(r, 0);
		if (r->len < magic)
			return 0;
		if (memcmp(r->buf, CHANNEL_MAGIC, magic)) {
			reader_resync(r, 1);
			continue;
		}
		nl = memchr(r->buf, '\n', r->len < CHANNEL_HEADER_MAX ? r->len : CHANNEL_HEADER_MAX);
		if (!nl) {
			if (r->len < CHANNEL_HEADER_MAX)
				return 0;
			r->refused++;
			reader_resync(r, 1);
			snprintf(why, whylen, "a header with no end of line");
			return -EPROTO;
		}
		head = (size_t)(nl - r->buf) + 1;
		n = split_words(r->buf + magic, nl, w, we, 2);
		check = 0;
		if (n != 2 || parse_u64(w[0], we[0], &length) < 0 || length > CHANNEL_PAYLOAD_MAX ||
		    we[1] - w[1] != 8) {
			r->refused++;
			reader_resync(r, 1);
			snprintf(why, whylen, "a bad header");
			return -EPROTO;
		}
		for (const char *c = w[1]; c < we[1]; c++) {
			int d = *c >= '0' && *c <= '9' ? *c - '0' : *c >= 'a' && *c <= 'f' ? *c - 'a' + 10 : -1;

			if (d < 0) {
				r->refused++;
				reader_resync(r, 1);
				snprintf(why, whylen, "a bad header");
				return -EPROTO;
			}
			check = check << 4 | (uint64_t)d;
		}
		/*
		 * No payload holds a line starting "VPC1 ": one there is the next
		 * frame, and this one was cut short (or its length damaged), so
		 * waiting for the rest would hold the next frames back.
		 */
		size_t seen = r->len < head + length ? r->len : head + length;
		const char *next = memmem(r->buf + head - 1, seen - (head - 1), "\n" CHANNEL_MAGIC, magic + 1);

		if (next && (size_t)(next + 1 - r->buf) < head + length) {
			r->refused++;
			reader_resync(r, (size_t)(next + 1 - r->buf));
			snprintf(why, whylen, "a frame cut short");
			return -EPROTO;
		}
		if (r->len < head + length)
			return 0;
		if (fnv1a(r->buf + head, length) != check) {
			/* cut, or not a frame: look for a header inside it */
			r->refused++;
			reader_resync(r, 1);
			snprintf(why, whylen, "a frame whose hash does not match (cut or damaged)");
			return -EPROTO;
		}
		ret = channel_parse(r->buf + head, length, f, why, whylen);
		reader_drop(r, head + length);
		if (ret < 0) {
			r->refused++;
			return -EPROTO;
		}
		r->frames++;
		return 1;
	}
}

int channel_source_save(const char *dir, const char *host, uint64_t epoch)
{
	char path[4096], tmp[4096 + 8], text[CHANNEL_HOST_MAX + 48];
	int fd, n, ret = 0;

	if (!channel_host_valid(host))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/" CHANNEL_SOURCE_FILE, dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	n = snprintf(text, sizeof(text), "host %s\nepoch %" PRIu64 "\n", host, epoch);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n || fsync(fd) < 0)
		ret = errno ? -errno : -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int channel_source_load(const char *dir, char *host, uint64_t *epoch)
{
	char path[4096], text[CHANNEL_HOST_MAX + 48], why[80];
	struct channel_frame f;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/" CHANNEL_SOURCE_FILE, dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EINVAL;
	n = read(fd, text, sizeof(text) - 16);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	/* the same lines as a frame's, with a time to make one */
	memcpy(text + n, "time 0\n", 7);
	if (channel_parse(text, (size_t)n + 7, &f, why, sizeof(why)) < 0 || f.nzones)
		return -EINVAL;
	memcpy(host, f.host, CHANNEL_HOST_MAX);
	*epoch = f.epoch;
	return 0;
}
