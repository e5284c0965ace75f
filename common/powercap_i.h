/* SPDX-License-Identifier: MIT */
/* The powercap reader's own helpers, for powercap.c and its tests. */
#ifndef VPOWERCAP_POWERCAP_I_H
#define VPOWERCAP_POWERCAP_I_H

#include "common/powercap.h"

/** Classify a zone by its name ("package-0" -> ZONE_PACKAGE). */
enum zone_kind zone_kind_of(const char *name);

/**
 * Compare two zone ids the way the kernel numbers them: control type
 * first, then each hex component numerically ("intel-rapl:a" after
 * "intel-rapl:2"). Returns <0, 0, >0.
 */
int zone_id_cmp(const char *a, const char *b);

/** Read a small sysfs attribute into @buf (NUL-terminated, newline kept). */
ssize_t read_attr(int dirfd, const char *path, char *buf, size_t size);

#endif
