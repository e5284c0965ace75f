/* SPDX-License-Identifier: MIT */
/*
 * The ledger on disk: written atomically (write, fsync, rename) so that a
 * crash at any instant leaves a loadable file, with the previous good file
 * kept beside it. Counters are saved at their ceilings, so a restarted
 * daemon never shows a guest less than it had seen.
 */
#ifndef VPOWERCAP_STATE_H
#define VPOWERCAP_STATE_H

#include <stdbool.h>

#include "common/log.h"
#include "host/ledger.h"

/**
 * Create @dir (0750) when missing and hand it to @user (NULL: keep the
 * owner; only when running as root), without following symlinks: @dir
 * must be a real directory, whose parent nobody but its owner (root or
 * us) may write to unless it is sticky, owned by root, us or @user; the
 * counter files in it must be regular files when present. Returns 0 or
 * -errno after logging what to do.
 */
int state_dir_prepare(const char *dir, const char *user);

/**
 * Write @l to DIR/counters (the old file becomes DIR/counters.prev), each
 * counter with the ceiling a lease of @lease_ticks gives it
 * (ledger_lease_uj). Returns 0, after which ledger_renew_ceilings(@l,
 * @lease_ticks) may raise the ceilings in memory, or -errno after logging.
 */
int state_save(const struct ledger *l, const char *dir, unsigned lease_ticks);

/**
 * state_save(), then raise @l's ceilings in memory once that is on disk.
 * While saves fail (a full disk, an I/O error), every counter is held at
 * its saved ceiling instead: a guest is never shown more than a restart
 * resumes at. @failing complains once (active while saves fail) and says
 * when they work again. Returns state_save()'s result.
 */
int state_save_or_hold(struct ledger *l, const char *dir, unsigned lease_ticks, struct complaint *failing);

/**
 * Load DIR/counters into an empty ledger @l, falling back to
 * DIR/counters.prev when the first is missing or corrupt (reported): a
 * file with a repeated line or an id over the limit is corrupt, taken whole
 * or not at all.
 * Counters start at their saved ceilings. Returns 0 when a state was
 * loaded, -ENOENT when there is none, -EINVAL when neither file is usable.
 */
int state_load(struct ledger *l, const char *dir);

/**
 * Write DIR/source (common/channel.h) for the guests' channel frames: @host,
 * and the counters' epoch, kept from the last start unless @fresh (the
 * counters start again from zero: no usable saved state) or there is none,
 * then a new random one, so that a guest never takes a reset for its VM's
 * counters going back. Returns 0 or -errno after logging.
 */
int state_write_source(const char *dir, const char *host, bool fresh);

#endif
