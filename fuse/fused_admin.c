// SPDX-License-Identifier: MIT
/*
 * The tree server's answers to admins (vpowercapd status, --reset-counters,
 * upgrade-tree-server): see fused_i.h.
 */
#include "fuse/fused_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/version.h"
#include "fuse/fusefs.h"

void on_status(struct server *sv, int i)
{
	uint64_t now = clock_mono_ns();
	char text[8192], started[32] = "?";
	struct tm tm;
	int n;

	if (localtime_r(&sv->started_at, &tm))
		strftime(started, sizeof(started), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(text, sizeof(text), "mountpoint %s\nserver pid %d, version %s, started %s, up %.1f s, "
		     "%u daemons served\nconnection taken over %u times%s\n",
		     sv->mountpoint, (int)getpid(), VPOWERCAP_VERSION, started, (double)(now - sv->started_ns) / 1e9,
		     sv->daemons, sv->takeovers,
		     fusefs_resend_refused(sv->fs) ? " (this kernel did not send the dead server's requests again)" : "");
	if (sv->daemon >= 0)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "daemon pid %u, feeding\n",
			      sv->clients[sv->daemon].pid);
	else
		n += snprintf(text + n, sizeof(text) - (size_t)n, "daemon none, for %.1f s\n",
			      (double)(now - (sv->daemon_left_ns ? sv->daemon_left_ns : sv->started_ns)) / 1e9);
	if (sv->last_snapshot_ns)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "last snapshot %.1f s ago, %" PRIu64 " received (%" PRIu64 " of them values alone): "
			      "%zu VMs, %zu zones\n",
			      (double)(now - sv->last_snapshot_ns) / 1e9, sv->snapshots, sv->values_alone,
			      sv->base->nvms, sv->base->nzones);
	else
		n += snprintf(text + n, sizeof(text) - (size_t)n, "last snapshot none yet\n");
	if (sv->base && sv->base->board) {
		uint64_t written, ticks = board_ticks(sv->base->board, &written);

		n += snprintf(text + n, sizeof(text) - (size_t)n, "board: %" PRIu64 " ticks written there", ticks);
		if (ticks)
			n += snprintf(text + n, sizeof(text) - (size_t)n, ", the last %.1f s ago",
				      (double)(now - written) / 1e9);
		n += snprintf(text + n, sizeof(text) - (size_t)n, "\n");
	}
	n += snprintf(text + n, sizeof(text) - (size_t)n, "longest stall %.1f s\nannouncements waiting %zu\n",
		      (double)sv->longest_stall_ns / 1e9, sv->npending);
	if (sv->chan.fd >= 0)
		snprintf(text + n, sizeof(text) - (size_t)n,
			 "channel %s: %zu VMs connected, %" PRIu64 " frames sent, %" PRIu64 " dropped, %" PRIu64
			 " connections refused, %" PRIu64 " bytes from guests thrown away\n",
			 sv->chan.path, sv->chan.nconns, sv->chan.frames, sv->chan.dropped, sv->chan.refused,
			 sv->chan.drained);
	if (feed_send(sv->clients[i].fd, FEED_STATUS, text, strlen(text)) < 0)
		client_close(sv, i, "left before the status");
}

/*
 * Send what is left of client @i's reply, as much as its socket takes now;
 * the loop polls it for POLLOUT until all is out. False when it is gone.
 */
bool client_flush(struct server *sv, int i)
{
	struct client *c = &sv->clients[i];

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0) {
			client_close(sv, i, "left before its reply was out");
			return false;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return true;
}

/*
 * The values served now, to an admin (--reset-counters, a start with no
 * saved counters): a snapshot of thousands of VMs is more than a socket
 * holds, so it goes out as the client reads it, never blocking the loop.
 */
void on_values(struct server *sv, int i)
{
	struct tree_snapshot *empty = sv->base ? NULL : tree_snapshot_new(0, 0);
	struct client *c = &sv->clients[i];
	void *buf;
	size_t len;

	if (c->out) {
		client_close(sv, i, "asked again before its reply was out");
		return;
	}
	if (empty)
		tree_snapshot_finish(empty);
	if ((!sv->base && !empty) || feed_encode_snapshot(sv->base ? sv->base : empty, 0, &buf, &len) < 0) {
		tree_snapshot_free(empty);
		client_close(sv, i, "out of memory for the values");
		return;
	}
	tree_snapshot_free(empty);
	c->out = feed_frame(FEED_SNAPSHOT, buf, len, &c->out_len);
	free(buf);
	if (!c->out) {
		client_close(sv, i, "out of memory for the values");
		return;
	}
	client_flush(sv, i);
}

/*
 * An admin asks this server to hand the connection over (an upgrade): the
 * daemon that holds it starts the next server, which takes the requests
 * this one no longer reads. Refused when no daemon holds it: nothing would
 * serve the trees.
 */
void on_handover(struct server *sv, int i)
{
	char text[256];

	if (sv->daemon < 0 || !sv->clients[sv->daemon].holds) {
		refuse(sv, i, "no vpowercapd holds the tree's connection to start the next server: "
			      "start vpowercapd first");
		return;
	}
	fusefs_hand_over(sv->fs);
	sv->handed_over = true;
	log_info("handing the tree over to the next server, which daemon pid %u starts",
		 sv->clients[sv->daemon].pid);
	if (feed_send(sv->clients[sv->daemon].fd, FEED_HANDOVER, NULL, 0) < 0)
		log_warning("the daemon went away as the tree was handed over: the connection ends with it");
	snprintf(text, sizeof(text), "handed over: daemon pid %u starts the next server\n",
		 sv->clients[sv->daemon].pid);
	feed_send(sv->clients[i].fd, FEED_STATUS, text, strlen(text));
	sv->stop = true;
}
