// SPDX-License-Identifier: MIT
/* The tree server's channel socket (fuse/channel_server.h). */
#include "fuse/channel_server.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/log.h"
#include "common/qemu_cmdline.h"

int channel_server_listen(struct channel_server *cs, const char *path, uid_t uid, gid_t gid)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	*cs = (struct channel_server){ .fd = -1, .proc_root = "/proc" };
	if (strlen(path) >= sizeof(addr.sun_path) || strlen(path) >= sizeof(cs->path))
		return log_error(-ENAMETOOLONG, "channel socket path too long: '%s'", path);
	strcpy(addr.sun_path, path);
	strcpy(cs->path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_error(-errno, "cannot create the channel socket: %s", strerror(errno));
	unlink(path);  /* left by a server that did not exit cleanly */
	/*
	 * The mode comes from the umask at bind(): no chmod by path, which a
	 * link put in its place could lead elsewhere. The owner is set on the
	 * socket file just made, not following a link either.
	 */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = -errno;

		umask(old);
		close(fd);
		return log_error(err, "cannot listen on '%s': %s", path, strerror(-err));
	}
	umask(old);
	if (fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 || listen(fd, 64) < 0) {
		int err = -errno;

		close(fd);
		unlink(path);
		return log_error(err, "cannot listen on '%s': %s", path, strerror(-err));
	}
	channel_server_adopt(cs, path, fd);
	return 0;
}

void channel_server_adopt(struct channel_server *cs, const char *path, int fd)
{
	struct rlimit rl;

	if (cs->fd != fd)
		*cs = (struct channel_server){ .fd = -1, .proc_root = "/proc" };
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* a connection per VM: as many as the hard limit allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cs->fd = fd;
}

void channel_server_set_source(struct channel_server *cs, const char *host, uint64_t epoch)
{
	if (cs->have_source && !strcmp(cs->host, host) && cs->epoch == epoch)
		return;
	snprintf(cs->host, sizeof(cs->host), "%s", host);
	cs->epoch = epoch;
	cs->have_source = true;
	log_info("channel: frames are sent as host '%s', counters' epoch %" PRIu64, host, epoch);
}

/* The UUID of the VM whose qemu is process @pid, from its command line. */
static int peer_uuid(const struct channel_server *cs, pid_t pid, char *uuid, size_t size)
{
	static char buf[128 * 1024];
	struct qemu_cmdline vm = { 0 };
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/cmdline", cs->proc_root, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	if (!qemu_cmdline_parse(buf, (size_t)n, pid, 0, &vm) || !strncmp(vm.uuid, "pid-", 4))
		return -EINVAL;
	snprintf(uuid, size, "%s", vm.uuid);
	return 0;
}

void channel_server_accept(struct channel_server *cs)
{
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct channel_conn *c;
		char uuid[TREE_UUID_MAX];
		int fd = accept4(cs->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warning("channel: cannot take a connection: %s", strerror(errno));
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    peer_uuid(cs, cred.pid, uuid, sizeof(uuid)) < 0) {
			cs->refused++;
			log_warning("channel: refused a connection from pid %d (uid %u): not a qemu process with a "
				    "VM's UUID", (int)cred.pid, (unsigned)cred.uid);
			close(fd);
			continue;
		}
		if (cs->nconns >= CHANNEL_SERVER_CONNS_MAX || ALLOC_GROW(cs->conns, cs->nconns + 1, cs->alloc) < 0) {
			cs->refused++;
			log_warning("channel: refused VM %s: %zu connections already", uuid, cs->nconns);
			close(fd);
			continue;
		}
		/*
		 * A small send buffer: a guest that stops reading holds at most
		 * this much of the host's memory (with thousands of VMs), which
		 * is still a few dozen frames to catch up on.
		 */
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ CHANNEL_SERVER_SNDBUF }, sizeof(int));
		c = &cs->conns[cs->nconns++];
		*c = (struct channel_conn){ .fd = fd, .pid = cred.pid };
		memcpy(c->uuid, uuid, sizeof(c->uuid));
		cs->connections++;
		log_info("channel: VM %s connected (qemu pid %d)", uuid, (int)cred.pid);
	}
}

static void conn_close(struct channel_server *cs, size_t i, const char *why)
{
	struct channel_conn *c = &cs->conns[i];

	log_info("channel: VM %s (qemu pid %d) %s", c->uuid, (int)c->pid, why);
	close(c->fd);
	free(c->rest);
	cs->conns[i] = cs->conns[--cs->nconns];
}

/*
 * Whatever the guest wrote into its port: at most CHANNEL_SERVER_DRAIN
 * bytes, read and thrown away, and then nothing more until the next
 * tick. A guest that writes more fills its own buffers, not the server's
 * time.
 */
void channel_server_event(struct channel_server *cs, size_t i, short revents)
{
	char sink[CHANNEL_SERVER_DRAIN];
	struct channel_conn *c;
	ssize_t n = 0;

	if (i >= cs->nconns)
		return;
	c = &cs->conns[i];
	if (revents & POLLIN) {
		n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n > 0)
			cs->drained += (uint64_t)n;
		c->muted = true;
	}
	if (n == 0 && (revents & (POLLHUP | POLLERR | POLLIN)))
		conn_close(cs, i, "disconnected");
}

/* Send what is left of a frame; true when nothing is left. */
static bool send_rest(struct channel_conn *c)
{
	ssize_t n = send(c->fd, c->rest, c->rest_len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n > 0) {
		memmove(c->rest, c->rest + n, c->rest_len - (size_t)n);
		c->rest_len -= (size_t)n;
	}
	if (c->rest_len)
		return false;
	free(c->rest);
	c->rest = NULL;
	return true;
}

/*
 * The layout of this snapshot's frames into @e, and in @order which of
 * its zones each frame zone is: parents before their subzones, by depth,
 * in the snapshot's order. Returns 0 or -EINVAL.
 */
static int frame_layout(const struct channel_server *cs, const struct tree_snapshot *s, struct channel_encoder *e,
			size_t *order)
{
	struct channel_frame f = { .epoch = cs->epoch };
	size_t n = 0;

	memcpy(f.host, cs->host, sizeof(f.host));
	for (int depth = 0; depth < 4; depth++) {
		for (size_t z = 0; z < s->nzones && n < CHANNEL_ZONES_MAX; z++) {
			int d = 0;

			for (int p = s->zones[z].parent; p >= 0 && d < 8; p = s->zones[p].parent)
				d++;
			if (d != depth)
				continue;
			snprintf(f.zones[n].id, sizeof(f.zones[n].id), "%s", s->zones[z].id);
			snprintf(f.zones[n].name, sizeof(f.zones[n].name), "%s", s->zones[z].name);
			f.zones[n].max_energy_range_uj = s->zones[z].max_energy_range_uj;
			order[n++] = z;
		}
	}
	f.nzones = n;
	return channel_encoder_init(e, &f);
}

void channel_server_send(struct channel_server *cs, const struct tree_snapshot *s)
{
	static char buf[CHANNEL_FRAME_MAX];
	static struct channel_encoder enc;
	size_t order[CHANNEL_ZONES_MAX];
	uint64_t energy[CHANNEL_ZONES_MAX];
	struct timespec now;
	uint64_t time_ms;

	if (!cs->have_source || !cs->nconns)
		return;
	if (frame_layout(cs, s, &enc, order) < 0) {
		cs->dropped += cs->nconns;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	time_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	for (size_t i = 0; i < cs->nconns; i++) {
		struct channel_conn *c = &cs->conns[i];
		const struct tree_vm *vm = tree_find_vm_dir(s, c->uuid, strlen(c->uuid));
		ssize_t n;
		int len;

		c->muted = false;  /* what it writes is drained again, once */
		if (!vm)
			continue;  /* not in the tree (yet): its counters stand still */
		if (c->rest && !send_rest(c)) {
			cs->dropped++;  /* the guest does not read: this frame is lost */
			continue;
		}
		for (size_t z = 0; z < enc.nzones; z++)
			energy[z] = tree_vm_value(s, vm, order[z]);
		len = channel_encoder_frame(&enc, time_ms, energy, buf, sizeof(buf));
		if (len < 0) {
			cs->dropped++;
			continue;
		}
		n = send(c->fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == len) {
			cs->frames++;
			continue;
		}
		if (n <= 0) {
			cs->dropped++;
			continue;
		}
		/* partly out: the rest goes first next time, or the frame is cut */
		c->rest = malloc((size_t)(len - n));
		if (!c->rest) {
			conn_close(cs, i--, "lost (out of memory)");
			continue;
		}
		memcpy(c->rest, buf + n, (size_t)(len - n));
		c->rest_len = (size_t)(len - n);
		cs->frames++;
	}
}

void channel_server_release(struct channel_server *cs, bool keep_socket)
{
	while (cs->nconns)
		conn_close(cs, cs->nconns - 1, "closed: the tree server stops");
	free(cs->conns);
	cs->conns = NULL;
	cs->alloc = 0;
	if (cs->fd >= 0) {
		close(cs->fd);
		if (!keep_socket)  /* handed on: the next server listens there */
			unlink(cs->path);
		cs->fd = -1;
	}
}
