/* SPDX-License-Identifier: MIT */
/*
 * The libfuse3 filesystem that serves one powercap tree per VM from the
 * published snapshots, read-only. Values are never cached (direct I/O, no
 * attribute caching); names are, for a second, and dropped from the
 * kernel's cache at once when the tree's shape changes (fusefs_changed()).
 */
#ifndef VPOWERCAP_FUSEFS_H
#define VPOWERCAP_FUSEFS_H

#include <sys/types.h>

#include "fuse/tree.h"

struct fusefs;

/* No reader group: only root may look into the tree. */
#define FUSEFS_NO_GROUP ((gid_t)-1)

/**
 * Mount the filesystem at @mountpoint (created if missing; a dead mount
 * left by a crashed daemon is unmounted first) with allow_other, and serve
 * @tree from threads of its own. Only root and members of @reader_gid
 * (FUSEFS_NO_GROUP: none) may list, stat or open anything below the
 * mount's root; others get EACCES. Needs root (or CAP_SYS_ADMIN). Returns
 * NULL after logging why.
 */
struct fusefs *fusefs_start(const char *mountpoint, struct publisher *tree, gid_t reader_gid);

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
