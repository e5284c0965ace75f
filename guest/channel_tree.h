/* SPDX-License-Identifier: MIT */
/*
 * A VM's powercap tree kept in the guest from the channel's frames
 * (common/channel.h), on tmpfs, laid out as the FUSE tree and sysfs lay it
 * out, each value replaced whole (written aside, then renamed):
 *
 *   DIR/intel-rapl/enabled
 *   DIR/intel-rapl/intel-rapl:0/{name,energy_uj,max_energy_range_uj,enabled}
 *   DIR/intel-rapl/intel-rapl:0/intel-rapl:0:0/...
 *   DIR/intel-rapl:0 -> intel-rapl/intel-rapl:0
 *
 * The counters the guest reads never go back. The layout (zone ids, names,
 * ranges) is the first one seen and stays: a zone that a later host lacks
 * stands still, and a zone the first host did not have never appears. Each
 * frame names its sender (host and epoch); while the sender stays the
 * same, a zone moves by the host counter's wrap-safe delta; when it
 * changes (the VM migrated, or the host's counters restarted), the first
 * frame of the new sender only sets where its counters stand: what was
 * spent between the last frame of one and the first of the other is not
 * counted, and nothing is invented (docs/attribution.md).
 */
#ifndef VPOWERCAP_CHANNEL_TREE_H
#define VPOWERCAP_CHANNEL_TREE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/channel.h"

struct channel_tree_zone {
	char id[CHANNEL_ID_MAX];
	char name[CHANNEL_ZONE_NAME_MAX];
	uint64_t max_energy_range_uj;  /* the layout's: what the guest reads */
	uint64_t energy_uj;            /* what the guest reads, < max if max */
	uint64_t host_uj;              /* the sender's counter at its last frame */
	bool have_host;                /* host_uj is the current sender's */
};

struct channel_tree {
	char dir[PATH_MAX];
	bool have_layout;
	size_t nzones;
	struct channel_tree_zone zones[CHANNEL_ZONES_MAX];
	char host[CHANNEL_HOST_MAX];   /* the current sender; "" before any */
	uint64_t epoch;
	uint64_t senders;              /* changes of sender seen */
};

/**
 * Start keeping the tree in @dir, made if missing. A tree left there by an
 * earlier run (a restart of vpowercap-channel) is read back: its layout
 * and values are where the counters go on from. Returns 0 or -errno
 * after logging.
 */
int channel_tree_open(struct channel_tree *t, const char *dir);

/**
 * Take frame @f: move the counters (see above) and write what changed.
 * Returns 0 or -errno after logging (the values then stay as they were).
 */
int channel_tree_apply(struct channel_tree *t, const struct channel_frame *f);

/**
 * Only the counting of channel_tree_apply(), nothing written: for tests
 * and benchmarks. Returns true when the layout was taken from @f.
 */
bool channel_tree_count(struct channel_tree *t, const struct channel_frame *f);

#endif
