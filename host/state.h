/* SPDX-License-Identifier: MIT */
/*
 * The ledger on disk: written atomically (write, fsync, rename) so that a
 * crash at any instant leaves a loadable file, with the previous good file
 * kept beside it. Counters are saved at their ceilings, so a restarted
 * daemon never shows a guest less than it had seen.
 */
#ifndef VPOWERCAP_STATE_H
#define VPOWERCAP_STATE_H

#include "host/ledger.h"

/**
 * Write @l to DIR/counters (the old file becomes DIR/counters.prev).
 * Ceilings must have been renewed (ledger_renew_ceilings). Returns 0 or
 * -errno after logging.
 */
int state_save(const struct ledger *l, const char *dir);

/**
 * Load DIR/counters into an empty ledger @l, falling back to
 * DIR/counters.prev when the first is missing or corrupt (reported).
 * Counters start at their saved ceilings. Returns 0 when a state was
 * loaded, -ENOENT when there is none, -EINVAL when neither file is usable.
 */
int state_load(struct ledger *l, const char *dir);

#endif
