// SPDX-License-Identifier: MIT
/* Loading the libvirt module: see libvirt_module.h. */
#include "host/libvirt_module.h"

#include <pthread.h>

/* Present when the program was linked with the module's objects. */
extern const struct libvirt_module vpowercap_libvirt_module __attribute__((weak));

static const struct libvirt_module *loaded;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	if (&vpowercap_libvirt_module) {
		loaded = &vpowercap_libvirt_module;
		return;
	}
	loaded = module_load(LIBVIRT_MODULE_FILE, "vpowercap_libvirt_module", sizeof(*loaded), "the libvirt module",
			     "install vpowercap with 'make install', or use --vm-source proc");
}

const struct libvirt_module *libvirt_module(void)
{
	pthread_once(&load_once, load);
	return loaded;
}
