/* SPDX-License-Identifier: MIT */
/*
 * The feed: a UNIX stream socket between the daemon and the tree server
 * (fuse/fused.c). The daemon sends the per-VM tree snapshot after every
 * tick; the server hands back the libvirt hook's announcements. An operator
 * command speaks it too, to ask the server's status or to take the tree
 * down.
 *
 * Messages are a header and a payload. Both ends come from one build on one
 * host: structures go in native byte order and layout, and the header's
 * version is checked. Every message is validated whole before use; a bad
 * one ends the connection, never the server.
 *
 *   client -> server  HELLO {role, pid}; the server answers WELCOME or REFUSED
 *   daemon -> server  SNAPSHOT (feed_snapshot_begin() ... feed_snapshot_end())
 *   daemon -> server  COUNTERS (feed_counters_begin() ... feed_snapshot_end()):
 *                     the values alone, in the order of the last SNAPSHOT
 *                     of this connection, whose shape they name by its
 *                     hash; only to a server whose WELCOME carries
 *                     FEED_FLAG_COUNTERS (older servers take SNAPSHOT only)
 *   daemon -> server  BOARD {shape, nzones, nvms} with a memfd (SCM_RIGHTS):
 *                     the board of the last SNAPSHOT's shape (fuse/board.h),
 *                     where the daemon writes each tick's values from then on
 *                     instead of sending COUNTERS; only to a server whose
 *                     WELCOME carries FEED_FLAG_BOARD
 *   server -> daemon  PUSH {on}: send COUNTERS every tick all the same (on: 1),
 *                     or the board alone will do (0): the server pushes each
 *                     tick's values to channel peers (fuse/channel_server.h);
 *                     a WELCOME with FEED_FLAG_PUSH says on from the start
 *   server -> daemon  ANNOUNCE {seq, prepare, name, uuid}
 *   admin  -> server  STATUS (answered with STATUS, text) or SHUTDOWN
 *   admin  -> server  VALUES: answered with SNAPSHOT, the last one a daemon
 *                     fed (what guests read now; no VMs when none yet)
 *   admin  -> server  HANDOVER: stop serving and leave the connection to the
 *                     daemon that holds it, which starts the next server
 *                     (answered with STATUS, or REFUSED when no daemon
 *                     holds it)
 *   server -> daemon  HANDOVER: this server stops now; take over
 *   server -> daemon  SHUTDOWN: the tree is taken down (SIGTERM): no next server
 *
 * A daemon whose HELLO carries FEED_FLAG_HOLD is sent, with its WELCOME,
 * the descriptors a next server needs to take the trees over (SCM_RIGHTS):
 * the FUSE connection's /dev/fuse descriptor and the listening sockets
 * (feed, the hook's control, the channels'), and after the welcome a
 * struct feed_hold saying which came, then the kernel's FUSE_INIT. The
 * daemon holds them while the server lives, so that a next server can
 * take them over (fuse/fusefs.h): guests keep their trees, the hook its
 * socket, whatever becomes of the server.
 */
#ifndef VPOWERCAP_FEED_H
#define VPOWERCAP_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuse/tree.h"

#define FEED_MAGIC 0x46435056u      /* "VPCF" */
#define FEED_VERSION 1
#define FEED_PAYLOAD_MAX (256u << 20)
#define FEED_ZONES_MAX 4096u
#define FEED_VMS_MAX 1000000u
#define FEED_SOCKET_FILE "tree.sock"  /* in the state directory */

enum feed_type {
	FEED_HELLO = 1,
	FEED_WELCOME,
	FEED_REFUSED,       /* payload: the reason, text */
	FEED_SNAPSHOT,
	FEED_ANNOUNCE,
	FEED_STATUS,        /* admin's: empty; server's: text */
	FEED_SHUTDOWN,
	FEED_VALUES,        /* admin's: empty */
	FEED_COUNTERS,
	FEED_HANDOVER,
	FEED_BOARD,
	FEED_PUSH,          /* payload: uint32_t, 1 or 0 */
};

/* Header flags. */
#define FEED_FLAG_COUNTERS 1u  /* WELCOME: the server takes COUNTERS */
#define FEED_FLAG_HOLD 2u      /* HELLO: the daemon holds the server's descriptors; WELCOME: here they are */
#define FEED_FLAG_BOARD 4u     /* WELCOME: the server takes a BOARD */
#define FEED_FLAG_PUSH 8u      /* WELCOME: send COUNTERS every tick (as PUSH on) */

/* The descriptors a WELCOME hands on, in this order; each bit: it came. */
enum feed_hold_fd {
	FEED_HOLD_FUSE,
	FEED_HOLD_FEED,
	FEED_HOLD_CONTROL,
	FEED_HOLD_CHANNEL,
	FEED_HOLD_FDS,
};

/* After a WELCOME with FEED_FLAG_HOLD: which descriptors came, then init_len bytes of FUSE_INIT. */
struct feed_hold {
	uint32_t fds;        /* 1 << enum feed_hold_fd for each */
	uint32_t init_len;
};

enum feed_role {
	FEED_ROLE_DAEMON = 1,
	FEED_ROLE_ADMIN,
};

struct feed_header {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t length;    /* of the payload */
	uint32_t flags;     /* FEED_FLAG_*; 0 from a server before COUNTERS */
};

struct feed_hello {
	uint32_t role;
	uint32_t pid;
};

struct feed_welcome {
	uint32_t pid;              /* the server's */
	uint32_t daemons;          /* daemons it served before this one */
	uint64_t up_ns;            /* since it mounted the tree */
	uint64_t stalled_ns;       /* since the last snapshot; 0: none yet */
	uint64_t longest_stall_ns; /* the longest time without snapshot so far */
	uint64_t snapshots;        /* received since it mounted */
	char mountpoint[4096];
};

struct feed_board {
	uint64_t shape;            /* the feed's hash of its shape: the last SNAPSHOT's */
	uint64_t nzones, nvms;
};

struct feed_announce {
	uint64_t seq;              /* grows with each announcement */
	uint32_t prepare;          /* 1: the domain starts; 0: it ended */
	uint32_t reserved;
	char name[TREE_DIR_MAX];
	char uuid[TREE_UUID_MAX];
};

/**
 * Send one message, whole: 0 or -errno (the connection is then unusable:
 * part of a message may be out). Blocks until the message is out or the
 * socket's send timeout (SO_SNDTIMEO) passes.
 */
int feed_send(int fd, enum feed_type type, const void *payload, size_t len);

/** feed_send() with header flags @flags. */
int feed_send_flags(int fd, enum feed_type type, uint32_t flags, const void *payload, size_t len);

/** feed_send_flags() with the @npass descriptors of @pass sent along (SCM_RIGHTS). */
int feed_send_fds(int fd, enum feed_type type, uint32_t flags, const void *payload, size_t len, const int *pass,
		  size_t npass);

/**
 * One message, header and payload, in a buffer of its own (*@size bytes)
 * to send bit by bit from a non-blocking loop; NULL when out of memory or
 * @len is over FEED_PAYLOAD_MAX.
 */
char *feed_frame(enum feed_type type, const void *payload, size_t len, size_t *size);

/* Messages being received on one connection. */
struct feed_reader {
	char *buf;
	size_t len, alloc;
	size_t used;        /* the last message returned, consumed at the next read */
	uint32_t flags;     /* the last message's header flags */
	int fds[FEED_HOLD_FDS]; /* descriptors that came (SCM_RIGHTS), the reader's to close */
	size_t nfds;
	bool drained;       /* the last read took less than it had room for */
};

/**
 * Read what @fd has, never waiting for it. Returns 1
 * with the next whole message in *@type, *@payload, *@len (valid until
 * the next call); 0 when more is needed; -errno on an error, a bad header
 * (-EPROTO) or the end of the connection (-ECONNRESET).
 */
int feed_read(int fd, struct feed_reader *r, enum feed_type *type, const void **payload, size_t *len);

/** Whether bytes read from @fd wait in @r, not yet taken by feed_read(). */
static inline bool feed_reader_buffered(const struct feed_reader *r)
{
	return r->len > r->used;
}

/**
 * Whether everything @fd had was read and taken: its last read left room
 * to spare, and no byte of it waits in @r. A caller whose poll() says
 * when more comes needs no read that would only find nothing.
 */
static inline bool feed_reader_idle(const struct feed_reader *r)
{
	return r->drained && !feed_reader_buffered(r);
}

/** Free @r's buffer and close a descriptor it holds. */
void feed_reader_release(struct feed_reader *r);

/** The descriptors that came with the messages read so far, now the caller's: how many, into @fds. */
size_t feed_reader_take_fds(struct feed_reader *r, int *fds, size_t max);

/**
 * Encode finished snapshot @s with the last announcement the daemon has
 * taken in (@announced_seq). Returns 0 with a malloc'd *@buf of *@len
 * bytes, or -ENOMEM.
 */
int feed_encode_snapshot(const struct tree_snapshot *s, uint64_t announced_seq, void **buf, size_t *len);

/*
 * A snapshot encoded as it is sent, through a small buffer, so that the
 * sender never holds it whole (a snapshot of thousands of VMs is
 * megabytes). The same message as feed_encode_snapshot() and feed_send():
 * begin with the counts, add exactly that many zones, then VMs, and end.
 * Blocking, like feed_send(); after an error the connection is unusable.
 */
struct feed_writer {
	int fd;
	int err;                  /* the first error, -errno */
	size_t left;              /* payload bytes still to add */
	size_t nzones;
	size_t len;               /* bytes in buf */
	unsigned char buf[32 * 1024] __attribute__((aligned(8)));  /* records are 8-byte multiples */
};

/** Start a snapshot of @nzones zones and @nvms VMs on @fd. */
void feed_snapshot_begin(struct feed_writer *w, int fd, size_t nzones, size_t nvms, uint64_t announced_seq);

/** Add a zone (every zone before any VM). */
void feed_snapshot_zone(struct feed_writer *w, const char *id, const char *name, uint64_t max_energy_range_uj);

/** Add a VM: its name @dir, @uuid and a value per zone. */
void feed_snapshot_vm(struct feed_writer *w, const char *dir, const char *uuid, const uint64_t *energy_uj);

/**
 * Start the values alone of @nvms VMs in @nzones zones on @fd: the shape
 * of the last snapshot sent on @fd, whose hash is @shape (feed_shape_*()).
 * Then feed_counters_vm() for each VM, in that snapshot's order, and
 * feed_snapshot_end().
 */
void feed_counters_begin(struct feed_writer *w, int fd, size_t nzones, size_t nvms, uint64_t announced_seq,
			 uint64_t shape);

/** Add a VM's values, one per zone. */
void feed_counters_vm(struct feed_writer *w, const uint64_t *energy_uj);

/**
 * Send what is left. Returns 0, or -errno of the first error (-EPROTO when
 * the counts added are not the ones begun with).
 */
int feed_snapshot_end(struct feed_writer *w);

/**
 * Decode and check a snapshot: sizes, counts, every string terminated,
 * then laid out again (tree_snapshot_finish). Returns it, unpublished, or
 * NULL with the reason in @why.
 */
struct tree_snapshot *feed_decode_snapshot(const void *buf, size_t len, uint64_t *announced_seq,
					   char *why, size_t whylen);

/**
 * The values of COUNTERS message @buf applied to @base (a decoded
 * snapshot, with its shape hash): a new snapshot sharing @base's shape,
 * unpublished. NULL with the reason in @why when the message is not of
 * that shape, or out of memory.
 */
struct tree_snapshot *feed_decode_counters(const struct tree_snapshot *base, const void *buf, size_t len,
					   uint64_t *announced_seq, char *why, size_t whylen);

/*
 * The shape's hash, which COUNTERS carry and the server checks against
 * the snapshot it holds: over the counts, then each zone's id, name and
 * range and each VM's name and UUID, in the order sent, as the feed
 * carries them (cut to their fields). feed_decode_snapshot() sets it in
 * the snapshot; the daemon computes it from what it would send.
 */
uint64_t feed_shape_begin(size_t nzones, size_t nvms);
uint64_t feed_shape_zone(uint64_t h, const char *id, const char *name, uint64_t max_energy_range_uj);
uint64_t feed_shape_vm(uint64_t h, const char *dir, const char *uuid);
/** The hash to send and compare: never 0. */
uint64_t feed_shape_end(uint64_t h);

#endif
