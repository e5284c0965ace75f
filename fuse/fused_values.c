// SPDX-License-Identifier: MIT
/*
 * The tree server's intake of the daemon's values (fuse/fused_i.h):
 * whole snapshots, the values alone (COUNTERS), the board of a shape
 * (fuse/board.h), and telling the daemon when each tick must come as a
 * message (channel peers).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "fuse/fused_i.h"
#include "fuse/fusefs.h"

/* Snapshot @s (from a SNAPSHOT or COUNTERS of client @i) is the base now: guests read it. */
static void take_base(struct server *sv, int i, struct tree_snapshot *s, uint64_t seq)
{
	uint64_t now, last = last_values_ns(sv);
	size_t kept = 0;

	complaint_release(&sv->bad_snapshot, "snapshots are sound again");
	tree_snapshot_free(sv->base);
	sv->base = s;
	sv->clients[i].fed = true;
	/* Announcements the daemon has taken in are in its snapshot now. */
	for (size_t k = 0; k < sv->npending; k++)
		if (sv->pending[k].seq > seq)
			sv->pending[kept++] = sv->pending[k];
	sv->npending = kept;
	now = clock_mono_ns();
	if (last && now - last > sv->longest_stall_ns)
		sv->longest_stall_ns = now - last;
	sv->last_snapshot_ns = now;
	sv->snapshots++;
	republish(sv);
	/* the daemon's VMs only: a placeholder's zeros are no VM's counters */
	channel_server_send(&sv->chan, sv->base);
	/* a server that took over answers once it has the daemon's tree */
	if (!fusefs_serving(sv->fs)) {
		fusefs_serve(sv->fs);
		log_info("answering requests again, %.2f s after this server started",
			 (double)(clock_mono_ns() - sv->started_ns) / 1e9);
	}
}

void on_snapshot(struct server *sv, int i, enum feed_type type, const void *payload, size_t len)
{
	struct tree_snapshot *s;
	uint64_t seq;
	char why[160];

	if (type == FEED_COUNTERS)
		s = sv->clients[i].fed ? feed_decode_counters(sv->base, payload, len, &seq, why, sizeof(why)) : NULL;
	else
		s = feed_decode_snapshot(payload, len, &seq, why, sizeof(why));
	if (!s) {
		if (type == FEED_COUNTERS && !sv->clients[i].fed)
			snprintf(why, sizeof(why), "counters before its snapshot");
		complain(&sv->bad_snapshot, LOG_LEVEL_ERROR, "refused a snapshot from pid %u: %s",
			 sv->clients[i].pid, why);
		client_close(sv, i, "sent a bad snapshot");
		return;
	}
	sv->values_alone += type == FEED_COUNTERS;
	take_base(sv, i, s, seq);
}

/*
 * The daemon's board for the shape of the snapshot it sent last: guests
 * read its values from now on, as the daemon writes them (fuse/board.h).
 */
void on_board(struct server *sv, int i, const void *payload, size_t len)
{
	struct client *c = &sv->clients[i];
	const struct tree_snapshot *b = sv->base;
	struct tree_snapshot *s;
	struct feed_board msg;
	struct board *board;
	char why[160];
	int fd = -1;

	if (feed_reader_take_fds(&c->r, &fd, 1) != 1 || len != sizeof(msg)) {
		if (fd >= 0)
			close(fd);
		client_close(sv, i, "sent a board without its memory");
		return;
	}
	memcpy(&msg, payload, sizeof(msg));
	if (!c->fed || !b || b->shape_hash != msg.shape || b->nzones != msg.nzones || b->nvms != msg.nvms) {
		close(fd);
		client_close(sv, i, "sent a board of another shape than its snapshot's");
		return;
	}
	board = board_map(fd, msg.shape, (size_t)msg.nzones, (size_t)msg.nvms, why, sizeof(why));
	close(fd);
	if (!board) {
		complain(&sv->bad_snapshot, LOG_LEVEL_ERROR, "refused a board from pid %u: %s", c->pid, why);
		client_close(sv, i, "sent a bad board");
		return;
	}
	s = tree_snapshot_same_shape(b);
	if (s)
		tree_snapshot_attach_board(s, board);
	board_put(board);
	if (!s) {
		log_error(-ENOMEM, "out of memory: guests keep the last snapshot's values");
		return;
	}
	/* no announcement taken in: none is dropped */
	take_base(sv, i, s, 0);
}

/* Tell the daemon whether each tick's values must come as COUNTERS: channel peers take them. */
void push_update(struct server *sv)
{
	struct client *c = sv->daemon >= 0 ? &sv->clients[sv->daemon] : NULL;
	uint32_t on = sv->chan.nconns > 0;

	if (!c || c->push == (bool)on)
		return;
	c->push = on;
	if (feed_send(c->fd, FEED_PUSH, &on, sizeof(on)) < 0)
		client_close(sv, sv->daemon, "did not take a push request");
}

uint64_t last_values_ns(const struct server *sv)
{
	uint64_t at = sv->last_snapshot_ns, written;

	if (sv->base && sv->base->board && board_ticks(sv->base->board, &written) && written > at)
		at = written;
	return at;
}

