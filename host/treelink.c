// SPDX-License-Identifier: MIT
/* The daemon's side of the feed: finding or starting the tree server. */
#include "host/treelink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "host/libexec.h"
#include "host/share.h"

/* How long the server may take to mount, and to answer a hello. */
#define SERVER_START_MS 10000
#define ANSWER_MS 5000

static int feed_path(const char *state_dir, struct sockaddr_un *addr)
{
	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if ((size_t)snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/" FEED_SOCKET_FILE, state_dir) >=
	    sizeof(addr->sun_path))
		return log_error(-ENAMETOOLONG, "state directory path too long for its socket: '%s'", state_dir);
	return 0;
}

static int feed_connect(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Wait up to @ms for the next message on blocking @fd. */
static int feed_wait(int fd, struct feed_reader *r, enum feed_type *type, const void **payload,
		     size_t *len, int ms)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ret = poll(&pfd, 1, ms);

		if (ret == 0)
			return -ETIMEDOUT;
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret < 0)
			continue;
		ret = feed_read(fd, r, type, payload, len);
		if (ret != 0)
			return ret;
	}
}

/* Close every descriptor from @from up: the server must hold none of ours. */
static void close_from(int from)
{
	if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0)
		return;
	for (long fd = from, max = sysconf(_SC_OPEN_MAX); fd < max; fd++)
		close((int)fd);
}

/*
 * Start the tree server, detached (its own session, not our child), and
 * wait until it has mounted and listens. Returns 0 or -errno after logging.
 */
static int server_start(const struct tree_link_config *cfg, const char *feed)
{
	char exe[PATH_MAX + 64], buf[8] = "";
	int pipefd[2], status;
	struct pollfd pfd;
	pid_t pid;
	ssize_t n;

	if (libexec_find(TREE_SERVER_FILE, exe, sizeof(exe)) < 0)
		return log_error(-ENOENT, "cannot find the tree server " TREE_SERVER_FILE " in '%s' or '%s"
				 LIBEXEC_INSTALLED_SUBDIR "' (install vpowercap with 'make install')", exe, exe);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return log_error(-errno, "cannot start the tree server: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return log_error(-errno, "cannot start the tree server: %s", strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		char *argv[] = { exe, (char *)"--mountpoint", (char *)cfg->mountpoint, (char *)"--feed",
				 (char *)feed, (char *)"--control", (char *)cfg->control_socket,
				 (char *)"--user", (char *)cfg->user, (char *)"--reader-group",
				 (char *)cfg->reader_group, (char *)"--channel-socket",
				 (char *)(cfg->channel_socket ? cfg->channel_socket : ""), (char *)"--ready-fd",
				 (char *)"3", NULL };
		sigset_t none;

		setsid();
		if (fork() != 0)
			_exit(0);
		if (devnull >= 0)
			dup2(devnull, 0);
		if (dup2(pipefd[1], 3) < 0)
			_exit(127);
		close_from(4);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execv(exe, argv);
		_exit(127);
	}
	close(pipefd[1]);
	waitpid(pid, &status, 0);
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	n = poll(&pfd, 1, SERVER_START_MS) > 0 ? read(pipefd[0], buf, sizeof(buf) - 1) : -1;
	close(pipefd[0]);
	if (n != 3 || strncmp(buf, "ok\n", 3))
		return log_error(-EIO, "the tree server did not start (see its messages above)");
	return 0;
}

int tree_link_open(struct tree_link *t, const struct tree_link_config *cfg)
{
	struct feed_hello hello = { .role = FEED_ROLE_DAEMON, .pid = (uint32_t)getpid() };
	struct feed_welcome w;
	struct sockaddr_un addr;
	struct timeval tv = { .tv_sec = 1 };
	enum feed_type type;
	const void *payload;
	bool started = false;
	size_t len;
	int ret;

	*t = (struct tree_link){ .fd = -1 };
	ret = feed_path(cfg->state_dir, &addr);
	if (ret < 0)
		return ret;
	t->fd = feed_connect(&addr);
	if (t->fd == -ENOENT || t->fd == -ECONNREFUSED) {
		ret = server_start(cfg, addr.sun_path);
		if (ret < 0)
			return ret;
		started = true;
		t->fd = feed_connect(&addr);
	}
	if (t->fd < 0) {
		ret = t->fd;
		t->fd = -1;
		return log_error(ret, "cannot reach the tree server at '%s': %s", addr.sun_path, strerror(-ret));
	}
	/* A server that cannot take a snapshot within a second is gone. */
	setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ret = feed_send(t->fd, FEED_HELLO, &hello, sizeof(hello));
	if (ret == 0)
		ret = feed_wait(t->fd, &t->r, &type, &payload, &len, ANSWER_MS);
	if (ret < 0) {
		log_error(ret, "the tree server at '%s' does not answer: %s", addr.sun_path, strerror(-ret));
		goto fail;
	}
	if (type == FEED_REFUSED) {
		ret = log_error(-EBUSY, "the tree server refused this daemon: %.*s", (int)len, (const char *)payload);
		goto fail;
	}
	if (type != FEED_WELCOME || len != sizeof(w)) {
		ret = log_error(-EPROTO, "the tree server at '%s' speaks another protocol: take it down with "
				"'vpowercapd unmount' and start again", addr.sun_path);
		goto fail;
	}
	memcpy(&w, payload, sizeof(w));
	w.mountpoint[sizeof(w.mountpoint) - 1] = '\0';
	if (strcmp(w.mountpoint, cfg->mountpoint)) {
		ret = log_error(-EBUSY, "the tree server of '%s' serves '%s', not '%s': take it down with "
				"'vpowercapd unmount --state-dir %s' first", cfg->state_dir, w.mountpoint,
				cfg->mountpoint, cfg->state_dir);
		goto fail;
	}
	t->server_pid = w.pid;
	t->stall_s = (double)w.stalled_ns / 1e9;
	if (started)
		log_info("started the tree server (pid %u) at '%s'", w.pid, w.mountpoint);
	else if (w.snapshots)
		log_info("reusing the tree server (pid %u, up %.0f s) at '%s': counters stood still for %.1f s "
			 "(longest so far %.1f s)", w.pid, (double)w.up_ns / 1e9, w.mountpoint,
			 (double)w.stalled_ns / 1e9, (double)(w.stalled_ns > w.longest_stall_ns ?
							     w.stalled_ns : w.longest_stall_ns) / 1e9);
	else
		log_info("reusing the tree server (pid %u) at '%s'", w.pid, w.mountpoint);
	/* From here on, announcements are read without blocking. */
	fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
	return 0;
fail:
	tree_link_close(t);
	return ret;
}

int tree_link_publish_view(struct tree_link *t, const struct ledger_view *v)
{
	int ret;

	if (t->fd < 0)
		return -ENOTCONN;
	fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) & ~O_NONBLOCK);
	ret = share_snapshot_send(v, t->fd, t->announced_seq);
	fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
	return ret;
}

int tree_link_poll(struct tree_link *t, struct feed_announce *a)
{
	enum feed_type type;
	const void *payload;
	size_t len;
	int ret;

	if (t->fd < 0)
		return -ENOTCONN;
	ret = feed_read(t->fd, &t->r, &type, &payload, &len);
	if (ret <= 0)
		return ret;
	if (type != FEED_ANNOUNCE || len != sizeof(*a))
		return -EPROTO;
	memcpy(a, payload, sizeof(*a));
	a->name[sizeof(a->name) - 1] = '\0';
	a->uuid[sizeof(a->uuid) - 1] = '\0';
	return 1;
}

void tree_link_close(struct tree_link *t)
{
	if (t->fd >= 0)
		close(t->fd);
	feed_reader_release(&t->r);
	t->fd = -1;
}

/*
 * Connect to the tree server of @state_dir as an admin and wait for its
 * welcome. Returns the socket, -ENOENT when no server runs, or -errno
 * after logging.
 */
static int admin_connect(const char *state_dir, struct feed_reader *r, struct sockaddr_un *addr)
{
	struct feed_hello hello = { .role = FEED_ROLE_ADMIN, .pid = (uint32_t)getpid() };
	enum feed_type type;
	const void *payload;
	size_t len;
	int fd, ret;

	if (feed_path(state_dir, addr) < 0)
		return -ENAMETOOLONG;
	fd = feed_connect(addr);
	if (fd == -ENOENT || fd == -ECONNREFUSED)
		return -ENOENT;
	if (fd < 0)
		return log_error(fd, "cannot reach the tree server at '%s': %s", addr->sun_path, strerror(-fd));
	ret = feed_send(fd, FEED_HELLO, &hello, sizeof(hello));
	if (ret == 0)
		ret = feed_wait(fd, r, &type, &payload, &len, ANSWER_MS);
	if (ret > 0 && type == FEED_WELCOME)
		return fd;
	close(fd);
	return log_error(ret < 0 ? ret : -EPROTO, "the tree server at '%s' did not answer: %s", addr->sun_path,
			 strerror(ret < 0 ? -ret : EPROTO));
}

int tree_link_admin(const char *state_dir, bool shutdown)
{
	struct feed_reader r = { 0 };
	struct sockaddr_un addr;
	enum feed_type type;
	const void *payload;
	size_t len;
	int fd, ret, status = 1;

	fd = admin_connect(state_dir, &r, &addr);
	if (fd == -ENOENT) {
		printf("no tree server runs for '%s'\n", state_dir);
		return shutdown ? 0 : 3;
	}
	if (fd < 0) {
		feed_reader_release(&r);
		return 1;
	}
	ret = feed_send(fd, shutdown ? FEED_SHUTDOWN : FEED_STATUS, NULL, 0);
	/* Taking the tree down waits for the unmount, which waits for its readers. */
	if (ret == 0)
		ret = feed_wait(fd, &r, &type, &payload, &len, shutdown ? 60000 : ANSWER_MS);
	if (ret > 0 && type == FEED_STATUS) {
		fwrite(payload, 1, len, stdout);
		status = 0;
	} else if (ret > 0 && type == FEED_REFUSED) {
		log_error(0, "%.*s", (int)len, (const char *)payload);
	} else {
		log_error(ret, "the tree server at '%s' did not answer: %s", addr.sun_path,
			  strerror(ret < 0 ? -ret : EPROTO));
	}
	feed_reader_release(&r);
	close(fd);
	return status;
}

int tree_link_served(const char *state_dir, struct tree_snapshot **served)
{
	struct feed_reader r = { 0 };
	struct sockaddr_un addr;
	enum feed_type type;
	const void *payload;
	uint64_t seq;
	char why[128];
	size_t len;
	int fd, ret;

	*served = NULL;
	fd = admin_connect(state_dir, &r, &addr);
	if (fd < 0) {
		feed_reader_release(&r);
		return fd == -ENOENT ? 0 : fd;
	}
	ret = feed_send(fd, FEED_VALUES, NULL, 0);
	if (ret == 0)
		ret = feed_wait(fd, &r, &type, &payload, &len, ANSWER_MS);
	if (ret > 0 && type == FEED_SNAPSHOT) {
		*served = feed_decode_snapshot(payload, len, &seq, why, sizeof(why));
		ret = *served ? 0 : log_error(-EPROTO, "the tree server at '%s' sent bad values: %s",
					      addr.sun_path, why);
	} else {
		ret = log_error(-EPROTO, "the tree server at '%s' does not tell the values it serves (an older "
				"version): stop the guests, take it down with 'vpowercapd unmount', and start again",
				addr.sun_path);
	}
	feed_reader_release(&r);
	close(fd);
	return ret;
}
