/* SPDX-License-Identifier: MIT */
/*
 * The control socket: a UNIX stream socket on which the libvirt
 * hook announces a domain before qemu opens its share, and its end. The
 * tree server (fuse/fused.c) answers it, so that it answers while no daemon
 * runs, and hands the announcements on to the daemon. One
 * request line per connection, one reply line:
 *
 *   prepare NAME UUID   ->  ok
 *   release NAME UUID   ->  ok
 *   ping                ->  ok
 *
 * anything else -> "error REASON". NAME is percent-encoded: every byte
 * that is a space, a control character or '%' (the hook also encodes any
 * byte from 0x80, UTF-8 included) is sent as "%XX", so any name libvirt
 * accepts travels as one word; a decoded name holds any byte but NUL.
 */
#ifndef VPOWERCAP_CONTROL_H
#define VPOWERCAP_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTROL_SOCKET_DEFAULT "/run/vpowercapd.sock"
#define CONTROL_NAME_MAX 256   /* a domain's name, as VM_NAME_MAX */
#define CONTROL_UUID_MAX 48
/* A request line: a name of CONTROL_NAME_MAX - 1 bytes, each encoded. */
#define CONTROL_LINE_MAX (16 + 3 * CONTROL_NAME_MAX + CONTROL_UUID_MAX)

enum control_op {
	CONTROL_PREPARE,
	CONTROL_RELEASE,
	CONTROL_PING,
};

struct control_request {
	enum control_op op;
	char name[CONTROL_NAME_MAX];
	char uuid[CONTROL_UUID_MAX];
};

/**
 * Listen on UNIX socket @path (a stale socket file is replaced), mode
 * 0600, non-blocking; @what names it in messages. Returns the listening
 * descriptor or -errno after logging. Also the tree server's feed socket.
 */
int unix_listen(const char *path, const char *what);

/** Listen on the control socket @path: unix_listen(). */
static inline int control_listen(const char *path)
{
	return unix_listen(path, "control");
}

/**
 * Parse one request line, decoding the name. Returns 0, or -EINVAL with
 * the reason in @why.
 */
int control_parse(const char *line, struct control_request *req, char *why, size_t whylen);

/*
 * A connection on the control socket, read without ever waiting: its line
 * comes in as it comes, in as many reads as the client takes, and one that
 * is not whole by its deadline is dropped. The server polls it with the
 * rest of its loop, so no client, however slow, holds up another.
 */
#define CONTROL_WAIT_NS 1000000000ull  /* one short line from a local root process */

struct control_conn {
	int fd;                 /* -1: free */
	uint64_t deadline_ns;   /* CLOCK_MONOTONIC */
	size_t len;
	char line[CONTROL_LINE_MAX];
};

/**
 * Accept one connection on @fd (non-blocking) into @c, its deadline a
 * second from @now_ns. Returns 0 or -errno.
 */
int control_conn_accept(int fd, struct control_conn *c, uint64_t now_ns);

/**
 * Read what @c's client sent so far. Returns 1 with its request in @req
 * (answer it with control_reply(), which closes it), 0 when more is to
 * come, or -errno when it is done with: closed, answered with the reason
 * of a bad request, or gone.
 */
int control_conn_read(struct control_conn *c, struct control_request *req);

/** Drop @c (a deadline passed, or the server stops). */
void control_conn_close(struct control_conn *c);

/** Send @reply (a line without its newline) and close @conn: a control_conn's fd (then free it). */
void control_reply(int conn, const char *reply);

#endif
