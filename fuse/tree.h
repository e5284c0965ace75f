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
 *
 * A snapshot is its shape (zones and VMs, laid out) and its values. When
 * only the values change (a tick in which no VM came, went or was
 * renamed), the next snapshot shares its shape (tree_snapshot_same_shape()),
 * laid out once, and has values of its own.
 */
#ifndef VPOWERCAP_TREE_H
#define VPOWERCAP_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "common/publish.h"
#include "fuse/board.h"

#define TREE_ID_MAX 64      /* "intel-rapl:0:1" */
#define TREE_NAME_MAX 64    /* "package-0" */
#define TREE_DIR_MAX 256    /* a domain's name */
#define TREE_UUID_MAX 48

struct tree_zone {
	char id[TREE_ID_MAX];
	char name[TREE_NAME_MAX];
	uint64_t max_energy_range_uj;
	int parent;              /* index in the snapshot, -1 at top */
	unsigned slot;           /* 1 + its rank among the zones by id: the same for the same zones */
};

/* A VM's names point into its shape's strings: shorter than TREE_DIR_MAX and TREE_UUID_MAX. */
struct tree_vm {
	char *dir;               /* its link's name: the domain's name */
	char *uuid;
	char *uuid_dir;          /* its directory's name: the UUID, made a usable name (often uuid itself) */
	size_t row;              /* its values' row: the order VMs were added in */
	uint64_t key;            /* TREE_KEY_BITS, from its UUID directory: the same in every server */
};

/* Strings of a shape, in chunks that never move. */
struct tree_chunk;

/* A VM's key: this many bits, never 0 (tree_find_vm_key()). */
#define TREE_KEY_BITS 48

/*
 * Zones and VMs, shared by the snapshots of one shape. Its count is
 * changed by the thread that builds and frees snapshots only (the tree
 * server's loop: snapshots retire there too).
 */
struct tree_shape {
	unsigned long refs;
	struct tree_zone *zones;
	struct tree_vm *vms;
	struct tree_vm **by_uuid;
	struct tree_vm **by_key;
	struct tree_chunk *strings;
};

struct tree_snapshot {
	struct published pub;
	struct tree_shape *shape; /* what the three arrays below belong to */
	size_t nzones, zones_alloc;
	struct tree_zone *zones;
	size_t nvms, vms_alloc;
	struct tree_vm *vms;     /* sorted by dir once finished */
	struct tree_vm **by_uuid; /* the same, sorted by uuid_dir once finished */
	struct tree_vm **by_key; /* the same, sorted by key once finished */
	uint64_t *values;        /* its own: vms_alloc rows of zones_alloc */
	uint64_t shape_hash;     /* the feed's hash of the shape (feed_shape_*()); 0: none */
	struct board *board;     /* the daemon's newer values of the first rows, or NULL (fuse/board.h) */
};

/**
 * An empty snapshot with room for @nzones zones and @nvms VMs; NULL when
 * out of memory. Free with tree_snapshot_free() unless published.
 */
struct tree_snapshot *tree_snapshot_new(size_t nzones, size_t nvms);

void tree_snapshot_free(struct tree_snapshot *s);

/**
 * A snapshot of @like's shape (finished), which it shares, with a copy of
 * its values and its board; NULL when out of memory.
 */
struct tree_snapshot *tree_snapshot_same_shape(const struct tree_snapshot *like);

/** VM @vm's values in @s, one per zone: what the guest reads. */
static inline uint64_t *tree_vm_energy(const struct tree_snapshot *s, const struct tree_vm *vm)
{
	return &s->values[vm->row * s->zones_alloc];
}

/**
 * VM @vm's value in zone @zone as guests read it now: from the board
 * when one holds its row, else the snapshot's own.
 */
static inline uint64_t tree_vm_value(const struct tree_snapshot *s, const struct tree_vm *vm, size_t zone)
{
	const struct board *b = s->board;

	if (b && vm->row < b->nvms && zone < b->nzones)
		return board_value(b, vm->row, zone);
	return tree_vm_energy(s, vm)[zone];
}

/**
 * Attach board @b (a reference of its own) to @s, finished and not yet
 * published: @s's first rows are the board's shape, in its order.
 */
void tree_snapshot_attach_board(struct tree_snapshot *s, struct board *b);

/** Add zone @id (a powercap zone id, "intel-rapl:0:1"); -ENOSPC when full. */
int tree_snapshot_add_zone(struct tree_snapshot *s, const char *id, const char *name,
			   uint64_t max_energy_range_uj);

/**
 * Add the VM @name (@uuid), once every zone is added. Returns its row of
 * energy_uj values, one per zone, all zero, for the caller to fill; NULL
 * when full or out of memory.
 */
uint64_t *tree_snapshot_add_vm(struct tree_snapshot *s, const char *name, const char *uuid);

/**
 * Lay the snapshot out: zones find their parents, each VM's directory is a
 * single usable path component, and two VMs of one name are told apart by
 * the later one's UUID. Each VM gets its key and each zone its slot, which
 * depend on the VMs and zones alone, not on their order: another server
 * given the same tree numbers it alike (the FUSE node ids are made of
 * them). Call once, before publishing or looking up.
 */
void tree_snapshot_finish(struct tree_snapshot *s);

/** The VM whose link (its name) is @dir (length @len), or NULL. */
const struct tree_vm *tree_find_vm(const struct tree_snapshot *s, const char *dir, size_t len);

/** The VM whose directory (its UUID) is @dir (length @len), or NULL. */
const struct tree_vm *tree_find_vm_dir(const struct tree_snapshot *s, const char *dir, size_t len);

/** The VM of key @key, or NULL. */
const struct tree_vm *tree_find_vm_key(const struct tree_snapshot *s, uint64_t key);

/** The zone of slot @slot, or -1. */
int tree_find_zone_slot(const struct tree_snapshot *s, unsigned slot);

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
