/* SPDX-License-Identifier: MIT */
/* The VM source backends, for the registry in vmsource.c and their tests. */
#ifndef VPOWERCAP_VMSOURCE_I_H
#define VPOWERCAP_VMSOURCE_I_H

#include "host/vmsource.h"

extern const struct vm_source_ops libvirt_vm_source_ops;  /* in the libvirt module */
extern const struct vm_source_ops proc_vm_source_ops;

/**
 * How often the libvirt source @src has learnt that its set of domains may
 * have changed (lifecycle events, a new connection); it only grows. In the
 * libvirt module.
 */
unsigned long libvirt_source_generation(const struct vm_source *src);

#endif
