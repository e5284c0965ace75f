/* SPDX-License-Identifier: MIT */
/*
 * The libfuse3 filesystem that serves one powercap tree per VM from the
 * published snapshots, read-only. Values are never cached (direct I/O, no
 * attribute caching); names are, for a second, and dropped from the
 * kernel's cache at once when the tree's shape changes (fusefs_changed()).
 */
#ifndef VPOWERCAP_FUSEFS_H
#define VPOWERCAP_FUSEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fuse/tree.h"

struct fusefs;

/* No reader group: only root may look into the tree. */
#define FUSEFS_NO_GROUP ((gid_t)-1)

/* The kernel's FUSE_INIT of a connection, as it came: at most this long. */
#define FUSEFS_INIT_MAX 256

/*
 * A connection to take over from a server that is gone or handing over:
 * its /dev/fuse descriptor (held by another process meanwhile) and the
 * FUSE_INIT the kernel sent when it was mounted.
 */
struct fusefs_takeover {
	int fd;
	const unsigned char *init;
	size_t init_len;
};

/**
 * Mount the filesystem at @mountpoint (created if missing; a dead mount
 * left by a crashed daemon is unmounted first) with allow_other, and serve
 * @tree from threads of its own. Only root and members of @reader_gid
 * (FUSEFS_NO_GROUP: none) may list, stat or open anything below the
 * mount's root; others get EACCES. Needs root (or CAP_SYS_ADMIN).
 *
 * With @take, nothing is mounted: the connection @take names is served,
 * as if its FUSE_INIT had just come (the kernel answered it once, from the
 * first server; this one is told it again, with the same options), and
 * the kernel is asked to send again the requests a dead server had read
 * but not answered (FUSE_NOTIFY_RESEND, Linux 6.9 and later; before, the
 * readers of those wait until interrupted). Node ids are made of what a
 * node is (fusefs.c), so the ids the kernel holds mean the same here.
 *
 * Returns NULL after logging why.
 */
struct fusefs *fusefs_start(const char *mountpoint, struct publisher *tree, gid_t reader_gid,
			    const struct fusefs_takeover *take);

/**
 * After a takeover, start answering requests (they wait in the kernel
 * until then): once the tree to serve is in, so that no guest ever reads a
 * tree without its VM. A mount serves from fusefs_start() on.
 */
void fusefs_serve(struct fusefs *fs);

/** Whether requests are answered (fusefs_serve()). */
bool fusefs_serving(const struct fusefs *fs);

/**
 * The connection, for another process to hold and a next server to take
 * over: its descriptor and its FUSE_INIT. -EAGAIN until the kernel's
 * FUSE_INIT has come.
 */
int fusefs_connection(struct fusefs *fs, struct fusefs_takeover *out);

/**
 * Stop taking requests: those being answered are answered, the others
 * stay queued in the kernel for the next server. The connection and the
 * mount are left as they are; the caller exits without fusefs_stop().
 */
void fusefs_hand_over(struct fusefs *fs);

/** Whether the kernel could not send the dead server's requests again (a kernel before 6.9). */
bool fusefs_resend_refused(const struct fusefs *fs);

/**
 * The tree went from @old to @now (published already): drop from the
 * kernel's cache the names of @old that no longer lead where they did (a
 * VM gone or renamed; every VM's, when the zones changed), so that no
 * lookup sees them again. NULL @fs or @old is fine.
 */
void fusefs_changed(struct fusefs *fs, const struct tree_snapshot *old, const struct tree_snapshot *now);

/**
 * Unmount and stop serving; NULL is fine. When processes still hold the
 * detached mount (running guests), its loop may not end: then @fs is left
 * as it is, for the process's exit to end the connection. Unmounting needs CAP_SYS_ADMIN
 * in the permitted set when the daemon no longer runs as root.
 */
void fusefs_stop(struct fusefs *fs);

#endif
