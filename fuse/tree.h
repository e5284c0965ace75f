/* SPDX-License-Identifier: MIT */
/*
 * The per-VM powercap trees' content: an immutable snapshot of every VM's
 * counters that each tick builds and publishes whole. Readers (the FUSE
 * threads) take a reference to the current snapshot and never see half an
 * update; publishing never waits for them.
 */
#ifndef VPOWERCAP_TREE_H
#define VPOWERCAP_TREE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "host/ledger.h"

struct tree_zone {
	char id[ZONE_ID_MAX];
	char name[ZONE_NAME_MAX];
	uint64_t max_energy_range_uj;
	int parent;              /* index in the snapshot, -1 at top */
};

struct tree_vm {
	char dir[VM_NAME_MAX];   /* its directory's name: the domain's name */
	char uuid[VM_UUID_MAX];
	const uint64_t *energy_uj;  /* per zone: what the guest reads */
};

struct tree_snapshot {
	unsigned refs;           /* under tree.lock */
	size_t nzones;
	struct tree_zone *zones;
	size_t nvms;
	struct tree_vm *vms;     /* sorted by dir */
	uint64_t *values;        /* nvms * nzones, behind vms[].energy_uj */
};

struct tree {
	pthread_mutex_t lock;
	struct tree_snapshot *current;
};

int tree_init(struct tree *t);
void tree_release(struct tree *t);

/**
 * Build a snapshot of @l: every VM listed by its source (defined or
 * running), every zone present, values modulo each zone's range. A VM whose
 * name would clash with another's, or is no usable file name, gets a
 * unique one. Returns NULL when out of memory.
 */
struct tree_snapshot *tree_snapshot_build(const struct ledger *l);

/** Make @s current; the tree takes the caller's reference. */
void tree_publish(struct tree *t, struct tree_snapshot *s);

/** A reference to the current snapshot (never NULL); drop it with tree_put(). */
struct tree_snapshot *tree_get(struct tree *t);

void tree_put(struct tree *t, struct tree_snapshot *s);

/** The VM whose directory is @dir (length @len), or NULL. */
const struct tree_vm *tree_find_vm(const struct tree_snapshot *s, const char *dir, size_t len);

/** The zone @id (length @len), or -1. */
int tree_find_zone(const struct tree_snapshot *s, const char *id, size_t len);

#endif
