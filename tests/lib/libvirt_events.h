/* SPDX-License-Identifier: MIT */
/* Waiting for the libvirt source's event thread, in tests against test:///default. */
#ifndef VPOWERCAP_TESTS_LIBVIRT_EVENTS_H
#define VPOWERCAP_TESTS_LIBVIRT_EVENTS_H

#include <stdbool.h>

struct vm_source;

/** Wait up to 5 s for @src's generation to move on from @from; whether it did. */
bool libvirt_generation_moves(const struct vm_source *src, unsigned long from);

#endif
