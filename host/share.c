// SPDX-License-Identifier: MIT
/* The per-VM tree snapshot, from the ledger's view. */
#include "host/share.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sensor.h"
#include "fuse/feed.h"

/* The zones of the view a VM's tree shows: all but the host's own (AMD's core). */
static size_t guest_zones(const struct ledger_view *v)
{
	size_t n = 0;

	for (size_t z = 0; z < v->nzones; z++)
		n += !ledger_view_zone(v, z)->host_only;
	return n;
}

struct tree_snapshot *share_snapshot_build(const struct ledger_view *v)
{
	struct tree_snapshot *s = tree_snapshot_new(guest_zones(v), v->nvms);

	if (!s)
		return NULL;
	for (size_t z = 0; z < v->nzones; z++) {
		const struct ledger_zone *lz = ledger_view_zone(v, z);

		if (lz->host_only)
			continue;
		if (!strcmp(lz->id, SENSOR_ESTIMATE_ZONE_ID))
			tree_snapshot_add_zone(s, SHARE_ESTIMATE_ZONE_ID, SHARE_ESTIMATE_ZONE_NAME,
					       lz->max_energy_range_uj);
		else
			tree_snapshot_add_zone(s, lz->id, lz->name, lz->max_energy_range_uj);
	}
	for (size_t i = 0; i < v->nvms; i++) {
		const struct ledger_vm *vm = ledger_view_vm(v, i);
		uint64_t *values = tree_snapshot_add_vm(s, vm->info.name, vm->info.uuid);
		size_t k = 0;

		for (size_t z = 0; z < v->nzones; z++)
			if (!ledger_view_zone(v, z)->host_only)
				values[k++] = ledger_view_shown_uj(v, i, z);
	}
	tree_snapshot_finish(s);
	return s;
}

int share_snapshot_send(const struct ledger_view *v, int fd, uint64_t announced_seq)
{
	struct feed_writer *w = malloc(sizeof(*w));
	uint64_t values[FEED_ZONES_MAX];
	size_t nzones = guest_zones(v);
	int ret;

	if (!w)
		return -ENOMEM;
	if (nzones > FEED_ZONES_MAX) {
		free(w);
		return -EMSGSIZE;
	}
	feed_snapshot_begin(w, fd, nzones, v->nvms, announced_seq);
	for (size_t z = 0; z < v->nzones; z++) {
		const struct ledger_zone *lz = ledger_view_zone(v, z);

		if (lz->host_only)
			continue;
		if (!strcmp(lz->id, SENSOR_ESTIMATE_ZONE_ID))
			feed_snapshot_zone(w, SHARE_ESTIMATE_ZONE_ID, SHARE_ESTIMATE_ZONE_NAME,
					   lz->max_energy_range_uj);
		else
			feed_snapshot_zone(w, lz->id, lz->name, lz->max_energy_range_uj);
	}
	for (size_t i = 0; i < v->nvms; i++) {
		const struct ledger_vm *vm = ledger_view_vm(v, i);
		size_t k = 0;

		for (size_t z = 0; z < v->nzones; z++)
			if (!ledger_view_zone(v, z)->host_only)
				values[k++] = ledger_view_shown_uj(v, i, z);
		feed_snapshot_vm(w, vm->info.name, vm->info.uuid, values);
	}
	ret = feed_snapshot_end(w);
	free(w);
	return ret;
}

int share_seed_ledger(struct ledger *l, const struct tree_snapshot *s, bool estimate)
{
	int *zone = calloc(s->nzones ? s->nzones : 1, sizeof(*zone));

	if (!zone)
		return -ENOMEM;
	for (size_t z = 0; z < s->nzones; z++) {
		const char *id = s->zones[z].id;

		if (estimate && !strcmp(id, SHARE_ESTIMATE_ZONE_ID))
			id = SENSOR_ESTIMATE_ZONE_ID;
		zone[z] = ledger_add_zone(l, id, s->zones[z].name);
		if (zone[z] < 0)
			goto nomem;
	}
	for (size_t i = 0; i < s->nvms; i++) {
		struct ledger_vm *vm = ledger_add_vm(l, s->vms[i].uuid);

		if (!vm)
			goto nomem;
		if (!vm->info.name[0] && ledger_vm_set_name(vm, s->vms[i].dir) < 0)
			goto nomem;
		for (size_t z = 0; z < s->nzones; z++)
			vm->shares[zone[z]].energy_uj = vm->ceilings[zone[z]] = s->vms[i].energy_uj[z];
	}
	free(zone);
	return (int)s->nvms;
nomem:
	free(zone);
	return -ENOMEM;
}
