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

/* Present when the program was linked with the module's objects. */
extern const struct libvirt_module vpowercap_libvirt_module __attribute__((weak));

static const struct libvirt_module *loaded;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

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

/* Where an installed module lies, from the executable's directory. */
#define INSTALLED_SUBDIR "/../lib/vpowercap"

static void load(void)
{
	static const char *const subdirs[] = {
		"",                /* a build tree */
		INSTALLED_SUBDIR,  /* an installed one */
	};
	char dir[PATH_MAX], path[PATH_MAX + 64];

	if (&vpowercap_libvirt_module) {
		loaded = &vpowercap_libvirt_module;
		return;
	}
	if (!exe_dir(dir, sizeof(dir))) {
		log_error(-ENOENT, "cannot find the libvirt module: the executable's path is unknown");
		return;
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s/%s", dir, subdirs[i], LIBVIRT_MODULE_FILE);
		if (access(path, F_OK) == 0) {
			loaded = load_from(path);
			return;
		}
	}
	log_error(-ENOENT, "cannot find the libvirt module " LIBVIRT_MODULE_FILE " in '%s' or "
		  "'%s" INSTALLED_SUBDIR "' (install vpowercap with 'make install', or use --vm-source proc)",
		  dir, dir);
}

const struct libvirt_module *libvirt_module(void)
{
	pthread_once(&load_once, load);
	return loaded;
}
