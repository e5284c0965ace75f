// SPDX-License-Identifier: MIT
/* The tree server's feed socket, made again when removed (fuse/feed_socket.h). */
#include "fuse/feed_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/control.h"

int feed_socket_listen(struct feed_socket *fs)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char copy[PATH_MAX];
	int fd;

	snprintf(copy, sizeof(copy), "%s", fs->path);
	snprintf(fs->dir, sizeof(fs->dir), "%s", dirname(copy));
	fs->checked_ns = clock_mono_ns();
	/* unless a live server already listens there */
	if (strlen(fs->path) < sizeof(addr.sun_path)) {
		strcpy(addr.sun_path, fs->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			close(fd);
			return fs->fd = log_error(-EADDRINUSE, "a tree server already listens on '%s'", fs->path);
		}
		if (fd >= 0)
			close(fd);
	}
	return fs->fd = unix_listen(fs->path, "feed");
}

int feed_socket_adopt(struct feed_socket *fs, int fd)
{
	char copy[PATH_MAX];

	snprintf(copy, sizeof(copy), "%s", fs->path);
	snprintf(fs->dir, sizeof(fs->dir), "%s", dirname(copy));
	fs->checked_ns = clock_mono_ns();
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fs->fd = fd;
}

void feed_socket_recheck(struct feed_socket *fs)
{
	uint64_t now = clock_mono_ns();
	struct stat st;
	int fd;

	if (now - fs->checked_ns < 1000000000ull)
		return;
	fs->checked_ns = now;
	if (lstat(fs->path, &st) == 0 || errno != ENOENT)
		return;  /* there (ours, or another's: not ours to take) */
	if (stat(fs->dir, &st) < 0) {
		complain(&fs->lost, LOG_LEVEL_ERROR, "the state directory '%s' is gone: no daemon can reach "
			 "this tree until it is back", fs->dir);
		return;
	}
	fd = unix_listen(fs->path, "feed");
	if (fd < 0) {
		complain(&fs->lost, LOG_LEVEL_ERROR, "the feed socket '%s' was removed and cannot be made "
			 "again: no daemon can reach this tree", fs->path);
		return;
	}
	close(fs->fd);
	fs->fd = fd;
	complaint_release(&fs->lost, "listening on '%s' again", fs->path);
	log_warning("the feed socket '%s' was removed: listening there again", fs->path);
}

void feed_socket_close(struct feed_socket *fs, bool remove)
{
	if (fs->fd < 0)
		return;
	close(fs->fd);
	fs->fd = -1;
	if (remove)
		unlink(fs->path);
}
