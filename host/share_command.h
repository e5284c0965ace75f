/* SPDX-License-Identifier: MIT */
/* vpowercapd attach and detach (host/attach.h does the work, in the libvirt module). */
#ifndef VPOWERCAP_SHARE_COMMAND_H
#define VPOWERCAP_SHARE_COMMAND_H

#include "host/daemon_config.h"

/**
 * Run 'attach' or 'detach', the command at @argv[@at], with its flags
 * after it and @cfg's libvirt URI, mountpoint and channel socket. Returns
 * the exit status: 0, 1 when libvirt refused, 2 for a usage error.
 */
int share_command_run(const struct daemon_config *cfg, int argc, char **argv, int at);

#endif
