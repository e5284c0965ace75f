// SPDX-License-Identifier: MIT
/* Finding the programs' companions (modules, the tree server), relative to the executable. */
#include "common/libexec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The directory of the running executable, in @dir; false when unknown. */
static bool exe_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= size - 1)
		return false;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return true;
}

int libexec_find(const char *file, char *path, size_t size)
{
	static const char *const subdirs[] = {
		"",                        /* a build tree */
		LIBEXEC_INSTALLED_SUBDIR,  /* an installed one */
	};
	char dir[4096];

	if (!exe_dir(dir, sizeof(dir))) {
		snprintf(path, size, "(unknown)");
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if ((size_t)snprintf(path, size, "%s%s/%s", dir, subdirs[i], file) >= size)
			continue;
		if (access(path, F_OK) == 0)
			return 0;
	}
	snprintf(path, size, "%s", dir);
	return -ENOENT;
}
