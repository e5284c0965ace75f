// SPDX-License-Identifier: MIT
/*
 * The daemon's admin side of the feed: asking a running tree server for
 * its status or the values it serves, taking the trees down, and checking
 * a mountpoint before the daemon starts (host/treelink.h).
 */
#include "host/treelink.h"

#include <dirent.h>
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
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "host/share.h"
#include "host/treelink_i.h"

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

int tree_link_admin(const char *state_dir, enum tree_admin what)
{
	static const enum feed_type ask[] = { [TREE_ADMIN_STATUS] = FEED_STATUS, [TREE_ADMIN_UNMOUNT] = FEED_SHUTDOWN,
					      [TREE_ADMIN_HANDOVER] = FEED_HANDOVER };
	bool shutdown = what == TREE_ADMIN_UNMOUNT;
	struct feed_reader r = { 0 };
	struct sockaddr_un addr;
	enum feed_type type;
	const void *payload;
	size_t len;
	int fd, ret, status = 1;

	fd = admin_connect(state_dir, &r, &addr);
	if (fd == -ENOENT) {
		printf("no tree server runs for '%s'\n", state_dir);
		return shutdown ? 0 : what == TREE_ADMIN_HANDOVER ? 1 : 3;
	}
	if (fd < 0) {
		feed_reader_release(&r);
		return 1;
	}
	ret = feed_send(fd, ask[what], NULL, 0);
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

/* Whether a vpowercap FUSE tree is mounted at @path (canonical), from mountinfo. */
static bool tree_mounted(const char *path)
{
	char line[PATH_MAX * 2 + 512];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char point[PATH_MAX], *sep = strstr(line, " - ");
		size_t k = 0;

		/* ID PARENT MAJ:MIN ROOT POINT ...; POINT with \040 for a space */
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 || strncmp(sep, " - fuse.vpowercap ", 18))
			continue;
		for (size_t i = 0; point[i]; i++, k++) {
			if (point[i] == '\\' && point[i + 1] >= '0' && point[i + 1] <= '7' && point[i + 2] && point[i + 3]) {
				point[k] = (char)(((point[i + 1] - '0') << 6) | ((point[i + 2] - '0') << 3) | (point[i + 3] - '0'));
				i += 3;
			} else {
				point[k] = point[i];
			}
		}
		point[k] = '\0';
		found = !strcmp(point, path);
	}
	fclose(f);
	return found;
}

/*
 * The tree server serving @mountpoint: its pid and the feed socket it was
 * started with (from its command line), or 0.
 */
static pid_t tree_server_of(const char *mountpoint, char *feed, size_t size)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char path[300], buf[8192];
		const char *arg, *mnt = NULL, *fd_path = NULL;
		ssize_t n;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		arg = strrchr(buf, '/');
		if (strcmp(arg ? arg + 1 : buf, TREE_SERVER_FILE))
			continue;
		for (arg = buf; arg < buf + n; arg += strlen(arg) + 1) {
			const char *next = arg + strlen(arg) + 1;

			if (next >= buf + n)
				break;
			if (!strcmp(arg, "--mountpoint"))
				mnt = next;
			else if (!strcmp(arg, "--feed"))
				fd_path = next;
		}
		if (mnt && fd_path && !strcmp(mnt, mountpoint)) {
			snprintf(feed, size, "%s", fd_path);
			found = (pid_t)atoi(e->d_name);
		}
	}
	closedir(d);
	return found;
}

int tree_link_check_mountpoint(const char *mountpoint, const char *state_dir)
{
	struct sockaddr_un addr;
	char real[PATH_MAX], feed[PATH_MAX] = "";
	pid_t pid;
	int fd, ret;

	ret = feed_path(state_dir, &addr);
	if (ret < 0)
		return ret;
	fd = feed_connect(&addr);
	if (fd >= 0) {
		close(fd);
		return 0;  /* this state directory's server answers: tree_link_open() checks it serves here */
	}
	if (!realpath(mountpoint, real) || !tree_mounted(real))
		return 0;
	pid = tree_server_of(mountpoint, feed, sizeof(feed));
	if (!pid && strcmp(real, mountpoint))
		pid = tree_server_of(real, feed, sizeof(feed));
	if (!pid)
		return 0;  /* a mount left by a server that is gone: mounting again replaces it */
	if (strcmp(feed, addr.sun_path)) {
		char dir[PATH_MAX];
		const char *slash = strrchr(feed, '/');

		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - feed) : 1, slash ? feed : ".");
		return log_error(-EBUSY, "'%s' is served by a tree server (pid %d) of another state directory, "
				 "'%s': its guests' counters are there. Start vpowercapd with --state-dir %s to go on "
				 "from them, or choose another mountpoint", mountpoint, (int)pid, dir, dir);
	}
	/* ours, its socket removed (an emptied state directory): it makes it again */
	log_warning("the tree server (pid %d) at '%s' lost its socket '%s': waiting for it to make it again",
		    (int)pid, mountpoint, addr.sun_path);
	for (int i = 0; i < 80; i++) {
		usleep(100000);
		fd = feed_connect(&addr);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
	}
	return log_error(-EBUSY, "the tree server (pid %d) at '%s' does not listen on '%s' again, and its "
			 "guests' counters are in it: make sure '%s' exists and its user may write there (the "
			 "server tries every 5 seconds), then start again", (int)pid, mountpoint, addr.sun_path,
			 state_dir);
}

int tree_link_seed_ledger(struct ledger *l, const char *state_dir, bool trees, bool estimate, bool reset)
{
	struct tree_snapshot *served = NULL;
	int ret;

	if (trees && tree_link_served(state_dir, &served) < 0)
		return -EPROTO;
	if (!served) {
		if (reset)
			log_warning("state: no usable saved counters in '%s' and no tree server: starting from "
				    "zero, as --reset-counters asks", state_dir);
		else
			log_info("state: no saved counters in '%s', starting from zero", state_dir);
		return 0;
	}
	ret = share_seed_ledger(l, served, estimate);
	tree_snapshot_free(served);
	if (ret < 0)
		return log_error(ret, "out of memory");
	if (reset)
		log_warning("state: no usable saved counters in '%s': as --reset-counters asks, %d VMs start at "
			    "the values their guests read now, and the rest from zero", state_dir, ret);
	else
		log_warning("state: no saved counters in '%s', but its tree server serves %d VMs: they start at "
			    "the values their guests read now, the rest from zero", state_dir, ret);
	return 0;
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
	} else if (ret < 0) {
		/* a transport failure, not a refusal: the guests keep their values; trying again is safe */
		ret = log_error(-EPROTO, "the tree server at '%s' did not send the values it serves (%s): its "
				"guests keep reading them; start again", addr.sun_path, strerror(-ret));
	} else {
		ret = log_error(-EPROTO, "the tree server at '%s' does not tell the values it serves (an older "
				"version): stop the guests, take it down with 'vpowercapd unmount', and start again",
				addr.sun_path);
	}
	feed_reader_release(&r);
	close(fd);
	return ret;
}
