// SPDX-License-Identifier: MIT
/* Waiting for the libvirt source's event thread (tests/lib/libvirt_events.h). */
#include "tests/lib/libvirt_events.h"

#include <time.h>

#include "host/vmsource_i.h"

bool libvirt_generation_moves(const struct vm_source *src, unsigned long from)
{
	const struct timespec step = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 500; i++) {
		if (libvirt_source_generation(src) != from)
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}
