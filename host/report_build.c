// SPDX-License-Identifier: MIT
/* A step's report from the ledger's view: see report_build.h. */
#include "host/report_build.h"

#include <errno.h>
#include <stdlib.h>

#include "common/alloc.h"

int report_build_fill(struct report_build *b, struct report *r, const struct ledger_view *v,
		      struct vm_label_book *labels, double step_s)
{
	if (ALLOC_GROW(b->zones, v->nzones + 1, b->zones_alloc) < 0 ||
	    (labels && ALLOC_GROW(b->held, v->nvms + 1, b->held_alloc) < 0) ||
	    ALLOC_GROW(b->vms, v->nvms + 1, b->vms_alloc) < 0 ||
	    ALLOC_GROW(b->vm_zones, (v->nvms + 1) * (v->nzones + 1), b->vm_zones_alloc) < 0)
		return -ENOMEM;

	for (size_t z = 0; z < v->nzones; z++) {
		const struct ledger_zone *lz = ledger_view_zone(v, z);

		b->zones[r->nzones] = (struct report_zone){
			.id = lz->id,
			.name = lz->name,
			.depth = lz->depth,
			.valid = lz->step_valid,
			.power_w = (double)lz->host_step_uj / 1e6 / step_s,
			.energy_j = (double)lz->host_energy_uj / 1e6,
			.unattributed_w = (double)lz->remainder.step_uj / 1e6 / step_s,
			.unattributed_j = (double)lz->remainder.energy_uj / 1e6,
			.host_only = lz->host_only,
		};
		if (lz->in_total && lz->step_valid) {
			r->host_valid = true;
			r->host_power_w += b->zones[r->nzones].power_w;
			r->unattributed_w += b->zones[r->nzones].unattributed_w;
		}
		r->nzones++;
	}
	for (size_t i = 0; i < v->nvms; i++) {
		const struct ledger_vm *vm = ledger_view_vm(v, i);
		struct report_vm_zone *vz = &b->vm_zones[r->nvms * (v->nzones + 1)];
		struct report_vm *rv = &b->vms[r->nvms];

		*rv = (struct report_vm){
			.domain = vm->info.name,
			.uuid = vm->info.uuid,
			.vcpus = vm->info.vcpus,
			.running = vm->info.running,
			.cpu_percent = (double)vm->step_cpu_ns / 1e7 / step_s,
			.zones = vz,
		};
		if (labels) {
			const struct vm_labels *l = vm_label_book_get(labels, vm->info.uuid);

			b->held[r->nvms] = l;
			if (l) {
				rv->labels = l->labels;
				rv->nlabels = l->n;
			}
		}
		for (size_t z = 0; z < v->nzones; z++) {
			const struct share *sh = ledger_view_share(v, i, z);

			vz[z] = (struct report_vm_zone){
				.power_w = (double)sh->step_uj / 1e6 / step_s,
				.energy_j = (double)sh->energy_uj / 1e6,
				.shown_uj = ledger_view_shown_uj(v, i, z),
			};
			if (ledger_view_zone(v, z)->in_total)
				rv->power_w += vz[z].power_w;
		}
		r->nvms++;
	}
	r->zones = b->zones;
	r->vms = b->vms;
	b->nheld = labels ? r->nvms : 0;
	return 0;
}

void report_build_done(struct report_build *b)
{
	for (size_t i = 0; i < b->nheld; i++)
		vm_labels_put(b->held[i]);
	b->nheld = 0;
}

void report_build_release(struct report_build *b)
{
	report_build_done(b);
	free(b->zones);
	free(b->vms);
	free(b->vm_zones);
	free(b->held);
}
