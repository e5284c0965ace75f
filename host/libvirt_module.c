// SPDX-License-Identifier: MIT
/* Loading the libvirt module: see libvirt_module.h. */
#include "host/libvirt_module.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/version.h"
#include "common/libexec.h"

/* Present when the program was linked with the module's objects. */
extern const struct libvirt_module vpowercap_libvirt_module __attribute__((weak));

static const struct libvirt_module *loaded;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static const struct libvirt_module *load_from(const char *path)
{
	const struct libvirt_module *m;
	void *handle;

	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		log_error(-ENOENT, "cannot load the libvirt module '%s': %s", path, dlerror());
		return NULL;
	}
	m = dlsym(handle, "vpowercap_libvirt_module");
	if (!m) {
		log_error(-ENOENT, "'%s' is not a vpowercap libvirt module", path);
		dlclose(handle);
		return NULL;
	}
	if (m->size != sizeof(*m) || strcmp(m->version, VPOWERCAP_VERSION)) {
		log_error(-EINVAL, "'%s' is from vpowercap %s, not %s: install both from one build",
			  path, m->size == sizeof(*m) ? m->version : "(another build)",
			  VPOWERCAP_VERSION);
		dlclose(handle);
		return NULL;
	}
	return m;  /* kept loaded for the life of the process */
}

static void load(void)
{
	char path[PATH_MAX + 64];

	if (&vpowercap_libvirt_module) {
		loaded = &vpowercap_libvirt_module;
		return;
	}
	if (libexec_find(LIBVIRT_MODULE_FILE, path, sizeof(path)) == 0) {
		loaded = load_from(path);
		return;
	}
	log_error(-ENOENT, "cannot find the libvirt module " LIBVIRT_MODULE_FILE " in '%s' or "
		  "'%s" LIBEXEC_INSTALLED_SUBDIR "' (install vpowercap with 'make install', or use --vm-source proc)",
		  path, path);
}

const struct libvirt_module *libvirt_module(void)
{
	pthread_once(&load_once, load);
	return loaded;
}
