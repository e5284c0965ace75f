/* SPDX-License-Identifier: MIT */
/*
 * What of vpowercapd needs libvirt (the libvirt VM source, attach and
 * detach) is built as a module, vpowercapd-libvirt.so, loaded on first
 * use. libvirt's library chain (libxml2, gnutls, glib, ...) leaves some
 * 10 MiB resident in every process that links it; a daemon on the proc
 * source, or one that is only asked for --help, does not pay for it.
 *
 * The module is looked for beside the executable (a build tree), then in
 * ../lib/vpowercap/ from it (an installed tree: /usr/local/sbin/vpowercapd
 * loads /usr/local/lib/vpowercap/vpowercapd-libvirt.so). It resolves the
 * daemon's own functions (logging, VM lists) from the executable, which
 * exports them. Programs linked with the module's objects (the tests) use
 * them directly.
 */
#ifndef VPOWERCAP_LIBVIRT_MODULE_H
#define VPOWERCAP_LIBVIRT_MODULE_H

#include <stddef.h>

#include "common/module.h"
#include "host/attach.h"
#include "host/vmsource.h"

#define LIBVIRT_MODULE_FILE "vpowercapd-libvirt.so"

struct libvirt_module {
	struct module_head head;                 /* its build's version, sizeof(struct libvirt_module) */
	const struct vm_source_ops *vm_source;
	int (*attach)(const char *uri, const char *domain, const struct share_request *req);
	int (*detach)(const char *uri, const char *domain);
	int (*attach_all)(const char *uri, const struct share_request *req);
};

/** The module, loaded on the first call; NULL, after logging why, when it cannot be. */
const struct libvirt_module *libvirt_module(void);

#endif
