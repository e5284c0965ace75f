// SPDX-License-Identifier: MIT
/* The VM source registry and the VM list helpers. */
#include "host/vmsource_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "host/libvirt_module.h"
#include "common/log.h"

const char *const vm_source_kind_names[] = {
	[VM_SOURCE_LIBVIRT] = "libvirt",
	[VM_SOURCE_PROC] = "proc",
	[VM_SOURCE_KIND_COUNT] = NULL,
};

/* The libvirt source comes from its module, loaded when first asked for. */
static const struct vm_source_ops *vm_source_backend(enum vm_source_kind kind)
{
	const struct libvirt_module *m;

	if (kind == VM_SOURCE_PROC)
		return &proc_vm_source_ops;
	m = libvirt_module();
	return m ? m->vm_source : NULL;
}

struct vm_info *vm_list_add(struct vm_list *l)
{
	if (ALLOC_GROW(l->vms, l->n + 1, l->alloc) < 0)
		return NULL;
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
	const struct vm_source_ops *ops = vm_source_backend(kind);
	struct vm_source *src;
	int ret;

	if (!ops)
		return NULL;
	src = calloc(1, sizeof(*src));
	if (!src)
		return NULL;
	src->ops = ops;
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
