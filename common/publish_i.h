/* SPDX-License-Identifier: MIT */
/* What tests of the snapshot publisher may ask of it. */
#ifndef VPOWERCAP_PUBLISH_I_H
#define VPOWERCAP_PUBLISH_I_H

#include <stddef.h>

#include "common/publish.h"

/** How many retired snapshots wait to be freed (for tests). */
size_t publisher_retired(const struct publisher *p);

#endif
