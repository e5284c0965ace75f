/* SPDX-License-Identifier: MIT */
/* Finding the programs' companions (the modules, the tree server) beside them. */
#ifndef VPOWERCAP_LIBEXEC_H
#define VPOWERCAP_LIBEXEC_H

#include <stddef.h>

/* Where installed companions lie, from the executable's directory. */
#define LIBEXEC_INSTALLED_SUBDIR "/../lib/vpowercap"

/**
 * Find @file beside the running executable (a build tree), or in
 * LIBEXEC_INSTALLED_SUBDIR from it (an installed one). Returns 0 with its
 * path in @path, or -ENOENT with the executable's directory in @path (for
 * the message that tells where it was looked for).
 */
int libexec_find(const char *file, char *path, size_t size);

#endif
