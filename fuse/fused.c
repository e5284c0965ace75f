// SPDX-License-Identifier: MIT
/*
 * vpowercap-fused, the tree server: mounts the per-VM powercap trees and
 * serves the latest snapshot the daemon fed it, for as long as it lives,
 * across daemon restarts, crashes and upgrades. It is small on purpose:
 * FUSE, the feed (fuse/feed.h), the hook's control socket and the guests'
 * channels (fuse/channel_server.h); no libvirt,
 * and it never waits on the daemon. The daemon starts it when none runs
 * for its state directory; `vpowercapd unmount` takes it down.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/channel.h"
#include "common/clock.h"
#include "common/control.h"
#include "common/log.h"
#include "common/privs.h"
#include "common/users.h"
#include "common/version.h"
#include "fuse/channel_server.h"
#include "fuse/feed.h"
#include "fuse/feed_socket.h"
#include "fuse/fused_i.h"
#include "fuse/fusefs.h"
#include "fuse/tree.h"

/* Whether the base holds the VM of @uuid. */
static bool base_holds(const struct tree_snapshot *b, const char *uuid)
{
	for (size_t k = 0; b && k < b->nvms; k++)
		if (!strcmp(b->vms[k].uuid, uuid))
			return true;
	return false;
}

/*
 * Publish the daemon's last snapshot with a placeholder for each domain the
 * hook announced that it does not hold yet: the domain's directory exists
 * from the moment the hook returns, whether or not a daemon runs.
 */
int republish(struct server *sv)
{
	const struct tree_snapshot *b = sv->base;
	size_t nz = b ? b->nzones : 0, nv = b ? b->nvms : 0, extra = 0;
	struct tree_snapshot *s, *old;

	for (size_t i = 0; i < sv->npending; i++)
		extra += sv->pending[i].prepare && !base_holds(b, sv->pending[i].uuid);
	/* no placeholder: the base's shape, laid out once, and its values */
	s = b && !extra ? tree_snapshot_same_shape(b) : tree_snapshot_new(nz, nv + extra);
	if (!s)
		return log_error(-ENOMEM, "out of memory: guests keep the previous values");
	if (b && !extra)
		goto publish;
	for (size_t z = 0; z < nz; z++)
		tree_snapshot_add_zone(s, b->zones[z].id, b->zones[z].name, b->zones[z].max_energy_range_uj);
	for (size_t i = 0; i < nv; i++) {
		uint64_t *values = tree_snapshot_add_vm(s, b->vms[i].dir, b->vms[i].uuid);

		if (!values)
			goto oom;
		for (size_t z = 0; z < nz; z++)
			values[z] = tree_vm_value(b, &b->vms[i], z);
	}
	for (size_t i = 0; i < sv->npending; i++) {
		const struct pending *p = &sv->pending[i];

		if (p->prepare && !base_holds(b, p->uuid) && !tree_snapshot_add_vm(s, p->name, p->uuid))
			goto oom;
	}
	tree_snapshot_finish(s);
	/* the daemon's VMs come first, in its order: the board's rows */
	if (b)
		tree_snapshot_attach_board(s, b->board);
publish:
	old = tree_get(&sv->tree);
	publisher_publish(&sv->tree, &s->pub);
	/* names that now lead elsewhere are dropped after the new tree is out */
	fusefs_changed(sv->fs, old, s);
	tree_put(&sv->tree, old);
	return 0;
oom:
	tree_snapshot_free(s);
	return log_error(-ENOMEM, "out of memory: guests keep the previous values");
}

void client_close(struct server *sv, int i, const char *why)
{
	struct client *c = &sv->clients[i];

	if (i == sv->daemon) {
		sv->daemon = -1;
		sv->daemon_left_ns = clock_mono_ns();
		log_warning("the daemon (pid %u) %s: guests read the last values until one is back", c->pid, why);
	} else if (c->role) {
		log_debug("client pid %u: %s", c->pid, why);
	}
	close(c->fd);
	feed_reader_release(&c->r);
	free(c->out);
	*c = (struct client){ .fd = -1 };
	if (i == sv->shutdown_client)
		sv->shutdown_client = -1;
}

static int send_announce(struct server *sv, const struct pending *p)
{
	struct feed_announce a = { .seq = p->seq, .prepare = p->prepare };

	memcpy(a.name, p->name, sizeof(a.name));
	memcpy(a.uuid, p->uuid, sizeof(a.uuid));
	return feed_send(sv->clients[sv->daemon].fd, FEED_ANNOUNCE, &a, sizeof(a));
}

/* Whether the peer of client @i runs as root or as this server: may hold the FUSE connection. */
static bool peer_trusted(const struct server *sv, int i)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(sv->clients[i].fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

/*
 * Welcome client @i. A daemon that asked to hold the FUSE connection
 * (FEED_FLAG_HOLD) gets its descriptor with the welcome, and the kernel's
 * FUSE_INIT after it, once the kernel has sent it.
 */
static void welcome(struct server *sv, int i, bool hold)
{
	uint64_t now = clock_mono_ns();
	struct feed_welcome w = {
		.pid = (uint32_t)getpid(),
		.daemons = sv->daemons,
		.up_ns = now - sv->started_ns,
		.stalled_ns = last_values_ns(sv) ? now - last_values_ns(sv) : 0,
		.longest_stall_ns = sv->longest_stall_ns,
		.snapshots = sv->snapshots,
	};
	unsigned char msg[sizeof(w) + sizeof(struct feed_hold) + FUSEFS_INIT_MAX];
	uint32_t flags = FEED_FLAG_COUNTERS | FEED_FLAG_BOARD;
	struct fusefs_takeover conn;
	int ret;

	if (hold || sv->clients[i].role == FEED_ROLE_DAEMON) {
		sv->clients[i].push = sv->chan.nconns > 0;
		if (sv->clients[i].push)
			flags |= FEED_FLAG_PUSH;
	}

	snprintf(w.mountpoint, sizeof(w.mountpoint), "%s", sv->mountpoint);
	memcpy(msg, &w, sizeof(w));
	if (hold && peer_trusted(sv, i) && fusefs_connection(sv->fs, &conn) == 0) {
		const int mine[FEED_HOLD_FDS] = { conn.fd, sv->feed.fd, sv->control_fd, sv->chan.fd };
		struct feed_hold h = { .init_len = (uint32_t)conn.init_len };
		int fds[FEED_HOLD_FDS];
		size_t n = 0;

		for (int k = 0; k < FEED_HOLD_FDS; k++) {
			if (mine[k] >= 0) {
				h.fds |= 1u << k;
				fds[n++] = mine[k];
			}
		}
		memcpy(msg + sizeof(w), &h, sizeof(h));
		memcpy(msg + sizeof(w) + sizeof(h), conn.init, conn.init_len);
		ret = feed_send_fds(sv->clients[i].fd, FEED_WELCOME, flags | FEED_FLAG_HOLD, msg,
				    sizeof(w) + sizeof(h) + conn.init_len, fds, n);
		sv->clients[i].holds = ret == 0;
	} else {
		ret = feed_send_flags(sv->clients[i].fd, FEED_WELCOME, flags, &w, sizeof(w));
	}
	if (ret < 0)
		client_close(sv, i, "left before the welcome");
}

void refuse(struct server *sv, int i, const char *why)
{
	feed_send(sv->clients[i].fd, FEED_REFUSED, why, strlen(why));
	client_close(sv, i, "refused");
}

/* Who the channels' frames say they come from: the daemon wrote it. */
static void load_source(struct server *sv)
{
	char host[CHANNEL_HOST_MAX];
	uint64_t epoch;
	int ret;

	if (sv->chan.fd < 0)
		return;
	ret = channel_source_load(sv->feed.dir, host, &epoch);
	if (ret == 0)
		channel_server_set_source(&sv->chan, host, epoch);
	else if (!sv->chan.have_source)
		log_warning("channel: no usable '%s/" CHANNEL_SOURCE_FILE "' (a daemon older than this server?): "
			    "no frames until a daemon writes it", sv->feed.dir);
}

static void on_hello(struct server *sv, int i, const void *payload, size_t len)
{
	struct client *c = &sv->clients[i];
	struct feed_hello h;
	char why[160];

	if (len != sizeof(h)) {
		client_close(sv, i, "sent a bad hello");
		return;
	}
	memcpy(&h, payload, sizeof(h));
	c->pid = h.pid;
	if (h.role == FEED_ROLE_ADMIN) {
		c->role = FEED_ROLE_ADMIN;
		welcome(sv, i, false);
		return;
	}
	if (h.role != FEED_ROLE_DAEMON) {
		client_close(sv, i, "sent a bad hello");
		return;
	}
	if (sv->daemon >= 0) {
		snprintf(why, sizeof(why), "another vpowercapd (pid %u) feeds the tree at '%s'",
			 sv->clients[sv->daemon].pid, sv->mountpoint);
		refuse(sv, i, why);
		return;
	}
	c->role = FEED_ROLE_DAEMON;
	sv->daemon = i;
	load_source(sv);
	welcome(sv, i, c->r.flags & FEED_FLAG_HOLD);
	if (sv->clients[i].fd < 0)
		return;
	if (last_values_ns(sv))
		log_info("daemon pid %u feeds the tree; counters stood still for %.1f s", c->pid,
			 (double)(clock_mono_ns() - last_values_ns(sv)) / 1e9);
	else
		log_info("daemon pid %u feeds the tree", c->pid);
	sv->daemons++;
	for (size_t k = 0; k < sv->npending && sv->daemon >= 0; k++)
		if (send_announce(sv, &sv->pending[k]) < 0)
			client_close(sv, i, "did not take the announcements");
}

static void on_message(struct server *sv, int i, enum feed_type type, const void *payload, size_t len)
{
	struct client *c = &sv->clients[i];

	if (!c->role) {
		if (type == FEED_HELLO)
			on_hello(sv, i, payload, len);
		else
			client_close(sv, i, "spoke before its hello");
		return;
	}
	if (c->role == FEED_ROLE_DAEMON && (type == FEED_SNAPSHOT || type == FEED_COUNTERS)) {
		on_snapshot(sv, i, type, payload, len);
	} else if (c->role == FEED_ROLE_DAEMON && type == FEED_BOARD) {
		on_board(sv, i, payload, len);
	} else if (c->role == FEED_ROLE_ADMIN && type == FEED_STATUS) {
		on_status(sv, i);
	} else if (c->role == FEED_ROLE_ADMIN && type == FEED_VALUES) {
		on_values(sv, i);
	} else if (c->role == FEED_ROLE_ADMIN && type == FEED_HANDOVER) {
		on_handover(sv, i);
	} else if (c->role == FEED_ROLE_ADMIN && type == FEED_SHUTDOWN) {
		if (sv->daemon >= 0) {
			char why[160];

			snprintf(why, sizeof(why), "vpowercapd (pid %u) still feeds the tree: stop it first",
				 sv->clients[sv->daemon].pid);
			refuse(sv, i, why);
			return;
		}
		log_info("taking the tree down, as pid %u asked", c->pid);
		sv->stop = true;
		sv->shutdown_client = i;
	} else {
		client_close(sv, i, "sent an unexpected message");
	}
}

static void on_readable(struct server *sv, int i)
{
	for (;;) {
		enum feed_type type;
		const void *payload;
		size_t len;
		int ret = feed_read(sv->clients[i].fd, &sv->clients[i].r, &type, &payload, &len);

		if (ret == 0)
			return;
		if (ret < 0) {
			client_close(sv, i, ret == -ECONNRESET ? "went away" : "broke the feed");
			return;
		}
		on_message(sv, i, type, payload, len);
		if (sv->clients[i].fd < 0 || sv->stop || feed_reader_idle(&sv->clients[i].r))
			return;
	}
}

static void on_connection(struct server *sv)
{
	int fd = accept4(sv->feed.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < CLIENTS_MAX; i++) {
		if (sv->clients[i].fd < 0) {
			sv->clients[i].fd = fd;
			sv->clients[i].since_ns = clock_mono_ns();
			return;
		}
	}
	log_warning("feed: %d connections already: one more refused", CLIENTS_MAX);
	close(fd);
}

/* Keep @a (the latest of its domain), forward it, and show its directory. */
static void announce(struct server *sv, const struct control_request *req)
{
	struct pending *p = NULL;

	for (size_t k = 0; k < sv->npending && !p; k++)
		if (!strcmp(sv->pending[k].uuid, req->uuid))
			p = &sv->pending[k];
	if (!p) {
		if (sv->npending == PENDING_MAX) {
			log_warning("%d announcements wait for a daemon: the oldest is dropped", PENDING_MAX);
			memmove(sv->pending, sv->pending + 1, (sv->npending - 1) * sizeof(*sv->pending));
			sv->npending--;
		}
		if (ALLOC_GROW(sv->pending, sv->npending + 1, sv->pending_alloc) < 0) {
			log_warning("out of memory: the announcement of '%s' is lost", req->name);
			return;
		}
		p = &sv->pending[sv->npending++];
	}
	p->seq = ++sv->next_seq;
	p->prepare = req->op == CONTROL_PREPARE;
	snprintf(p->name, sizeof(p->name), "%s", req->name);
	snprintf(p->uuid, sizeof(p->uuid), "%s", req->uuid);
	republish(sv);
	if (sv->daemon >= 0 && send_announce(sv, p) < 0)
		client_close(sv, sv->daemon, "did not take an announcement");
	else if (sv->daemon < 0)
		log_info("domain '%s' (%s) %s: held until a daemon is back", p->name, p->uuid,
			 p->prepare ? "starting" : "ended");
}

/* A connection on the control socket: its line is read as it comes (on_control_line). */
static void on_control(struct server *sv)
{
	for (int j = 0; j < CONTROL_CONNS_MAX; j++) {
		if (sv->control[j].fd < 0) {
			control_conn_accept(sv->control_fd, &sv->control[j], clock_mono_ns());
			return;
		}
	}
	/* every place taken by clients slower than a second: the newest waits in the backlog */
}

static void on_control_line(struct server *sv, int j)
{
	struct control_request req;

	if (control_conn_read(&sv->control[j], &req) != 1)
		return;
	if (req.op != CONTROL_PING)
		announce(sv, &req);
	control_reply(sv->control[j].fd, "ok");
	sv->control[j].fd = -1;
}

/*
 * Who took too long: a control client whose line is not whole within a
 * second, a feed connection that said no hello within two. Neither holds
 * a place, nor the loop, any longer.
 */
static void expire(struct server *sv)
{
	uint64_t now = clock_mono_ns();

	for (int j = 0; j < CONTROL_CONNS_MAX; j++)
		if (sv->control[j].fd >= 0 && now > sv->control[j].deadline_ns)
			control_conn_close(&sv->control[j]);
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (sv->clients[i].fd >= 0 && !sv->clients[i].role && now - sv->clients[i].since_ns > HELLO_WAIT_NS)
			client_close(sv, i, "said no hello in time");
}

/* Owners of the loop's descriptors, besides the feed's clients (>= 0). */
enum {
	OWNER_SIGNAL = -1,
	OWNER_FEED = -2,
	OWNER_CONTROL = -3,
	OWNER_CHANNEL = -4,
	OWNER_CHANNEL_CONN = -5,  /* and below: connection OWNER_CHANNEL_CONN - owner */
	OWNER_CONTROL_CONN = CLIENTS_MAX,  /* and above: control connection owner - OWNER_CONTROL_CONN */
};

/* How long an idle server sleeps: feed_socket_recheck() looks no more often. */
#define IDLE_POLL_MS 5000

/* A server that took over and got no tree within this long answers with what it has. */
#define TAKEOVER_WAIT_NS (10 * NSEC_PER_SEC)

static void serve(struct server *sv)
{
	while (!sv->stop) {
		if (!fusefs_serving(sv->fs) && clock_mono_ns() - sv->started_ns > TAKEOVER_WAIT_NS) {
			log_warning("no daemon fed this server within 10 s of its takeover: answering with an empty tree");
			fusefs_serve(sv->fs);
		}
		size_t want = 4 + CLIENTS_MAX + CONTROL_CONNS_MAX + sv->chan.nconns;
		bool waiting = false;  /* someone has a deadline: look at the clock often */
		struct pollfd *pfd;
		int *owner;
		nfds_t n = 0;

		if (ALLOC_GROW(sv->pfd, want, sv->pfd_alloc) < 0 || ALLOC_GROW(sv->owner, want, sv->owner_alloc) < 0) {
			log_error(-ENOMEM, "out of memory");
			return;
		}
		pfd = sv->pfd;
		owner = sv->owner;
		pfd[n] = (struct pollfd){ .fd = sv->sig_fd, .events = POLLIN };
		owner[n++] = OWNER_SIGNAL;
		pfd[n] = (struct pollfd){ .fd = sv->feed.fd, .events = POLLIN };
		owner[n++] = OWNER_FEED;
		if (sv->control_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = sv->control_fd, .events = POLLIN };
			owner[n++] = OWNER_CONTROL;
		}
		if (sv->chan.fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = sv->chan.fd, .events = POLLIN };
			owner[n++] = OWNER_CHANNEL;
		}
		for (int i = 0; i < CLIENTS_MAX; i++) {
			if (sv->clients[i].fd >= 0) {
				pfd[n] = (struct pollfd){ .fd = sv->clients[i].fd,
							  .events = POLLIN | (sv->clients[i].out ? POLLOUT : 0) };
				owner[n++] = i;
				waiting |= !sv->clients[i].role;
			}
		}
		for (int j = 0; j < CONTROL_CONNS_MAX; j++) {
			if (sv->control[j].fd >= 0) {
				pfd[n] = (struct pollfd){ .fd = sv->control[j].fd, .events = POLLIN };
				owner[n++] = OWNER_CONTROL_CONN + j;
				waiting = true;
			}
		}
		for (size_t i = 0; i < sv->chan.nconns; i++) {
			/* what a guest writes is drained once a tick, then hang-ups alone */
			pfd[n] = (struct pollfd){ .fd = sv->chan.conns[i].fd,
						  .events = sv->chan.conns[i].muted ? 0 : POLLIN };
			owner[n++] = OWNER_CHANNEL_CONN - (int)i;
		}
		/*
		 * Idle, the server wakes only to look for its socket's file
		 * (feed_socket_recheck()): a tick whose values go on the board
		 * does not wake it, and neither should the clock.
		 */
		if (poll(pfd, n, waiting ? 100 : !fusefs_serving(sv->fs) ? 1000 : IDLE_POLL_MS) < 0) {
			if (errno == EINTR)
				continue;
			log_error(-errno, "poll: %s", strerror(errno));
			return;
		}
		feed_socket_recheck(&sv->feed);
		expire(sv);
		/* channel connections last, and from the end: closing one moves the last into its place */
		for (nfds_t k = 0; k < n && !sv->stop; k++) {
			if (!pfd[k].revents || owner[k] <= OWNER_CHANNEL_CONN)
				continue;
			if (owner[k] == OWNER_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(sv->sig_fd, &si, sizeof(si)) == sizeof(si)) {
					log_info("signal %u: taking the tree down", si.ssi_signo);
					sv->stop = true;
				}
			} else if (owner[k] == OWNER_FEED) {
				on_connection(sv);
			} else if (owner[k] == OWNER_CONTROL) {
				on_control(sv);
			} else if (owner[k] == OWNER_CHANNEL) {
				channel_server_accept(&sv->chan);
			} else if (owner[k] >= OWNER_CONTROL_CONN) {
				if (sv->control[owner[k] - OWNER_CONTROL_CONN].fd == pfd[k].fd)
					on_control_line(sv, owner[k] - OWNER_CONTROL_CONN);
			} else if (sv->clients[owner[k]].fd == pfd[k].fd) {
				if ((pfd[k].revents & POLLOUT) && !client_flush(sv, owner[k]))
					continue;
				if (pfd[k].revents & ~POLLOUT)
					on_readable(sv, owner[k]);
			}
		}
		for (nfds_t k = n; k-- > 0 && !sv->stop;) {
			size_t i = (size_t)(OWNER_CHANNEL_CONN - owner[k]);

			if (pfd[k].revents && owner[k] <= OWNER_CHANNEL_CONN && i < sv->chan.nconns &&
			    sv->chan.conns[i].fd == pfd[k].fd)
				channel_server_event(&sv->chan, i, pfd[k].revents);
		}
		push_update(sv);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vpowercap-fused --mountpoint DIR --feed PATH [--control PATH] [--user NAME]\n"
		   "                       [--reader-group GROUP] [--channel-socket PATH] [--ready-fd N]\n"
		   "                       [--fuse-fd N --init HEX [--feed-fd N] [--control-fd N]\n"
		   "                        [--channel-fd N] [--takeovers N]]\n"
		   "The tree server of vpowercapd, which starts it: see vpowercapd(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mountpoint", required_argument, NULL, 'm' },
		{ "feed", required_argument, NULL, 'f' },
		{ "control", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "reader-group", required_argument, NULL, 'g' },
		{ "channel-socket", required_argument, NULL, 'C' },
		{ "fuse-fd", required_argument, NULL, 'T' },
		{ "feed-fd", required_argument, NULL, 'F' },
		{ "control-fd", required_argument, NULL, 'K' },
		{ "channel-fd", required_argument, NULL, 'H' },
		{ "init", required_argument, NULL, 'I' },
		{ "takeovers", required_argument, NULL, 'N' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server sv = { .feed.fd = -1, .control_fd = -1, .sig_fd = -1, .daemon = -1,
			     .shutdown_client = -1, .control_path = "" };
	int ready_fd = -1, opt, ret = 1;
	const char *reader_group = "", *channel_socket = "", *init_hex = "";
	struct fusefs_takeover take = { .fd = -1 };
	int feed_fd = -1, control_fd = -1, channel_fd = -1;
	unsigned char init[FUSEFS_INIT_MAX];
	gid_t reader_gid = FUSEFS_NO_GROUP;
	sigset_t mask;

	alloc_one_arena();
	log_set_program("vpowercap-fused");
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': sv.mountpoint = optarg; break;
		case 'f': sv.feed.path = optarg; break;
		case 'c': sv.control_path = optarg; break;
		case 'u': sv.user = optarg; break;
		case 'r': ready_fd = atoi(optarg); break;
		case 'g': reader_group = optarg; break;
		case 'C': channel_socket = optarg; break;
		case 'T': take.fd = atoi(optarg); break;
		case 'F': feed_fd = atoi(optarg); break;
		case 'K': control_fd = atoi(optarg); break;
		case 'H': channel_fd = atoi(optarg); break;
		case 'I': init_hex = optarg; break;
		case 'N': sv.takeovers = (unsigned)atoi(optarg); break;
		case 'V': printf("vpowercap-fused %s\n", VPOWERCAP_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!sv.mountpoint || !sv.feed.path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (take.fd >= 0) {
		size_t n = strlen(init_hex) / 2;

		for (size_t k = 0; k < n && k < sizeof(init); k++)
			if (sscanf(init_hex + 2 * k, "%2hhx", &init[k]) != 1)
				n = 0;
		if (!n || n > sizeof(init) || strlen(init_hex) % 2) {
			log_error(-EINVAL, "--fuse-fd needs --init, the connection's FUSE_INIT in hex");
			return 2;
		}
		take.init = init;
		take.init_len = n;
	}
	/* handed on by the daemon: ours, and none of a child's */
	for (int *fd = (int[]){ take.fd, feed_fd, control_fd, channel_fd, -2 }; *fd != -2; fd++)
		if (*fd >= 0)
			fcntl(*fd, F_SETFD, FD_CLOEXEC);
	if (reader_group[0]) {
		if (users_find_group(reader_group, &reader_gid) < 0) {
			log_error(-ENOENT, "reader group '%s' does not exist (create it, or name another)",
				  reader_group);
			return 2;
		}
	}
	for (int i = 0; i < CLIENTS_MAX; i++)
		sv.clients[i].fd = -1;
	for (int j = 0; j < CONTROL_CONNS_MAX; j++)
		sv.control[j].fd = -1;
	sv.chan.fd = -1;

	/* Signals come through a descriptor, and to no FUSE thread. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sv.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sv.started_ns = clock_mono_ns();
	sv.started_at = time(NULL);

	if ((feed_fd >= 0 ? feed_socket_adopt(&sv.feed, feed_fd) : feed_socket_listen(&sv.feed)) < 0 ||
	    sv.sig_fd < 0 || tree_publisher_init(&sv.tree) < 0)
		goto out;
	sv.fs = fusefs_start(sv.mountpoint, &sv.tree, reader_gid, take.fd >= 0 ? &take : NULL);
	if (!sv.fs)
		goto out_tree;
	if (control_fd >= 0)
		sv.control_fd = control_fd;
	else if (sv.control_path[0] && (sv.control_fd = control_listen(sv.control_path)) < 0)
		goto out_fs;
	if (channel_socket[0]) {
		uid_t uid = (uid_t)-1;
		gid_t gid;

		if (sv.user && users_find(sv.user, &uid, &gid) < 0)
			uid = (uid_t)-1;

		if (channel_fd >= 0)
			channel_server_adopt(&sv.chan, channel_socket, channel_fd);
		else if (channel_server_listen(&sv.chan, channel_socket, uid,
					       reader_gid != FUSEFS_NO_GROUP ? reader_gid : (gid_t)-1) < 0)
			goto out_fs;
		load_source(&sv);
	}
	/*
	 * The feed socket is the daemon's user's, who reaches it again after
	 * dropping root when a next server takes over; root's only otherwise.
	 */
	if (feed_fd < 0 && sv.user && geteuid() == 0) {
		uid_t uid;
		gid_t gid;

		if (users_find(sv.user, &uid, &gid) == 0 && fchownat(AT_FDCWD, sv.feed.path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			log_warning("cannot give the feed socket '%s' to user '%s': %s", sv.feed.path, sv.user,
				    strerror(errno));
	}
	if (sv.user && privs_drop(sv.user, true) < 0)
		goto out_fs;
	if (ready_fd >= 0) {
		if (write(ready_fd, "ok\n", 3) != 3)
			log_warning("the daemon did not wait for the server to be ready");
		close(ready_fd);
	}
	serve(&sv);
	ret = 0;
	/* taken down on purpose: the daemon is told, and starts no next server */
	if (!sv.handed_over && sv.daemon >= 0)
		feed_send(sv.clients[sv.daemon].fd, FEED_SHUTDOWN, NULL, 0);
	if (!sv.handed_over)
		fusefs_stop(sv.fs);
	goto out_tree;
out_fs:
	/* one that failed to take over leaves the connection to its holder */
	if (take.fd < 0)
		fusefs_stop(sv.fs);
out_tree:
	sv.daemon = -1;  /* told below, like every client */
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (sv.clients[i].fd >= 0 && i != sv.shutdown_client)
			client_close(&sv, i, "told the tree is down");
	if (sv.shutdown_client >= 0) {
		char text[4200];

		snprintf(text, sizeof(text), "unmounted %s\n", sv.mountpoint);
		feed_send(sv.clients[sv.shutdown_client].fd, FEED_STATUS, text, strlen(text));
		client_close(&sv, sv.shutdown_client, "asked the tree down");
	}
	channel_server_release(&sv.chan, sv.handed_over);
	for (int j = 0; j < CONTROL_CONNS_MAX; j++)
		control_conn_close(&sv.control[j]);
	free(sv.pfd);
	free(sv.owner);
	publisher_release(&sv.tree);
	tree_snapshot_free(sv.base);
	free(sv.pending);
	if (sv.control_fd >= 0) {
		close(sv.control_fd);
		/* the hook then says at once that nothing answers (where we may); not when handed on */
		if (!sv.handed_over)
			unlink(sv.control_path);
	}
out:
	feed_socket_close(&sv.feed, ret == 0 && !sv.handed_over);
	return ret;
}
