// SPDX-License-Identifier: MIT
/* The per-VM tree snapshot, from the ledger's view. */
#include "host/share.h"

#include <string.h>

#include "common/sensor.h"

struct tree_snapshot *share_snapshot_build(const struct ledger_view *v)
{
	struct tree_snapshot *s = tree_snapshot_new(v->nzones, v->nvms);

	if (!s)
		return NULL;
	for (size_t z = 0; z < v->nzones; z++) {
		const struct ledger_zone *lz = ledger_view_zone(v, z);

		if (!strcmp(lz->id, SENSOR_ESTIMATE_ZONE_ID))
			tree_snapshot_add_zone(s, SHARE_ESTIMATE_ZONE_ID, SHARE_ESTIMATE_ZONE_NAME,
					       lz->max_energy_range_uj);
		else
			tree_snapshot_add_zone(s, lz->id, lz->name, lz->max_energy_range_uj);
	}
	for (size_t i = 0; i < v->nvms; i++) {
		const struct ledger_vm *vm = ledger_view_vm(v, i);
		uint64_t *values = tree_snapshot_add_vm(s, vm->info.name, vm->info.uuid);

		for (size_t z = 0; z < v->nzones; z++)
			values[z] = ledger_view_shown_uj(v, i, z);
	}
	tree_snapshot_finish(s);
	return s;
}
