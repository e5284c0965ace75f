/* SPDX-License-Identifier: MIT */
/*
 * VMs' labels (a tenant, a project, a flavor), from their sources'
 * metadata (libvirt's domain metadata, a Proxmox id) or a file, filtered by
 * the configured allowlist: the operator decides which labels, and so how
 * many series, the per-VM metrics carry. Held in one place, the book, by
 * UUID, apart from the VM lists: a source puts a VM's labels when they are
 * new or changed, the daemon gets them when it reports.
 */
#ifndef VPOWERCAP_VMLABELS_H
#define VPOWERCAP_VMLABELS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/report.h"

#define VM_LABELS_MAX 16          /* names in the allowlist */
#define VM_LABEL_NAME_MAX 64
#define VM_LABEL_VALUE_MAX 128    /* bytes, a longer value is cut */

/* Labels as a source found them, before the allowlist: a growing array. */
struct vm_label_set {
	struct report_label *labels;  /* malloc'd names and values */
	size_t n, alloc;
};

/** Add @name = @value to @s (both copied). Returns 0 or -ENOMEM. */
int vm_label_set_add(struct vm_label_set *s, const char *name, const char *value);

/** Free @s's contents. */
void vm_label_set_release(struct vm_label_set *s);

/**
 * Check the allowlist @allow ("project,flavor", empty: none): each a valid
 * Prometheus label name (letters, digits, '_', not a digit first, not
 * "__" first), none of the per-VM metrics' own (domain, uuid, zone, name,
 * source) or Prometheus's (job, instance), at most VM_LABELS_MAX. Returns
 * 0, or -EINVAL with the reason in @why.
 */
int vm_labels_check_allow(const char *allow, char *why, size_t size);

/* An immutable set of allowed labels, sorted by name, shared by counting. */
struct vm_labels {
	unsigned refs;
	size_t n;
	struct report_label labels[];
};

/** Drop a reference to @l; the last frees it. NULL is fine. */
void vm_labels_put(const struct vm_labels *l);

struct vm_label_book;

/**
 * A book for the labels of allowlist @allow (checked already). Returns
 * NULL when out of memory. Thread-safe: sources put from their threads.
 */
struct vm_label_book *vm_label_book_new(const char *allow);

void vm_label_book_free(struct vm_label_book *b);

/** Whether @name is allowed: a source need not look up what is not. */
bool vm_label_book_allows(const struct vm_label_book *b, const char *name);

/**
 * Set VM @uuid's labels to the allowed ones of @raw, values made valid
 * UTF-8 and cut to VM_LABEL_VALUE_MAX; marks it kept. Returns 0 or -ENOMEM
 * (the old labels stay).
 */
int vm_label_book_put(struct vm_label_book *b, const char *uuid, const struct vm_label_set *raw);

/**
 * Note that VM @uuid is still there, for vm_label_book_sweep(). Returns
 * whether the book has its labels (false: the source should put them).
 */
bool vm_label_book_keep(struct vm_label_book *b, const char *uuid);

/** Forget every VM not put or kept since the last sweep. */
void vm_label_book_sweep(struct vm_label_book *b);

/** VM @uuid's labels, a reference the caller puts; NULL when it has none. */
const struct vm_labels *vm_label_book_get(struct vm_label_book *b, const char *uuid);

/**
 * Read labels by UUID from INI file @path into @b's fixed part, which
 * vm_label_book_get() adds to the source's labels (a source's label wins
 * over the file's of the same name), and sweeps never drop:
 *
 *	[aaaaaaaa-0000-0000-0000-000000000001]
 *	project = acme
 *
 * Returns 0, or -errno after logging file, line and reason.
 */
int vm_label_book_load(struct vm_label_book *b, const char *path);

#endif
