/* SPDX-License-Identifier: MIT */
/*
 * A domain's labels from its libvirt metadata: Nova's <instance> (its name,
 * flavor, user and project) and vpowercap's own <labels>, each bounded by
 * the label book's allowlist (docs/daemon.md, "VM labels").
 */
#ifndef VPOWERCAP_LIBVIRT_LABELS_H
#define VPOWERCAP_LIBVIRT_LABELS_H

#include <libvirt/libvirt.h>

#include "host/vmlabels.h"

/* The metadata namespaces labels are read from (docs/daemon.md). */
#define NOVA_URI "http://openstack.org/xmlns/libvirt/nova/1.1"
#define LABELS_URI "https://vpowercap.org/xmlns/labels/1"

/**
 * Add @dom's labels the book allows to @set. Returns 0 (none is no
 * error), -ENOMEM, -EINVAL (metadata that is not XML) or -EIO (libvirt's
 * last error says why).
 */
int libvirt_domain_labels(const struct vm_label_book *book, virDomainPtr dom, struct vm_label_set *set);

#endif
