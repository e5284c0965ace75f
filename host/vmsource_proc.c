// SPDX-License-Identifier: MIT
/* The proc VM source (being written). */
#include <errno.h>

#include "vmsource_i.h"

static int proc_open(struct vm_source *src)
{
	(void)src;
	return 0;
}

static int proc_list(struct vm_source *src, struct vm_list *out)
{
	(void)src;
	out->n = 0;
	return 0;
}

static void proc_close(struct vm_source *src)
{
	(void)src;
}

const struct vm_source_ops proc_vm_source_ops = {
	.name = "proc",
	.open = proc_open,
	.list = proc_list,
	.close = proc_close,
};
