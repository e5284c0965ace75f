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

/* What a listing's names and package times are held in. */
struct vm_list_block {
	struct vm_list_block *next;
	size_t size, used;
	uint64_t data[];          /* aligned for package times */
};

#define VM_LIST_BLOCK (16 * 1024)  /* bytes: about a thousand names */

void vm_list_clear(struct vm_list *l)
{
	l->n = 0;
	for (struct vm_list_block *b = l->blocks; b; b = b->next)
		b->used = 0;
	l->block = l->blocks;
}

/* @len bytes held by @l until its next clear, aligned to @align (1 or 8). */
static void *list_hold(struct vm_list *l, size_t len, size_t align)
{
	for (;;) {
		struct vm_list_block *b = l->block, *nb;
		size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;

		if (b && at <= b->size && b->size - at >= len) {
			b->used = at + len;
			return (char *)b->data + at;
		}
		if (b && b->next) {
			l->block = b->next;
			continue;
		}
		nb = malloc(sizeof(*nb) + (len > VM_LIST_BLOCK ? len : VM_LIST_BLOCK));
		if (!nb)
			return NULL;
		nb->next = NULL;
		nb->size = len > VM_LIST_BLOCK ? len : VM_LIST_BLOCK;
		nb->used = 0;
		if (b)
			b->next = nb;
		else
			l->blocks = nb;
		l->block = nb;
	}
}

struct vm_info *vm_list_add(struct vm_list *l)
{
	if (ALLOC_GROW(l->vms, l->n + 1, l->alloc) < 0)
		return NULL;
	memset(&l->vms[l->n], 0, sizeof(l->vms[0]));
	l->vms[l->n].name = "";
	return &l->vms[l->n++];
}

int vm_list_set_name(struct vm_list *l, struct vm_info *vm, const char *name)
{
	size_t len = strnlen(name, VM_NAME_MAX - 1);
	char *copy = list_hold(l, len + 1, 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, name, len);
	copy[len] = '\0';
	vm->name = copy;
	return 0;
}

int vm_list_set_packages(struct vm_list *l, struct vm_info *vm, const uint64_t *ns, unsigned n)
{
	uint64_t *copy = n ? list_hold(l, n * sizeof(*copy), sizeof(*copy)) : NULL;

	if (n && !copy)
		return -ENOMEM;
	if (n)
		memcpy(copy, ns, n * sizeof(*copy));
	vm->package_ns = copy;
	vm->npackages = n;
	return 0;
}

void vm_list_release(struct vm_list *l)
{
	struct vm_list_block *b = l->blocks;

	while (b) {
		struct vm_list_block *next = b->next;

		free(b);
		b = next;
	}
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
