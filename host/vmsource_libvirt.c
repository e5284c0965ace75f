// SPDX-License-Identifier: MIT
/* The libvirt VM source (placeholder until written: reports no connection). */
#include <errno.h>

#include "vmsource_i.h"

static int libvirt_open(struct vm_source *src)
{
	(void)src;
	return 0;
}

static int libvirt_list(struct vm_source *src, struct vm_list *out)
{
	(void)src;
	out->n = 0;
	return -ENOTCONN;
}

static void libvirt_close(struct vm_source *src)
{
	(void)src;
}

const struct vm_source_ops libvirt_vm_source_ops = {
	.name = "libvirt",
	.open = libvirt_open,
	.list = libvirt_list,
	.close = libvirt_close,
};
