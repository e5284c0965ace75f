/* SPDX-License-Identifier: MIT */
/*
 * Loading one of vpowercap's modules (the libvirt module, the network
 * exporters'): a shared object beside the executable (a build tree) or in
 * its installed directory (common/libexec.h), whose one symbol is a struct
 * that begins with a struct module_head, refused when another build made it.
 */
#ifndef VPOWERCAP_MODULE_H
#define VPOWERCAP_MODULE_H

#include <stddef.h>

/* The first members of every module's struct. */
struct module_head {
	const char *version;   /* VPOWERCAP_VERSION it was built as */
	size_t size;           /* sizeof its struct */
};

/**
 * Load module @file and return its symbol @symbol, a struct of @size bytes
 * (kept loaded for the life of the process); NULL after logging why. @what
 * names the module in messages ("the libvirt module"), @hint says what to
 * do when it is not found.
 */
const void *module_load(const char *file, const char *symbol, size_t size, const char *what, const char *hint);

#endif
