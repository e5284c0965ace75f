/* SPDX-License-Identifier: MIT */
/* Checks on a ledger shared by the unit tests that tick one. */
#ifndef VPOWERCAP_TESTS_LEDGER_ASSERT_H
#define VPOWERCAP_TESTS_LEDGER_ASSERT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "host/ledger.h"

/* Every zone's energy is its VMs' plus the remainder, to the microjoule. */
static inline void assert_conserved(const struct ledger *l)
{
	for (size_t z = 0; z < l->nzones; z++) {
		uint64_t sum = l->zones[z].remainder.energy_uj;

		for (size_t i = 0; i < l->nvms; i++)
			sum += l->vms[i].shares[z].energy_uj;
		assert_int_equal(sum, l->zones[z].host_energy_uj);
	}
}

#endif
