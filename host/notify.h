/* SPDX-License-Identifier: MIT */
#ifndef VPOWERCAP_NOTIFY_H
#define VPOWERCAP_NOTIFY_H

/**
 * Send READY=1 to the service manager's $NOTIFY_SOCKET (systemd's
 * Type=notify), if there is one. Returns 0, or -errno after logging.
 */
int notify_ready(void);

#endif
