/* SPDX-License-Identifier: MIT */
/*
 * VM sources: where the daemon learns which VMs exist and how much CPU each
 * used. libvirt is the main one; the proc source finds qemu processes on
 * hosts without libvirt (and drives the fixture tests).
 */
#ifndef VPOWERCAP_VMSOURCE_H
#define VPOWERCAP_VMSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/attach.h"
#include "host/topology.h"

#define VM_UUID_MAX 48   /* "8-4-4-4-12" hex, or a fallback id */
#define VM_NAME_MAX 256

enum vm_source_kind {
	VM_SOURCE_LIBVIRT,
	VM_SOURCE_PROC,
	VM_SOURCE_KIND_COUNT,
};

/** "libvirt", "proc", NULL-terminated, indexed by the enum. */
extern const char *const vm_source_kind_names[];

/*
 * One VM as a source lists it. Its name and package times are held by the
 * list (struct vm_list) it is an entry of, and live as long as the list's
 * current listing: whoever keeps a VM beyond that copies what it keeps.
 */
struct vm_info {
	char uuid[VM_UUID_MAX];   /* lowercase canonical UUID; the key of its counters */
	const char *name;         /* libvirt domain name (under VM_NAME_MAX bytes); never empty */
	unsigned vcpus;           /* current vCPUs (0 when unknown) */
	bool running;             /* active: it uses CPU and is given energy */
	bool persistent;          /* defined (libvirt); false for transient ones */
	uint64_t cpu_ns;          /* cumulative CPU time of all its threads, when running */
	/*
	 * Where that CPU time was spent, on hosts of several packages: each
	 * package's cumulative CPU time of its threads (host/placement.h),
	 * npackages entries of the topology's order; none (NULL) when not known.
	 */
	unsigned npackages;
	const uint64_t *package_ns;
};

struct vm_list_block;

/*
 * A listing: the entries, and the names and package times they point to,
 * held in blocks that never move while the listing is made and are reused
 * by the next one (so a listing of thousands of VMs allocates nothing once
 * the first is done).
 */
struct vm_list {
	struct vm_info *vms;
	size_t n, alloc;
	struct vm_list_block *blocks, *block;  /* all, and the one being filled */
};

/** Empty @l for a new listing, keeping its memory. Its old entries' strings go. */
void vm_list_clear(struct vm_list *l);

/** Append a zeroed entry (named "") to @l; returns it, or NULL when out of memory. */
struct vm_info *vm_list_add(struct vm_list *l);

/** Set entry @vm of @l's name to @name (copied, cut under VM_NAME_MAX bytes). 0 or -ENOMEM. */
int vm_list_set_name(struct vm_list *l, struct vm_info *vm, const char *name);

/** Set entry @vm of @l's @n package times (copied from @ns). 0 or -ENOMEM. */
int vm_list_set_packages(struct vm_list *l, struct vm_info *vm, const uint64_t *ns, unsigned n);

/** Free @l's array and strings (the struct itself is the caller's). */
void vm_list_release(struct vm_list *l);

/* The users whose qemu processes the proc source trusts, by default. */
#define VM_SOURCE_QEMU_USERS_DEFAULT "libvirt-qemu,root"

struct vm_source_config {
	const char *proc_root;    /* proc source */
	const char *qemu_users;   /* proc source: who qemu runs as, "a,b"; NULL: the default */
	const char *libvirt_uri;  /* libvirt source, e.g. "qemu:///system" */
	/* the host's packages, when it has several (NULL: none read); the
	 * libvirt source reads its qemu processes' threads below proc_root */
	const struct topology *topology;
	/*
	 * libvirt source: give domains the share as they are defined, under
	 * share_dir, or the channel to channel_socket; with auto_attach_live,
	 * hot-plug the channel into every domain as it starts instead, never
	 * touching the persistent definition (one a cloud manager owns)
	 */
	bool auto_attach;
	bool auto_attach_live;
	enum share_transport auto_attach_transport;
	const char *share_dir;
	const char *channel_socket;
	/* where the source puts its VMs' labels (host/vmlabels.h); NULL: none wanted */
	struct vm_label_book *labels;
};

struct vm_source;

struct vm_source_ops {
	const char *name;
	/* Set up; 0 or -errno. A libvirt source that cannot connect yet still
	 * opens, and keeps trying. */
	int (*open)(struct vm_source *src);
	/*
	 * Replace @out's contents with every VM defined or running now, CPU
	 * times read now. Returns 0, or -ENOTCONN while the source is away
	 * (then @out is left empty and the caller keeps its own state).
	 */
	int (*list)(struct vm_source *src, struct vm_list *out);
	void (*close)(struct vm_source *src);
	/*
	 * list() reads what this process can read at once (/proc), waiting
	 * on no other process: asked on the tick's own thread. Otherwise (a
	 * daemon to ask, libvirtd) from a thread of its own (host/vmpoll.h).
	 */
	bool waits_on_nobody;
};

struct vm_source {
	const struct vm_source_ops *ops;
	struct vm_source_config cfg;
	void *priv;               /* the backend's state */
};

/** Open a source of @kind. Returns NULL after logging why. */
struct vm_source *vm_source_open(enum vm_source_kind kind, const struct vm_source_config *cfg);

/** Close and free @src; NULL is fine. */
void vm_source_free(struct vm_source *src);

static inline int vm_source_list(struct vm_source *src, struct vm_list *out)
{
	return src->ops->list(src, out);
}

#endif
