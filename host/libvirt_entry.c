// SPDX-License-Identifier: MIT
/* The libvirt module's one entry point, found by libvirt_module(). */
#include "host/libvirt_module.h"
#include "common/version.h"
#include "host/vmsource_i.h"

const struct libvirt_module vpowercap_libvirt_module = {
	.head = { .version = VPOWERCAP_VERSION, .size = sizeof(struct libvirt_module) },
	.vm_source = &libvirt_vm_source_ops,
	.attach = share_attach,
	.detach = share_detach,
	.attach_all = share_attach_all,
};
