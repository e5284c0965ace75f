/* SPDX-License-Identifier: MIT */
/*
 * The channel's frames: one VM's powercap counters, sent by the host's
 * tree server down the VM's virtio-serial port after every tick, read by
 * vpowercap-channel in the guest. A frame is ASCII text, a header line and
 * a payload of LENGTH bytes whose FNV-1a 32-bit hash is CHECK:
 *
 *   VPC1 LENGTH CHECK\n
 *   host HOST\n                 who sends: the host's identity
 *   epoch EPOCH\n               its counters' epoch (new when they restart)
 *   time MS\n                   the host's wall clock, ms since 1970
 *   zone ID NAME MAX ENERGY\n   per zone, parents before their subzones
 *
 * HOST is 1 to 64 of [A-Za-z0-9._:-]; EPOCH, MS, MAX and ENERGY are
 * decimal; ID is a powercap zone id ("intel-rapl:0:1", hex numbers), NAME
 * a zone name ("package-0"), ENERGY at most MAX where MAX is not 0. The
 * hash guards against frames cut by a reader that opened the port in the
 * middle of one, or lost in a migration; it is no signature: the guest
 * trusts its host. A frame is taken whole or not at all.
 */
#ifndef VPOWERCAP_CHANNEL_H
#define VPOWERCAP_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHANNEL_NAME_DEFAULT "org.vpowercap.0"
#define CHANNEL_MAGIC "VPC1 "
#define CHANNEL_PAYLOAD_MAX 4096u
#define CHANNEL_HEADER_MAX 32u
#define CHANNEL_FRAME_MAX (CHANNEL_HEADER_MAX + CHANNEL_PAYLOAD_MAX)
#define CHANNEL_ZONES_MAX 32u
#define CHANNEL_HOST_MAX 65u     /* 64 bytes and the NUL */
#define CHANNEL_ID_MAX 64u
#define CHANNEL_ZONE_NAME_MAX 64u

struct channel_zone {
	char id[CHANNEL_ID_MAX];
	char name[CHANNEL_ZONE_NAME_MAX];
	uint64_t max_energy_range_uj;
	uint64_t energy_uj;
};

struct channel_frame {
	char host[CHANNEL_HOST_MAX];
	uint64_t epoch;
	uint64_t time_ms;
	size_t nzones;
	struct channel_zone zones[CHANNEL_ZONES_MAX];
};

/**
 * Encode @f into @buf (@size bytes): the frame's length, or -ENOSPC when
 * it does not fit, -EINVAL when @f would not decode (a bad host, id or
 * name, a value beyond its range, a subzone before its parent).
 */
int channel_encode(const struct channel_frame *f, char *buf, size_t size);

/*
 * Many frames of one layout (the tree server's, one per VM a tick): what
 * does not change between them (host, epoch, zones) is checked and put in
 * text once, and each frame adds its time and counters.
 */
struct channel_encoder {
	char head[CHANNEL_PAYLOAD_MAX];  /* "host H\nepoch E\ntime " */
	size_t head_len;
	size_t nzones;
	struct {
		char prefix[CHANNEL_ID_MAX + CHANNEL_ZONE_NAME_MAX + 32];  /* "zone ID NAME MAX " */
		size_t len;
		uint64_t max_energy_range_uj;
	} zones[CHANNEL_ZONES_MAX];
};

/**
 * Take @f's host, epoch and zones (not its time or counters) as the
 * layout of the frames to come: 0, or -EINVAL as channel_encode().
 */
int channel_encoder_init(struct channel_encoder *e, const struct channel_frame *f);

/**
 * A frame of @e's layout at @time_ms, @energy_uj[i] the counter of its
 * zone i, into @buf: as channel_encode().
 */
int channel_encoder_frame(const struct channel_encoder *e, uint64_t time_ms, const uint64_t *energy_uj, char *buf,
			  size_t size);

/**
 * Check and decode a frame's payload (@len bytes). Returns 0, or -EINVAL
 * with the reason in @why; @f may then hold part of it.
 */
int channel_parse(const char *payload, size_t len, struct channel_frame *f, char *why, size_t whylen);

/*
 * Frames being read from a port: bytes go in as they come; whole frames
 * come out. Bytes before a frame's header (a reader that opened the port
 * in the middle of a frame) are skipped and counted, a bad frame is
 * refused and counted, and reading goes on from the next header.
 */
struct channel_reader {
	char buf[2 * CHANNEL_FRAME_MAX];
	size_t len;
	uint64_t frames;      /* taken */
	uint64_t refused;     /* bad header, length, hash or payload */
	uint64_t skipped;     /* bytes outside any frame */
};

/** Where the next bytes read go, and how many may: at least one. */
static inline char *channel_reader_space(struct channel_reader *r, size_t *room)
{
	*room = sizeof(r->buf) - r->len;
	return r->buf + r->len;
}

/** Count @n bytes read into channel_reader_space(). */
static inline void channel_reader_add(struct channel_reader *r, size_t n)
{
	r->len += n;
}

/**
 * The next frame from what was added: 1 with it in @f, 0 when more bytes
 * are needed, -EPROTO when a frame was refused (the reason in @why; call
 * again for the next one).
 */
int channel_reader_next(struct channel_reader *r, struct channel_frame *f, char *why, size_t whylen);

/*
 * Who sends: the host's identity and its counters' epoch, written by the
 * daemon in its state directory (CHANNEL_SOURCE_FILE, "host HOST\nepoch
 * EPOCH\n") when it starts, read by the tree server at each daemon's
 * hello. The epoch is new whenever the counters start again from zero (a
 * new state directory, --reset-counters).
 */
#define CHANNEL_SOURCE_FILE "source"

/**
 * Write DIR/source whole (aside, synced, renamed; never through a link).
 * Returns 0 or -errno.
 */
int channel_source_save(const char *dir, const char *host, uint64_t epoch);

/**
 * Read DIR/source into @host (CHANNEL_HOST_MAX bytes) and *@epoch.
 * Returns 0, -ENOENT when there is none, -EINVAL when it is not sound.
 */
int channel_source_load(const char *dir, char *host, uint64_t *epoch);

/** True if @host may name a host in a frame: 1 to 64 of [A-Za-z0-9._:-]. */
bool channel_host_valid(const char *host);

/** True if @id is a powercap zone id: "NAME:N[:N...]", N hex, 1 to 3 numbers. */
bool channel_zone_id_valid(const char *id);

/** The zone id that @id is a subzone of, in @parent; false at the top. */
bool channel_zone_parent(const char *id, char *parent, size_t size);

#endif
