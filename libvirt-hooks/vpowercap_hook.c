// SPDX-License-Identifier: MIT
/*
 * The libvirt qemu hook, installed as /etc/libvirt/hooks/qemu.d/vpowercap.
 * libvirt runs it as "NAME OPERATION SUB-OPERATION EXTRA" with the domain's
 * XML on standard input. At "prepare begin" it asks vpowercapd's tree server
 * (which answers whether or not the daemon runs) to make the domain's share
 * directory before qemu opens it; at "release end" it says the domain has
 * ended. It never calls libvirt, never blocks for
 * long, and never fails a domain: whatever happens, it exits 0.
 *
 * The control socket is $VPOWERCAP_HOOK_SOCKET, else the path in
 * /etc/vpowercap/hook.socket when that file exists, else
 * /run/vpowercapd.sock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/vpowercapd.sock"
#define SOCKET_OVERRIDE "/etc/vpowercap/hook.socket"
#define TIMEOUT_MS 3000

/*
 * Percent-encode domain name @name for the control socket (see
 * common/control.h): spaces, control characters, '%' and every byte from
 * 0x80 become "%XX", so the request is one line of printable words and a
 * log line never holds a raw control character. Returns 0, or -1 when it
 * does not fit.
 */
static int encode_name(const char *name, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		if (n + 4 > size)
			return -1;
		if (*c <= ' ' || *c >= 0x7f || *c == '%') {
			out[n++] = '%';
			out[n++] = hex[*c >> 4];
			out[n++] = hex[*c & 15];
		} else {
			out[n++] = (char)*c;
		}
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

/* libvirtd keeps a hook's standard error in its log; @domain is encoded. */
static void say(const char *domain, const char *what)
{
	fprintf(stderr, "vpowercap hook: %s: %s\n", domain, what);
}

/* The domain's <uuid> from its XML: the first one, at the domain's level. */
static int domain_uuid(const char *xml, char *uuid, size_t size)
{
	const char *start = strstr(xml, "<uuid>"), *end;

	if (!start)
		return -1;
	start += 6;
	end = strstr(start, "</uuid>");
	if (!end || (size_t)(end - start) >= size || end == start)
		return -1;
	memcpy(uuid, start, (size_t)(end - start));
	uuid[end - start] = '\0';
	for (char *c = uuid; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F') || *c == '-'))
			return -1;
	return 0;
}

/* Read standard input whole (libvirt writes the XML there), bounded. */
static char *read_stdin(void)
{
	size_t len = 0, alloc = 65536;
	char *buf = malloc(alloc);

	while (buf) {
		ssize_t n;

		if (len + 1 == alloc) {
			char *more = alloc < (16u << 20) ? realloc(buf, alloc * 2) : NULL;

			if (!more)
				break;
			buf = more;
			alloc *= 2;
		}
		n = read(STDIN_FILENO, buf + len, alloc - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void socket_path(char *path, size_t size)
{
	const char *env = getenv("VPOWERCAP_HOOK_SOCKET");
	FILE *f;

	snprintf(path, size, "%s", env && env[0] ? env : DEFAULT_SOCKET);
	if (env && env[0])
		return;
	f = fopen(SOCKET_OVERRIDE, "re");
	if (!f)
		return;
	if (fgets(path, (int)size, f))
		path[strcspn(path, "\r\n")] = '\0';
	if (!path[0])
		snprintf(path, size, "%s", DEFAULT_SOCKET);
	fclose(f);
}

/* Send @request to the daemon and wait for its answer; bounded in time. */
static int ask_daemon(const char *request, char *reply, size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	size_t len = 0;
	int fd, ret = -1;

	socket_path(addr.sun_path, sizeof(addr.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS) {
		snprintf(reply, size, "cannot reach vpowercapd at %s: %s", addr.sun_path, strerror(errno));
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&pfd, 1, TIMEOUT_MS) <= 0 || write(fd, request, strlen(request)) < 0) {
		snprintf(reply, size, "vpowercapd at %s does not answer", addr.sun_path);
		goto out;
	}
	pfd.events = POLLIN;
	while (len < size - 1 && poll(&pfd, 1, TIMEOUT_MS) > 0) {
		ssize_t n = read(fd, reply + len, size - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	reply[len] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	if (!len)
		snprintf(reply, size, "vpowercapd at %s gave no answer", addr.sun_path);
	else
		ret = strcmp(reply, "ok") ? -1 : 0;
out:
	close(fd);
	return ret;
}

static const char usage[] =
	"Usage: vpowercap-hook NAME OPERATION SUB-OPERATION EXTRA   (run by libvirt)\n"
	"       vpowercap-hook --help | --version\n"
	"\n"
	"The libvirt qemu hook of vpowercap, installed as /etc/libvirt/hooks/qemu.d/vpowercap.\n"
	"libvirt runs it with the domain's XML on standard input. At 'prepare' it asks\n"
	"vpowercapd's tree server to make the domain's share directory before qemu opens\n"
	"it; at 'release' it says the domain has ended. It never fails a domain: it\n"
	"always exits 0, and says on standard error what went wrong.\n"
	"\n"
	"The control socket: $VPOWERCAP_HOOK_SOCKET, else the path in " SOCKET_OVERRIDE "\n"
	"when that file exists, else " DEFAULT_SOCKET ".\n"
	"See vpowercapd(8) and docs/daemon.md.\n";

int main(int argc, char **argv)
{
	/* a name of 255 bytes, each encoded, and room to spare */
	char uuid[64], name[800], request[1024], reply[256] = "";
	const char *op;
	char *xml;

	/* libvirt always passes four arguments: one alone is a person asking */
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		puts("vpowercap-hook " VPOWERCAP_VERSION);
		return 0;
	}
	if (argc < 3) {
		fputs(usage, stderr);
		return 0;
	}
	op = argv[2];
	/* libvirt waits for the hook to read its input: always drain it. */
	xml = read_stdin();
	if (strcmp(op, "prepare") && strcmp(op, "release"))
		goto out;
	if (encode_name(argv[1], name, sizeof(name)) < 0) {
		say("-", "the domain's name is empty or too long, nothing done");
		goto out;
	}
	if (!xml || domain_uuid(xml, uuid, sizeof(uuid)) < 0) {
		say(name, "no <uuid> in the domain XML on standard input, nothing done");
		goto out;
	}
	snprintf(request, sizeof(request), "%s %s %s\n", op, name, uuid);
	if (ask_daemon(request, reply, sizeof(reply)) < 0) {
		char msg[320];

		snprintf(msg, sizeof(msg), "%s (the domain goes on all the same)", reply);
		say(name, msg);
	}
out:
	free(xml);
	return 0;
}
