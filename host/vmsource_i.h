/* SPDX-License-Identifier: MIT */
/* The VM source backends, for the registry in vmsource.c. */
#ifndef VPOWERCAP_VMSOURCE_I_H
#define VPOWERCAP_VMSOURCE_I_H

#include "host/vmsource.h"

extern const struct vm_source_ops libvirt_vm_source_ops;  /* in the libvirt module */
extern const struct vm_source_ops proc_vm_source_ops;

#endif
