// SPDX-License-Identifier: MIT
/* The daemon's control socket, for the libvirt hook. */
#include "common/control.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

int unix_listen(const char *path, const char *what)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return log_error(-ENAMETOOLONG, "%s socket path too long: '%s'", what, path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_error(-errno, "cannot create the %s socket: %s", what, strerror(errno));
	unlink(path);  /* left by a daemon that did not exit cleanly */
	/*
	 * The socket file takes its mode from the socket's own at bind()
	 * (Linux): set it first, on the descriptor. Never a chmod by path,
	 * which a link swapped into a directory another user owns (the
	 * state directory is the daemon user's) would lead anywhere.
	 */
	if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
		int err = -errno;

		close(fd);
		return log_error(err, "cannot listen on '%s': %s", path, strerror(-err));
	}
	return fd;
}

/* A word of a request: printable, no spaces, not empty. */
static bool copy_word(const char *src, size_t len, char *dst, size_t size)
{
	if (!len || len >= size)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)src[i] <= ' ' || src[i] == 0x7f)
			return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A domain's name, percent-encoded as the hook sends it: a word (see
 * copy_word) in which "%XX" stands for the byte XX, so that spaces and
 * control characters, which libvirt allows in names, travel in one word.
 * Decoded, it may hold any byte but NUL.
 */
static bool decode_name(const char *src, size_t len, char *dst, size_t size)
{
	size_t n = 0;

	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c <= ' ' || c == 0x7f || n + 1 >= size)
			return false;
		if (c == '%') {
			int hi = i + 2 < len ? hex_digit(src[i + 1]) : -1;
			int lo = hi >= 0 ? hex_digit(src[i + 2]) : -1;

			if (lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return true;
}

int control_parse(const char *line, struct control_request *req, char *why, size_t whylen)
{
	const char *p = line, *name, *uuid;
	size_t oplen = strcspn(p, " \n"), nlen, ulen;

	memset(req, 0, sizeof(*req));
	if (oplen == 4 && !strncmp(p, "ping", 4) && (p[4] == '\0' || p[4] == '\n')) {
		req->op = CONTROL_PING;
		return 0;
	}
	if (oplen == 7 && !strncmp(p, "prepare", 7))
		req->op = CONTROL_PREPARE;
	else if (oplen == 7 && !strncmp(p, "release", 7))
		req->op = CONTROL_RELEASE;
	else {
		snprintf(why, whylen, "unknown request");
		return -EINVAL;
	}
	if (p[oplen] != ' ') {
		snprintf(why, whylen, "want: %.*s NAME UUID", (int)oplen, p);
		return -EINVAL;
	}
	name = p + oplen + 1;
	nlen = strcspn(name, " \n");
	uuid = name + nlen + (name[nlen] == ' ');
	ulen = strcspn(uuid, " \n");
	if (name[nlen] != ' ' || !decode_name(name, nlen, req->name, sizeof(req->name)) ||
	    !copy_word(uuid, ulen, req->uuid, sizeof(req->uuid)) || (uuid[ulen] && uuid[ulen] != '\n')) {
		snprintf(why, whylen, "want: %.*s NAME UUID", (int)oplen, p);
		return -EINVAL;
	}
	for (char *c = req->uuid; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return 0;
}

int control_conn_accept(int fd, struct control_conn *c, uint64_t now_ns)
{
	int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (conn < 0)
		return -errno;
	*c = (struct control_conn){ .fd = conn, .deadline_ns = now_ns + CONTROL_WAIT_NS };
	return 0;
}

void control_conn_close(struct control_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int control_conn_read(struct control_conn *c, struct control_request *req)
{
	char why[128], reply[160];
	ssize_t n = read(c->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n > 0)
		c->len += (size_t)n;
	c->line[c->len] = '\0';
	/* a line, or all there will be: the client stopped, or the line is full */
	if (n > 0 && c->len < sizeof(c->line) - 1 && !memchr(c->line, '\n', c->len))
		return 0;
	if (n < 0 || (n == 0 && !c->len)) {
		control_conn_close(c);
		return -EPIPE;
	}
	if (control_parse(c->line, req, why, sizeof(why)) < 0) {
		snprintf(reply, sizeof(reply), "error %s", why);
		control_reply(c->fd, reply);
		c->fd = -1;
		return -EINVAL;
	}
	return 1;
}

void control_reply(int conn, const char *reply)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s\n", reply);

	if (write(conn, line, (size_t)n) < 0)
		log_debug("control: the client left before the reply");
	close(conn);
}
