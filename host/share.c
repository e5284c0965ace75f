// SPDX-License-Identifier: MIT
/* The per-VM tree snapshot, from the ledger's view. */
#include "host/share.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
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

/*
 * Zone @z of @v as the guests' trees show it (the estimate's as a
 * package): its id and name; NULL for a zone the host keeps (AMD's core).
 */
static const struct ledger_zone *shown_zone(const struct ledger_view *v, size_t z, const char **id,
					    const char **name)
{
	const struct ledger_zone *lz = ledger_view_zone(v, z);
	bool estimate = !strcmp(lz->id, SENSOR_ESTIMATE_ZONE_ID);

	if (lz->host_only)
		return NULL;
	*id = estimate ? SHARE_ESTIMATE_ZONE_ID : lz->id;
	*name = estimate ? SHARE_ESTIMATE_ZONE_NAME : lz->name;
	return lz;
}

struct tree_snapshot *share_snapshot_build(const struct ledger_view *v)
{
	struct tree_snapshot *s = tree_snapshot_new(guest_zones(v), v->nvms);

	if (!s)
		return NULL;
	for (size_t z = 0; z < v->nzones; z++) {
		const char *id, *name;
		const struct ledger_zone *lz = shown_zone(v, z, &id, &name);

		if (lz)
			tree_snapshot_add_zone(s, id, name, lz->max_energy_range_uj);
	}
	for (size_t i = 0; i < v->nvms; i++) {
		const struct ledger_vm *vm = ledger_view_vm(v, i);
		uint64_t *values = tree_snapshot_add_vm(s, vm->info.name, vm->info.uuid);
		size_t k = 0;

		if (!values) {
			tree_snapshot_free(s);
			return NULL;
		}
		for (size_t z = 0; z < v->nzones; z++)
			if (!ledger_view_zone(v, z)->host_only)
				values[k++] = ledger_view_shown_uj(v, i, z);
	}
	tree_snapshot_finish(s);
	return s;
}

/* The feed's hash of the shape share_snapshot_send() would send of @v. */
static uint64_t shape_hash(const struct ledger_view *v, size_t nzones)
{
	uint64_t h = feed_shape_begin(nzones, v->nvms);

	for (size_t z = 0; z < v->nzones; z++) {
		const char *id, *name;
		const struct ledger_zone *lz = shown_zone(v, z, &id, &name);

		if (lz)
			h = feed_shape_zone(h, id, name, lz->max_energy_range_uj);
	}
	for (size_t i = 0; i < v->nvms; i++) {
		const struct ledger_vm *vm = ledger_view_vm(v, i);

		h = feed_shape_vm(h, vm->info.name, vm->info.uuid);
	}
	return feed_shape_end(h);
}

uint64_t share_shape(const struct ledger_view *v)
{
	return shape_hash(v, guest_zones(v));
}

int share_snapshot_send(const struct ledger_view *v, int fd, uint64_t announced_seq, uint64_t *shape_sent)
{
	return share_send_shaped(v, fd, announced_seq, shape_sent ? share_shape(v) : 0, shape_sent);
}

/* A VM's values as the guests' trees show them, one per zone they hold, into @values. */
static void guest_values(const struct ledger_view *v, size_t i, uint64_t *values)
{
	size_t k = 0;

	for (size_t z = 0; z < v->nzones; z++)
		if (!ledger_view_zone(v, z)->host_only)
			values[k++] = ledger_view_shown_uj(v, i, z);
}

int share_board_new(const struct ledger_view *v, uint64_t shape, struct board *b, int *fd)
{
	int ret = board_create(b, fd, shape, guest_zones(v), v->nvms);

	if (ret == 0)
		share_board_write(v, b);
	return ret;
}

void share_board_write(const struct ledger_view *v, struct board *b)
{
	uint64_t values[FEED_ZONES_MAX];

	for (size_t i = 0; i < v->nvms && i < b->nvms; i++) {
		guest_values(v, i, values);
		board_put_row(b, i, values);
	}
	board_ticked(b, clock_mono_ns());
}

int share_send_shaped(const struct ledger_view *v, int fd, uint64_t announced_seq, uint64_t shape,
		      uint64_t *shape_sent)
{
	struct feed_writer *w;
	uint64_t values[FEED_ZONES_MAX];
	size_t nzones = guest_zones(v);
	bool counters;
	int ret;

	if (nzones > FEED_ZONES_MAX)
		return -EMSGSIZE;
	counters = shape_sent && *shape_sent == shape;
	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (counters) {
		feed_counters_begin(w, fd, nzones, v->nvms, announced_seq, shape);
	} else {
		feed_snapshot_begin(w, fd, nzones, v->nvms, announced_seq);
		for (size_t z = 0; z < v->nzones; z++) {
			const char *id, *name;
			const struct ledger_zone *lz = shown_zone(v, z, &id, &name);

			if (lz)
				feed_snapshot_zone(w, id, name, lz->max_energy_range_uj);
		}
	}
	for (size_t i = 0; i < v->nvms; i++) {
		const struct ledger_vm *vm = ledger_view_vm(v, i);

		guest_values(v, i, values);
		if (counters)
			feed_counters_vm(w, values);
		else
			feed_snapshot_vm(w, vm->info.name, vm->info.uuid, values);
	}
	ret = feed_snapshot_end(w);
	free(w);
	if (shape_sent)
		*shape_sent = ret == 0 ? shape : 0;
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
			vm->shares[zone[z]].energy_uj = vm->ceilings[zone[z]] = tree_vm_energy(s, &s->vms[i])[z];
	}
	free(zone);
	return (int)s->nvms;
nomem:
	free(zone);
	return -ENOMEM;
}
