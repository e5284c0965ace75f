/* SPDX-License-Identifier: MIT */
/*
 * The per-VM powercap trees' content: an immutable snapshot of every VM's
 * counters, built and published whole (common/publish.h). Readers (the
 * FUSE threads) hold the current snapshot and never see half an update.
 *
 * What goes in is the caller's to say (host/share.c builds it from the
 * ledger); the tree only lays it out: zone parents from their ids, VM
 * directories made usable and unique. A VM's directory is named by its
 * UUID, which a rename does not change; its name is a link to that.
 */
#ifndef VPOWERCAP_TREE_H
#define VPOWERCAP_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "common/publish.h"

#define TREE_ID_MAX 64      /* "intel-rapl:0:1" */
#define TREE_NAME_MAX 64    /* "package-0" */
#define TREE_DIR_MAX 256    /* a domain's name */
#define TREE_UUID_MAX 48

struct tree_zone {
	char id[TREE_ID_MAX];
	char name[TREE_NAME_MAX];
	uint64_t max_energy_range_uj;
	int parent;              /* index in the snapshot, -1 at top */
};

struct tree_vm {
	char dir[TREE_DIR_MAX];  /* its link's name: the domain's name */
	char uuid[TREE_UUID_MAX];
	char uuid_dir[TREE_UUID_MAX]; /* its directory's name: the UUID, made a usable name */
	uint64_t *energy_uj;     /* per zone: what the guest reads */
};

struct tree_snapshot {
	struct published pub;
	size_t nzones, zones_alloc;
	struct tree_zone *zones;
	size_t nvms, vms_alloc;
	struct tree_vm *vms;     /* sorted by dir once finished */
	struct tree_vm **by_uuid; /* the same, sorted by uuid_dir once finished */
	uint64_t *values;        /* vms_alloc * zones_alloc, behind vms[].energy_uj */
};

/**
 * An empty snapshot with room for @nzones zones and @nvms VMs; NULL when
 * out of memory. Free with tree_snapshot_free() unless published.
 */
struct tree_snapshot *tree_snapshot_new(size_t nzones, size_t nvms);

void tree_snapshot_free(struct tree_snapshot *s);

/** Add zone @id (a powercap zone id, "intel-rapl:0:1"); -ENOSPC when full. */
int tree_snapshot_add_zone(struct tree_snapshot *s, const char *id, const char *name,
			   uint64_t max_energy_range_uj);

/**
 * Add the VM @name (@uuid), once every zone is added. Returns its row of
 * energy_uj values, one per zone, all zero, for the caller to fill; NULL
 * when full.
 */
uint64_t *tree_snapshot_add_vm(struct tree_snapshot *s, const char *name, const char *uuid);

/**
 * Lay the snapshot out: zones find their parents, each VM's directory is a
 * single usable path component, and two VMs of one name are told apart by
 * the later one's UUID. Call once, before publishing or looking up.
 */
void tree_snapshot_finish(struct tree_snapshot *s);

/** The VM whose link (its name) is @dir (length @len), or NULL. */
const struct tree_vm *tree_find_vm(const struct tree_snapshot *s, const char *dir, size_t len);

/** The VM whose directory (its UUID) is @dir (length @len), or NULL. */
const struct tree_vm *tree_find_vm_dir(const struct tree_snapshot *s, const char *dir, size_t len);

/** The zone @id (length @len), or -1. */
int tree_find_zone(const struct tree_snapshot *s, const char *id, size_t len);

/** The trees' publisher, starting from an empty snapshot. Returns 0 or -ENOMEM. */
int tree_publisher_init(struct publisher *p);

static inline struct tree_snapshot *tree_get(struct publisher *p)
{
	return (struct tree_snapshot *)publisher_get(p);
}

static inline void tree_put(struct publisher *p, struct tree_snapshot *s)
{
	publisher_put(p, &s->pub);
}

#endif
