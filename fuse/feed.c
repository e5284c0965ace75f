// SPDX-License-Identifier: MIT
/* The feed between the daemon and the tree server: framing and snapshots. */
#include "fuse/feed.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/alloc.h"

static struct feed_header header_of(enum feed_type type, size_t len)
{
	return (struct feed_header){
		.magic = FEED_MAGIC,
		.version = FEED_VERSION,
		.type = (uint16_t)type,
		.length = (uint32_t)len,
	};
}

/* ---- the shape's hash: 64-bit words mixed as MurmurHash3's are ---------- */

static uint64_t rotl(uint64_t v, int r)
{
	return (v << r) | (v >> (64 - r));
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	v *= 0x87c37b91114253d5ull;
	v = rotl(v, 31);
	v *= 0x4cf5ad432745937full;
	h ^= v;
	return rotl(h, 27) * 5 + 0x52dce729;
}

/* @s as the feed carries it in a field of @size bytes: cut, then its length. */
static uint64_t mix_string(uint64_t h, const char *s, size_t size)
{
	size_t n = strnlen(s, size - 1), i;
	uint64_t w;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = mix(h, w);
	}
	w = 0;
	memcpy(&w, s + i, n - i);
	return mix(mix(h, w), n);
}

/* @s into the zeroed fixed field @field of @size bytes, cut to leave its end. */
static void put_string(char *field, size_t size, const char *s)
{
	size_t n = strnlen(s, size - 1);

	memcpy(field, s, n);
}

uint64_t feed_shape_begin(size_t nzones, size_t nvms)
{
	return mix(mix(0x9e3779b97f4a7c15ull, nzones), nvms);
}

uint64_t feed_shape_zone(uint64_t h, const char *id, const char *name, uint64_t max_energy_range_uj)
{
	return mix(mix_string(mix_string(h, id, TREE_ID_MAX), name, TREE_NAME_MAX), max_energy_range_uj);
}

uint64_t feed_shape_vm(uint64_t h, const char *dir, const char *uuid)
{
	return mix_string(mix_string(h, dir, TREE_DIR_MAX), uuid, TREE_UUID_MAX);
}

uint64_t feed_shape_end(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}

char *feed_frame(enum feed_type type, const void *payload, size_t len, size_t *size)
{
	struct feed_header h = header_of(type, len);
	char *buf;

	if (len > FEED_PAYLOAD_MAX || !(buf = malloc(sizeof(h) + len)))
		return NULL;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), payload, len);
	*size = sizeof(h) + len;
	return buf;
}

int feed_send(int fd, enum feed_type type, const void *payload, size_t len)
{
	return feed_send_flags(fd, type, 0, payload, len);
}

int feed_send_flags(int fd, enum feed_type type, uint32_t flags, const void *payload, size_t len)
{
	return feed_send_fds(fd, type, flags, payload, len, NULL, 0);
}

int feed_send_fds(int fd, enum feed_type type, uint32_t flags, const void *payload, size_t len, const int *pass,
		  size_t npass)
{
	struct feed_header h = header_of(type, len);
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	union {
		char buf[CMSG_SPACE(FEED_HOLD_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	size_t left = sizeof(h) + len;

	h.flags = flags;
	if (npass > FEED_HOLD_FDS)
		return -EINVAL;
	if (npass) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(npass * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(npass * sizeof(int));
		memcpy(CMSG_DATA(c), pass, npass * sizeof(int));
	}
	if (len > FEED_PAYLOAD_MAX)
		return -EMSGSIZE;
	while (left) {
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		msg.msg_control = NULL;  /* the descriptor went with the first bytes */
		msg.msg_controllen = 0;
		left -= (size_t)n;
		while (n > 0 && msg.msg_iovlen) {
			if ((size_t)n >= msg.msg_iov->iov_len) {
				n -= (ssize_t)msg.msg_iov->iov_len;
				msg.msg_iov++;
				msg.msg_iovlen--;
			} else {
				msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + n;
				msg.msg_iov->iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

/*
 * read() that keeps the descriptors sent along (SCM_RIGHTS) in @r, up to
 * FEED_HOLD_FDS: any beyond are closed (a client cannot make the reader
 * hold descriptors). It never waits, whatever @fd's mode: a blocking
 * socket sends whole (the daemon's snapshots) and still reads without
 * waiting, with no fcntl() each way around every send.
 */
static ssize_t read_fds(int fd, struct feed_reader *r, void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t nfds;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (r->nfds < FEED_HOLD_FDS)
				r->fds[r->nfds++] = got;
			else
				close(got);
		}
	}
	return n;
}

size_t feed_reader_take_fds(struct feed_reader *r, int *fds, size_t max)
{
	size_t n = r->nfds < max ? r->nfds : max;

	memcpy(fds, r->fds, n * sizeof(int));
	for (size_t i = n; i < r->nfds; i++)
		close(r->fds[i]);
	r->nfds = 0;
	return n;
}

int feed_read(int fd, struct feed_reader *r, enum feed_type *type, const void **payload, size_t *len)
{
	if (r->used) {
		memmove(r->buf, r->buf + r->used, r->len - r->used);
		r->len -= r->used;
		r->used = 0;
	}
	for (;;) {
		struct feed_header h;
		ssize_t n;

		if (r->len >= sizeof(h)) {
			memcpy(&h, r->buf, sizeof(h));
			if (h.magic != FEED_MAGIC || h.version != FEED_VERSION || h.length > FEED_PAYLOAD_MAX)
				return -EPROTO;
			if (r->len >= sizeof(h) + h.length) {
				*type = (enum feed_type)h.type;
				r->flags = h.flags;
				*payload = r->buf + sizeof(h);
				*len = h.length;
				r->used = sizeof(h) + h.length;
				return 1;
			}
			if (ALLOC_GROW(r->buf, sizeof(h) + h.length, r->alloc) < 0)
				return -ENOMEM;
		} else if (ALLOC_GROW(r->buf, 4096, r->alloc) < 0) {
			return -ENOMEM;
		}
		n = read_fds(fd, r, r->buf + r->len, r->alloc - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return -ECONNRESET;
		r->drained = (size_t)n < r->alloc - r->len;
		r->len += (size_t)n;
	}
}

void feed_reader_release(struct feed_reader *r)
{
	for (size_t i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	free(r->buf);
	*r = (struct feed_reader){ 0 };
}

/* The encoded snapshot: a head, the zones, then each VM and its values. */
struct feed_snapshot_head {
	uint32_t nzones, nvms;
	uint64_t announced_seq;
};

struct feed_zone {
	char id[TREE_ID_MAX];
	char name[TREE_NAME_MAX];
	uint64_t max_energy_range_uj;
};

struct feed_vm {
	char dir[TREE_DIR_MAX];
	char uuid[TREE_UUID_MAX];
	/* followed by nzones uint64_t values */
};

/* The encoded values alone: a head, then each VM's values, in the snapshot's order. */
struct feed_counters_head {
	uint32_t nzones, nvms;
	uint64_t announced_seq;
	uint64_t shape;
};

static size_t counters_size(size_t nzones, size_t nvms)
{
	return sizeof(struct feed_counters_head) + nvms * nzones * sizeof(uint64_t);
}

static size_t snapshot_size(size_t nzones, size_t nvms)
{
	return sizeof(struct feed_snapshot_head) + nzones * sizeof(struct feed_zone) +
	       nvms * (sizeof(struct feed_vm) + nzones * sizeof(uint64_t));
}

int feed_encode_snapshot(const struct tree_snapshot *s, uint64_t announced_seq, void **buf, size_t *len)
{
	size_t size = snapshot_size(s->nzones, s->nvms);
	struct feed_snapshot_head head = {
		.nzones = (uint32_t)s->nzones,
		.nvms = (uint32_t)s->nvms,
		.announced_seq = announced_seq,
	};
	char *p = calloc(1, size), *q;

	if (!p)
		return -ENOMEM;
	memcpy(p, &head, sizeof(head));
	q = p + sizeof(head);
	for (size_t z = 0; z < s->nzones; z++) {
		struct feed_zone fz = { .max_energy_range_uj = s->zones[z].max_energy_range_uj };

		memcpy(fz.id, s->zones[z].id, sizeof(fz.id));
		memcpy(fz.name, s->zones[z].name, sizeof(fz.name));
		memcpy(q, &fz, sizeof(fz));
		q += sizeof(fz);
	}
	for (size_t i = 0; i < s->nvms; i++) {
		struct feed_vm fv = { 0 };

		put_string(fv.dir, sizeof(fv.dir), s->vms[i].dir);
		put_string(fv.uuid, sizeof(fv.uuid), s->vms[i].uuid);
		memcpy(q, &fv, sizeof(fv));
		q += sizeof(fv);
		for (size_t z = 0; z < s->nzones; z++) {
			uint64_t v = tree_vm_value(s, &s->vms[i], z);

			memcpy(q, &v, sizeof(v));
			q += sizeof(v);
		}
	}
	*buf = p;
	*len = size;
	return 0;
}

/* Send all of @len bytes at @p: 0 or -errno. */
static int send_all(int fd, const void *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p = (const char *)p + n;
		len -= (size_t)n;
	}
	return 0;
}

static void writer_flush(struct feed_writer *w)
{
	if (!w->err && w->len)
		w->err = send_all(w->fd, w->buf, w->len);
	w->len = 0;
}

/* Room for @len bytes (at most the buffer), zeroed, counted against the payload. */
static unsigned char *writer_room(struct feed_writer *w, size_t len)
{
	unsigned char *p;

	if (w->err)
		return NULL;
	if (len > w->left) {
		w->err = -EPROTO;
		return NULL;
	}
	if (sizeof(w->buf) - w->len < len)
		writer_flush(w);
	if (w->err)
		return NULL;
	p = w->buf + w->len;
	memset(p, 0, len);
	w->len += len;
	w->left -= len;
	return p;
}

/* @n bytes of values, in pieces when they outgrow what is left of the buffer. */
static void writer_values(struct feed_writer *w, const uint64_t *energy_uj, size_t n)
{
	for (size_t done = 0; done < n; ) {
		size_t k = n - done < sizeof(w->buf) ? n - done : sizeof(w->buf);
		unsigned char *p = writer_room(w, k);

		if (!p)
			return;
		memcpy(p, (const char *)energy_uj + done, k);
		done += k;
	}
}

/* @s into a field of @size bytes, cut and NUL-padded as the decoder expects. */
/* Start a message of @type, whose payload is @size bytes beginning with @head (@head_len). */
static void writer_begin(struct feed_writer *w, int fd, enum feed_type type, size_t nzones, size_t size,
			 const void *head, size_t head_len)
{
	struct feed_header h = header_of(type, size);
	unsigned char *p;

	w->fd = fd;
	w->err = size > FEED_PAYLOAD_MAX ? -EMSGSIZE : 0;
	w->len = 0;
	w->nzones = nzones;
	w->left = sizeof(h) + size;
	if ((p = writer_room(w, sizeof(h))))
		memcpy(p, &h, sizeof(h));
	if ((p = writer_room(w, head_len)))
		memcpy(p, head, head_len);
}

void feed_snapshot_begin(struct feed_writer *w, int fd, size_t nzones, size_t nvms, uint64_t announced_seq)
{
	struct feed_snapshot_head head = {
		.nzones = (uint32_t)nzones,
		.nvms = (uint32_t)nvms,
		.announced_seq = announced_seq,
	};

	writer_begin(w, fd, FEED_SNAPSHOT, nzones, snapshot_size(nzones, nvms), &head, sizeof(head));
}

void feed_snapshot_zone(struct feed_writer *w, const char *id, const char *name, uint64_t max_energy_range_uj)
{
	struct feed_zone *fz = (struct feed_zone *)writer_room(w, sizeof(*fz));

	if (!fz)
		return;
	put_string(fz->id, sizeof(fz->id), id);
	put_string(fz->name, sizeof(fz->name), name);
	memcpy(&fz->max_energy_range_uj, &max_energy_range_uj, sizeof(max_energy_range_uj));
}

void feed_snapshot_vm(struct feed_writer *w, const char *dir, const char *uuid, const uint64_t *energy_uj)
{
	size_t values = w->nzones * sizeof(uint64_t);
	unsigned char *p = writer_room(w, sizeof(struct feed_vm));
	struct feed_vm *fv = (struct feed_vm *)p;

	if (!p)
		return;
	put_string(fv->dir, sizeof(fv->dir), dir);
	put_string(fv->uuid, sizeof(fv->uuid), uuid);
	writer_values(w, energy_uj, values);
}

void feed_counters_begin(struct feed_writer *w, int fd, size_t nzones, size_t nvms, uint64_t announced_seq,
			 uint64_t shape)
{
	struct feed_counters_head head = {
		.nzones = (uint32_t)nzones,
		.nvms = (uint32_t)nvms,
		.announced_seq = announced_seq,
		.shape = shape,
	};

	writer_begin(w, fd, FEED_COUNTERS, nzones, counters_size(nzones, nvms), &head, sizeof(head));
}

void feed_counters_vm(struct feed_writer *w, const uint64_t *energy_uj)
{
	writer_values(w, energy_uj, w->nzones * sizeof(uint64_t));
}

int feed_snapshot_end(struct feed_writer *w)
{
	if (!w->err && w->left)
		w->err = -EPROTO;
	writer_flush(w);
	return w->err;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

struct tree_snapshot *feed_decode_snapshot(const void *buf, size_t len, uint64_t *announced_seq,
					   char *why, size_t whylen)
{
	struct feed_snapshot_head head;
	struct tree_snapshot *s;
	uint64_t shape;
	const char *q;

	if (len < sizeof(head)) {
		snprintf(why, whylen, "snapshot of %zu bytes: too short", len);
		return NULL;
	}
	memcpy(&head, buf, sizeof(head));
	if (head.nzones > FEED_ZONES_MAX || head.nvms > FEED_VMS_MAX ||
	    len != snapshot_size(head.nzones, head.nvms)) {
		snprintf(why, whylen, "snapshot of %zu bytes does not hold %u zones and %u VMs",
			 len, head.nzones, head.nvms);
		return NULL;
	}
	s = tree_snapshot_new(head.nzones, head.nvms);
	if (!s) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	q = (const char *)buf + sizeof(head);
	shape = feed_shape_begin(head.nzones, head.nvms);
	for (size_t z = 0; z < head.nzones; z++) {
		struct feed_zone fz;

		memcpy(&fz, q, sizeof(fz));
		q += sizeof(fz);
		if (!terminated(fz.id, sizeof(fz.id)) || !terminated(fz.name, sizeof(fz.name)) || !fz.id[0] ||
		    strchr(fz.id, '/') || tree_find_zone(s, fz.id, strlen(fz.id)) >= 0) {
			snprintf(why, whylen, "zone %zu: a bad or repeated id", z);
			goto fail;
		}
		tree_snapshot_add_zone(s, fz.id, fz.name, fz.max_energy_range_uj);
		shape = feed_shape_zone(shape, fz.id, fz.name, fz.max_energy_range_uj);
	}
	for (size_t i = 0; i < head.nvms; i++) {
		struct feed_vm fv;
		uint64_t *values;

		memcpy(&fv, q, sizeof(fv));
		q += sizeof(fv);
		if (!terminated(fv.dir, sizeof(fv.dir)) || !terminated(fv.uuid, sizeof(fv.uuid))) {
			snprintf(why, whylen, "VM %zu: a name or UUID without its end", i);
			goto fail;
		}
		values = tree_snapshot_add_vm(s, fv.dir, fv.uuid);
		if (!values) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		shape = feed_shape_vm(shape, fv.dir, fv.uuid);
		memcpy(values, q, head.nzones * sizeof(uint64_t));
		q += head.nzones * sizeof(uint64_t);
	}
	tree_snapshot_finish(s);
	for (size_t i = 1; i < s->nvms; i++) {
		if (!strcmp(s->vms[i].dir, s->vms[i - 1].dir)) {
			snprintf(why, whylen, "two VMs in directory '%s'", s->vms[i].dir);
			goto fail;
		}
		if (!strcmp(s->by_uuid[i]->uuid_dir, s->by_uuid[i - 1]->uuid_dir)) {
			snprintf(why, whylen, "two VMs in directory '%s'", s->by_uuid[i]->uuid_dir);
			goto fail;
		}
	}
	s->shape_hash = feed_shape_end(shape);
	*announced_seq = head.announced_seq;
	return s;
fail:
	tree_snapshot_free(s);
	return NULL;
}

struct tree_snapshot *feed_decode_counters(const struct tree_snapshot *base, const void *buf, size_t len,
					   uint64_t *announced_seq, char *why, size_t whylen)
{
	struct feed_counters_head head;
	struct tree_snapshot *s;

	if (len < sizeof(head)) {
		snprintf(why, whylen, "counters of %zu bytes: too short", len);
		return NULL;
	}
	memcpy(&head, buf, sizeof(head));
	if (!base || !base->shape_hash) {
		snprintf(why, whylen, "counters before any snapshot");
		return NULL;
	}
	if (head.nzones != base->nzones || head.nvms != base->nvms || head.shape != base->shape_hash ||
	    base->zones_alloc != base->nzones || len != counters_size(head.nzones, head.nvms)) {
		snprintf(why, whylen, "counters of %u zones and %u VMs (%zu bytes) for another tree than the "
			 "last snapshot's", head.nzones, head.nvms, len);
		return NULL;
	}
	s = tree_snapshot_same_shape(base);
	if (!s) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	/* rows in the order VMs came in the snapshot, as the counters are */
	memcpy(s->values, (const char *)buf + sizeof(head), (size_t)head.nvms * head.nzones * sizeof(uint64_t));
	*announced_seq = head.announced_seq;
	return s;
}
