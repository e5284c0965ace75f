/* SPDX-License-Identifier: MIT */
/* attach's calls for the rest of the libvirt module, on its own connection. */
#ifndef VPOWERCAP_ATTACH_I_H
#define VPOWERCAP_ATTACH_I_H

#include <libvirt/libvirt.h>

#include "host/attach.h"

/**
 * Add the share to @dom (a domain on @conn; persistent unless
 * @req->live_only) as share_attach() does. @dom stays the caller's.
 * Returns 1 when added, 0 when it was there already, -errno after logging.
 */
int share_attach_domain(virConnectPtr conn, virDomainPtr dom, const struct share_request *req);

#endif
