// SPDX-License-Identifier: MIT
/* Loading a module: see module.h. */
#include "common/module.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "common/libexec.h"
#include "common/log.h"
#include "common/version.h"

const void *module_load(const char *file, const char *symbol, size_t size, const char *what, const char *hint)
{
	char path[PATH_MAX + 64];
	const struct module_head *m;
	void *handle;

	if (libexec_find(file, path, sizeof(path)) < 0) {
		log_error(-ENOENT, "cannot find %s %s in '%s' or '%s" LIBEXEC_INSTALLED_SUBDIR "' (%s)", what, file,
			  path, path, hint);
		return NULL;
	}
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		log_error(-ENOENT, "cannot load %s '%s': %s", what, path, dlerror());
		return NULL;
	}
	m = dlsym(handle, symbol);
	if (!m) {
		log_error(-ENOENT, "'%s' is not %s", path, what);
		dlclose(handle);
		return NULL;
	}
	if (m->size != size || strcmp(m->version, VPOWERCAP_VERSION)) {
		log_error(-EINVAL, "'%s' is from vpowercap %s, not %s: install both from one build",
			  path, m->size == size ? m->version : "(another build)", VPOWERCAP_VERSION);
		dlclose(handle);
		return NULL;
	}
	return m;
}
