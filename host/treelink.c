// SPDX-License-Identifier: MIT
/* The daemon's side of the feed: finding or starting the tree server. */
#include "host/treelink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/libexec.h"
#include "host/share.h"
#include "host/treelink_i.h"

/* How long the server may take to mount, and to answer a hello. */
#define SERVER_START_MS 10000
/* The tree server's own log, when the daemon's standard error is a terminal or a pipe. */
#define TREE_SERVER_LOG_FILE "tree-server.log"
#define TREE_SERVER_LOG_MAX (1024 * 1024)

int feed_path(const char *state_dir, struct sockaddr_un *addr)
{
	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if ((size_t)snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/" FEED_SOCKET_FILE, state_dir) >=
	    sizeof(addr->sun_path))
		return log_error(-ENAMETOOLONG, "state directory path too long for its socket: '%s'", state_dir);
	return 0;
}

int feed_connect(const struct sockaddr_un *addr)
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
int feed_wait(int fd, struct feed_reader *r, enum feed_type *type, const void **payload,
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

/* Whether our standard error is the journal's stream (systemd's JOURNAL_STREAM is "DEV:INO"). */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/*
 * Where the tree server logs. It outlives whoever started the daemon, so it
 * must not hold their terminal or pipe (`vpowercapd ... | tail` would never
 * end): our standard error is kept when it is the journal or a file, else
 * the server appends to STATE_DIR/tree-server.log (the previous one kept as
 * .1 past 1 MiB). Sets *@fd to the descriptor to give it, or -1 to keep
 * ours; @where says which, for messages. Returns 0 or -errno after logging.
 */
static int server_log(const struct tree_link_config *cfg, int *fd, char *where, size_t size)
{
	char path[PATH_MAX], old[PATH_MAX + 2];
	struct stat st;

	*fd = -1;
	if (stderr_is_journal() || (fstat(2, &st) == 0 && S_ISREG(st.st_mode))) {
		snprintf(where, size, "above");
		return 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/" TREE_SERVER_LOG_FILE, cfg->state_dir) >= sizeof(path))
		return log_error(-ENAMETOOLONG, "state directory path too long: '%s'", cfg->state_dir);
	if (stat(path, &st) == 0 && st.st_size > TREE_SERVER_LOG_MAX) {
		snprintf(old, sizeof(old), "%s.1", path);
		rename(path, old);
	}
	*fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (*fd < 0) {
		snprintf(where, size, "nowhere: cannot open '%s': %s", path, strerror(errno));
		*fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		return 0;
	}
	snprintf(where, size, "in '%s'", path);
	return 0;
}

/*
 * Start the tree server, detached (its own session, not our child, holding
 * none of our terminal or pipes), and wait until it has mounted and
 * listens. Returns 0 or -errno after logging.
 */
static int server_start(const struct tree_link_config *cfg, const char *feed, const struct tree_link *take)
{
	char hex[2 * FUSEFS_INIT_MAX + 1] = "", takeovers[16] = "";
	char exe[PATH_MAX + 64], buf[8] = "", where[PATH_MAX + 64];
	int pipefd[2], status, logfd;
	struct pollfd pfd;
	pid_t pid;
	ssize_t n;

	if (libexec_find(TREE_SERVER_FILE, exe, sizeof(exe)) < 0)
		return log_error(-ENOENT, "cannot find the tree server " TREE_SERVER_FILE " in '%s' or '%s"
				 LIBEXEC_INSTALLED_SUBDIR "' (install vpowercap with 'make install')", exe, exe);
	if (server_log(cfg, &logfd, where, sizeof(where)) < 0)
		return -ENAMETOOLONG;
	for (size_t k = 0; take && k < take->init_len; k++)
		snprintf(hex + 2 * k, 3, "%02x", take->init[k]);
	if (take)
		snprintf(takeovers, sizeof(takeovers), "%u", take->takeovers + 1);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		if (logfd >= 0)
			close(logfd);
		return log_error(-errno, "cannot start the tree server: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		if (logfd >= 0)
			close(logfd);
		return log_error(-errno, "cannot start the tree server: %s", strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		char *argv[] = { exe, (char *)"--mountpoint", (char *)cfg->mountpoint, (char *)"--feed",
				 (char *)feed, (char *)"--control", (char *)cfg->control_socket,
				 (char *)"--user", (char *)cfg->user, (char *)"--reader-group",
				 (char *)cfg->reader_group, (char *)"--channel-socket",
				 (char *)(cfg->channel_socket ? cfg->channel_socket : ""), (char *)"--ready-fd",
				 (char *)"3", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				 NULL };
		static const char *const flag[FEED_HOLD_FDS] = { "--fuse-fd", "--feed-fd", "--control-fd",
								 "--channel-fd" };
		static const char *const num[FEED_HOLD_FDS] = { "4", "5", "6", "7" };
		int a = 15, high[FEED_HOLD_FDS];
		sigset_t none;

		/* out of the way of the descriptors set below (0 to 7) first */
		for (int k = 0; k < FEED_HOLD_FDS; k++)
			high[k] = take && take->held[k] >= 0 ? fcntl(take->held[k], F_DUPFD, 64) : -1;

		setsid();
		if (fork() != 0)
			_exit(0);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		if (logfd >= 0)
			dup2(logfd, 2);
		/* dup2() onto itself keeps close-on-exec: the pipe may be 3 already */
		if (pipefd[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(pipefd[1], 3) < 0)
			_exit(127);
		/* a takeover: the held descriptors as 4 to 7, said on the command line */
		for (int k = 0; take && k < FEED_HOLD_FDS; k++) {
			if (take->held[k] < 0)
				continue;
			if (high[k] < 0 || dup2(high[k], 4 + k) < 0)
				_exit(127);
			argv[a++] = (char *)flag[k];
			argv[a++] = (char *)num[k];
		}
		if (take) {
			argv[a++] = (char *)"--init";
			argv[a++] = hex;
			argv[a++] = (char *)"--takeovers";
			argv[a++] = takeovers;
		}
		close_from(take ? 4 + FEED_HOLD_FDS : 4);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execv(exe, argv);
		_exit(127);
	}
	close(pipefd[1]);
	if (logfd >= 0)
		close(logfd);
	waitpid(pid, &status, 0);
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	n = poll(&pfd, 1, SERVER_START_MS) > 0 ? read(pipefd[0], buf, sizeof(buf) - 1) : -1;
	close(pipefd[0]);
	if (n != 3 || strncmp(buf, "ok\n", 3))
		return log_error(-EIO, "the tree server did not start (see its messages %s)", where);
	if (strcmp(where, "above"))
		log_info("the tree server logs %s", where);
	return 0;
}

/* Drop the descriptors held for a next server. */
static void drop_held(struct tree_link *t)
{
	for (int k = 0; k < FEED_HOLD_FDS; k++) {
		if (t->held[k] >= 0)
			close(t->held[k]);
		t->held[k] = -1;
	}
	t->init_len = 0;
}

/*
 * Hold what the server handed on with its welcome (@rest, @len bytes after
 * the welcome: a struct feed_hold and the FUSE_INIT), for a next server to
 * take over should this one go. Anything amiss: none held.
 */
static void hold_descriptors(struct tree_link *t, const char *rest, size_t len)
{
	int fds[FEED_HOLD_FDS];
	size_t n = feed_reader_take_fds(&t->r, fds, FEED_HOLD_FDS), used = 0;
	struct feed_hold h;

	drop_held(t);
	if (len >= sizeof(h)) {
		memcpy(&h, rest, sizeof(h));
		if ((h.fds & 1u << FEED_HOLD_FUSE) && h.init_len <= FUSEFS_INIT_MAX && len == sizeof(h) + h.init_len &&
		    (size_t)__builtin_popcount(h.fds & ((1u << FEED_HOLD_FDS) - 1)) == n) {
			for (int k = 0; k < FEED_HOLD_FDS; k++)
				if (h.fds & 1u << k)
					t->held[k] = fds[used++];
			memcpy(t->init, rest + sizeof(h), h.init_len);
			t->init_len = h.init_len;
		}
	}
	for (size_t i = used; i < n; i++)
		close(fds[i]);
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

	*t = (struct tree_link){ .fd = -1, .held = { -1, -1, -1, -1 }, .cfg = *cfg };
	ret = feed_path(cfg->state_dir, &addr);
	if (ret < 0)
		return ret;
	t->fd = feed_connect(&addr);
	if (t->fd == -ENOENT || t->fd == -ECONNREFUSED) {
		ret = server_start(cfg, addr.sun_path, NULL);
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
	/* ask to hold the trees' connection, for a next server should this one go */
	ret = feed_send_flags(t->fd, FEED_HELLO, FEED_FLAG_HOLD, &hello, sizeof(hello));
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
	if (type != FEED_WELCOME || len < sizeof(w) || len > sizeof(w) + FUSEFS_INIT_MAX) {
		ret = log_error(-EPROTO, "the tree server at '%s' speaks another protocol: take it down with "
				"'vpowercapd unmount' and start again", addr.sun_path);
		goto fail;
	}
	memcpy(&w, payload, sizeof(w));
	w.mountpoint[sizeof(w.mountpoint) - 1] = '\0';
	t->counters = t->r.flags & FEED_FLAG_COUNTERS;
	t->boards = t->counters && (t->r.flags & FEED_FLAG_BOARD);
	t->push = t->r.flags & FEED_FLAG_PUSH;
	hold_descriptors(t, (const char *)payload + sizeof(w), len - sizeof(w));
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
	return 0;
fail:
	tree_link_close(t);
	return ret;
}

/*
 * A tick of the same shape as the last snapshot goes on the board alone,
 * unless the server wants it pushed (channel peers) or an announcement
 * was taken in since (the server drops what it held of it): then as
 * COUNTERS too, after the board, which is never behind them. A new shape
 * goes as a SNAPSHOT, then a new board of that shape; the old one stays
 * in the server as last written, for the snapshots that still use it.
 */
int tree_link_publish_view(struct tree_link *t, const struct ledger_view *v)
{
	struct feed_board msg;
	uint64_t shape;
	bool whole;
	int ret, fd;

	if (t->fd < 0)
		return -ENOTCONN;
	if (!t->counters)
		return share_snapshot_send(v, t->fd, t->announced_seq, NULL);
	shape = share_shape(v);
	whole = t->shape_sent != shape;  /* a SNAPSHOT goes, and a board after it */
	if (!whole && t->board.h && t->board_shape == shape) {
		share_board_write(v, &t->board);
		if (!t->push && t->announced_sent == t->announced_seq)
			return 0;
	}
	ret = share_send_shaped(v, t->fd, t->announced_seq, shape, &t->shape_sent);
	if (ret < 0 || !t->boards || !whole)
		goto sent;
	board_unmap(&t->board);
	ret = share_board_new(v, shape, &t->board, &fd);
	if (ret < 0) {
		/* the values go as COUNTERS, as to a server without boards */
		log_warning("no board for the tree server (%s): each tick's values go through the feed",
			    strerror(-ret));
		t->boards = false;
		ret = 0;
		goto sent;
	}
	msg = (struct feed_board){ .shape = shape, .nzones = t->board.nzones, .nvms = t->board.nvms };
	ret = feed_send_fds(t->fd, FEED_BOARD, 0, &msg, sizeof(msg), &fd, 1);
	close(fd);
	t->board_shape = shape;
	if (ret < 0)
		board_unmap(&t->board);
sent:
	if (ret == 0)
		t->announced_sent = t->announced_seq;
	return ret;
}

bool tree_link_buffered(const struct tree_link *t)
{
	return feed_reader_buffered(&t->r);
}

int tree_link_poll(struct tree_link *t, struct feed_announce *a)
{
	enum feed_type type;
	const void *payload;
	size_t len;
	int ret;

	if (t->fd < 0)
		return -ENOTCONN;
	/* a push request is taken in on the way to the next announcement */
	while ((ret = feed_read(t->fd, &t->r, &type, &payload, &len)) > 0 && type == FEED_PUSH) {
		uint32_t on;

		if (len != sizeof(on))
			return -EPROTO;
		memcpy(&on, payload, sizeof(on));
		t->push = on;
	}
	if (ret <= 0)
		return ret;
	if (type == FEED_HANDOVER)
		return -ESHUTDOWN;  /* the server stops now, for the next one */
	if (type == FEED_SHUTDOWN) {
		/* taken down on purpose (SIGTERM): no next server */
		drop_held(t);
		return -ENODEV;
	}
	if (type != FEED_ANNOUNCE || len != sizeof(*a))
		return -EPROTO;
	memcpy(a, payload, sizeof(*a));
	a->name[sizeof(a->name) - 1] = '\0';
	a->uuid[sizeof(a->uuid) - 1] = '\0';
	return 1;
}

void tree_link_close(struct tree_link *t)
{
	board_unmap(&t->board);
	if (t->fd >= 0)
		close(t->fd);
	drop_held(t);
	feed_reader_release(&t->r);
	t->fd = -1;
}

/* Whether process @pid is gone: no such process, or a zombie (its descriptors closed). */
static bool process_gone(unsigned pid)
{
	char path[64], text[256], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (!(f = fopen(path, "re")))
		return errno == ENOENT;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	paren = strrchr(text, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* Wait, up to 5 s, for server @pid to be gone: its sockets with it. */
static void wait_gone(unsigned pid)
{
	for (int i = 0; pid && i < 500 && !process_gone(pid); i++)
		usleep(10000);
}

int tree_link_take_over(struct tree_link *t)
{
	struct tree_link held = *t;
	struct sockaddr_un addr;
	int ret;

	if (t->held[FEED_HOLD_FUSE] < 0)
		return log_error(-ENOTCONN, "the tree server (pid %u) is gone and no connection of its is held: "
				 "the guests' trees went with it", t->server_pid);
	/* a connection the kernel ended (the tree unmounted) has nothing to take over */
	{
		struct pollfd pfd = { .fd = t->held[FEED_HOLD_FUSE], .events = POLLIN };

		if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLERR | POLLHUP))) {
			drop_held(t);
			return log_error(-ENOTCONN, "the tree server (pid %u) is gone and its connection ended: "
					 "the guests' trees went with it", t->server_pid);
		}
	}
	/* ours alone now: the feed connection closed, the descriptors kept */
	for (int k = 0; k < FEED_HOLD_FDS; k++)
		t->held[k] = -1;
	tree_link_close(t);
	held.fd = -1;
	held.r = (struct feed_reader){ 0 };
	wait_gone(held.server_pid);
	if (!process_gone(held.server_pid)) {
		/*
		 * It ended the feed but runs on: never a second server on the
		 * same connection. Back to this one, which hands the connection
		 * on again with its welcome.
		 */
		log_warning("the tree server (pid %u) ended the feed but runs on: feeding it again", held.server_pid);
		ret = tree_link_open(t, &held.cfg);
		if (ret == 0) {
			for (int k = 0; k < FEED_HOLD_FDS; k++)
				if (held.held[k] >= 0)
					close(held.held[k]);
			t->takeovers = held.takeovers;
			return 0;
		}
		goto failed;
	}
	ret = feed_path(held.cfg.state_dir, &addr);
	if (ret == 0)
		ret = server_start(&held.cfg, addr.sun_path, &held);
	if (ret == 0)
		ret = tree_link_open(t, &held.cfg);
failed:
	if (ret < 0) {
		/* still ours: a later try may do */
		drop_held(t);
		memcpy(t->held, held.held, sizeof(t->held));
		memcpy(t->init, held.init, held.init_len);
		t->init_len = held.init_len;
		t->takeovers = held.takeovers;
		return log_error(ret, "could not start a tree server on the guests' connection: %s", strerror(-ret));
	}
	/* the new server handed the same ones on again */
	for (int k = 0; k < FEED_HOLD_FDS; k++)
		if (held.held[k] >= 0)
			close(held.held[k]);
	t->takeovers = held.takeovers + 1;
	log_info("tree server pid %u took the guests' trees over from pid %u (%u takeovers)", t->server_pid,
		 held.server_pid, t->takeovers);
	return 0;
}
