// SPDX-License-Identifier: MIT
/* The VM source registry and the VM list helpers. */
#include "vmsource_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *const vm_source_kind_names[] = {
	[VM_SOURCE_LIBVIRT] = "libvirt",
	[VM_SOURCE_PROC] = "proc",
	[VM_SOURCE_KIND_COUNT] = NULL,
};

static const struct vm_source_ops *const vm_source_backends[] = {
	[VM_SOURCE_LIBVIRT] = &libvirt_vm_source_ops,
	[VM_SOURCE_PROC] = &proc_vm_source_ops,
};

struct vm_info *vm_list_add(struct vm_list *l)
{
	if (l->n == l->alloc) {
		size_t alloc = l->alloc ? l->alloc * 2 : 16;
		struct vm_info *vms = realloc(l->vms, alloc * sizeof(*vms));

		if (!vms)
			return NULL;
		l->vms = vms;
		l->alloc = alloc;
	}
	memset(&l->vms[l->n], 0, sizeof(l->vms[0]));
	return &l->vms[l->n++];
}

void vm_list_release(struct vm_list *l)
{
	free(l->vms);
	memset(l, 0, sizeof(*l));
}

struct vm_source *vm_source_open(enum vm_source_kind kind, const struct vm_source_config *cfg)
{
	struct vm_source *src = calloc(1, sizeof(*src));
	int ret;

	if (!src)
		return NULL;
	src->ops = vm_source_backends[kind];
	src->cfg = *cfg;
	ret = src->ops->open(src);
	if (ret < 0) {
		log_error(ret, "cannot open the %s VM source: %s", src->ops->name, strerror(-ret));
		free(src);
		return NULL;
	}
	return src;
}

void vm_source_free(struct vm_source *src)
{
	if (!src)
		return;
	src->ops->close(src);
	free(src);
}
