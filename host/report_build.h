/* SPDX-License-Identifier: MIT */
/*
 * A step's report from the ledger's view: its zones and VMs, in arrays
 * kept from one report to the next, for the exporters to write.
 */
#ifndef VPOWERCAP_REPORT_BUILD_H
#define VPOWERCAP_REPORT_BUILD_H

#include <stddef.h>

#include "common/report.h"
#include "host/ledger.h"
#include "host/vmlabels.h"

struct report_build {
	struct report_zone *zones;
	struct report_vm *vms;
	struct report_vm_zone *vm_zones;
	size_t zones_alloc, vms_alloc, vm_zones_alloc;
	const struct vm_labels **held;  /* the VMs' labels, held while a report is written */
	size_t held_alloc, nheld;
};

/**
 * Fill @r's zones and VMs (the rest of it is the caller's) from view @v
 * of a step @step_s long, with each VM's labels from @labels (NULL: none),
 * held until report_build_done(). Returns 0 or -ENOMEM.
 */
int report_build_fill(struct report_build *b, struct report *r, const struct ledger_view *v,
		      struct vm_label_book *labels, double step_s);

/** The report is written: give its labels back. */
void report_build_done(struct report_build *b);

void report_build_release(struct report_build *b);

#endif
