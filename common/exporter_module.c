// SPDX-License-Identifier: MIT
/* Loading the network exporters' module: see exporter_module_i.h. */
#include "common/exporter_module_i.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "common/libexec.h"
#include "common/log.h"
#include "common/version.h"

/* Present when the program was linked with the module's objects (the tests). */
extern const struct exporter_module vpowercap_exporter_module __attribute__((weak));

static const struct exporter_module *loaded;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static const struct exporter_module *load_from(const char *path)
{
	const struct exporter_module *m;
	void *handle;

	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		log_error(-ENOENT, "cannot load the network exporters' module '%s': %s", path, dlerror());
		return NULL;
	}
	m = dlsym(handle, "vpowercap_exporter_module");
	if (!m) {
		log_error(-ENOENT, "'%s' is not vpowercap's network exporters' module", path);
		dlclose(handle);
		return NULL;
	}
	if (m->size != sizeof(*m) || strcmp(m->version, VPOWERCAP_VERSION)) {
		log_error(-EINVAL, "'%s' is from vpowercap %s, not %s: install both from one build",
			  path, m->size == sizeof(*m) ? m->version : "(another build)", VPOWERCAP_VERSION);
		dlclose(handle);
		return NULL;
	}
	return m;  /* kept loaded for the life of the process */
}

static void load(void)
{
	char path[PATH_MAX + 64];

	if (&vpowercap_exporter_module) {
		loaded = &vpowercap_exporter_module;
		return;
	}
	if (libexec_find(EXPORTER_MODULE_FILE, path, sizeof(path)) == 0) {
		loaded = load_from(path);
		return;
	}
	log_error(-ENOENT, "cannot find the network exporters' module " EXPORTER_MODULE_FILE " in '%s' or '%s"
		  LIBEXEC_INSTALLED_SUBDIR "': install it (the vpowercap-exporters package, or 'make install-agent') "
		  "to use prometheus-push, riemann or warp10", path, path);
}

const struct exporter_ops *exporter_module_ops(enum exporter_kind kind)
{
	pthread_once(&load_once, load);
	if (!loaded)
		return NULL;
	switch (kind) {
	case EXPORTER_PROMETHEUS_PUSH:
		return loaded->push;
	case EXPORTER_RIEMANN:
		return loaded->riemann;
	case EXPORTER_WARP10:
		return loaded->warp10;
	default:
		return NULL;
	}
}
