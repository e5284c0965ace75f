// SPDX-License-Identifier: MIT
/* Fuzz the counters file loader (host/state.c). */
#include <stdio.h>
#include <string.h>

#include "host/state.h"
#include "tests/fuzz/fuzz_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger_config cfg = { .policy = POLICY_BUSY, .retain_ticks = 100 };
	struct ledger l;
	char path[128];

	snprintf(path, sizeof(path), "%s/counters", fuzz_dir());
	if (fuzz_write_file(path, data, size) < 0)
		return 0;
	ledger_init(&l, &cfg);
	if (state_load(&l, fuzz_dir()) == 0) {
		/* what loads is within the limits and has no repeats */
		for (size_t z = 0; z < l.nzones; z++)
			for (size_t k = z + 1; k < l.nzones; k++)
				if (!strcmp(l.zones[z].id, l.zones[k].id))
					__builtin_trap();
		for (size_t i = 1; i < l.nvms; i++)
			if (strcmp(l.vms[i - 1].info.uuid, l.vms[i].info.uuid) >= 0)
				__builtin_trap();
	}
	ledger_release(&l);
	return 0;
}
