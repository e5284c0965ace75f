// SPDX-License-Identifier: MIT
/* vpowercapd attach and detach: their flags, and the call into the libvirt module. */
#include "host/share_command.h"

#include <stdio.h>
#include <string.h>

#include "common/channel.h"
#include "common/log.h"
#include "host/attach.h"
#include "host/libvirt_module.h"

static void share_usage(bool attach)
{
	if (attach)
		printf("Usage: vpowercapd [options] attach DOMAIN|--all [--9p | --virtiofs | --channel [--live]]\n"
		       "                                  [--readonly]\n\n"
		       "Add the share of DOMAIN's powercap tree (MOUNTPOINT/UUID, tag '" SHARE_TAG "')\n"
		       "to its persistent definition; the guest sees it from its next start. With\n"
		       "--channel, add the channel instead (port '" CHANNEL_NAME_DEFAULT "', read in the guest by\n"
		       "vpowercap-channel), and hot-plug it into the running domain: no restart, and\n"
		       "the domain can still live-migrate (a mounted 9p or virtiofs share blocks it).\n\n"
		       "  --all         every defined domain that has no share yet (with --live:\n"
		       "                every running domain)\n"
		       "  --9p          share over 9p (the default)\n"
		       "  --virtiofs    share over virtiofs (adds a shared memfd memory backing\n"
		       "                when the domain has none)\n"
		       "  --channel     the channel to the tree server's channel socket\n"
		       "  --live        --channel into the running domain only, leaving its\n"
		       "                persistent definition alone (for definitions a cloud\n"
		       "                manager owns; auto_attach = channel-live does it at\n"
		       "                every start)\n"
		       "  --readonly    mark the share read-only in the definition (the tree\n"
		       "                is read-only in any case)\n"
		       "  -h, --help    show this help\n\n"
		       "The daemon's options (before 'attach'): --libvirt-uri, --mountpoint,\n"
		       "--control-socket, --channel-socket, --config.\n");
	else
		printf("Usage: vpowercapd [options] detach DOMAIN\n\n"
		       "Remove from DOMAIN's persistent definition what 'attach' added, and nothing\n"
		       "else; the guest loses the share from its next start.\n\n"
		       "  -h, --help    show this help\n\n"
		       "The daemon's options (before 'detach'): --libvirt-uri, --config.\n");
}

/* vpowercapd attach DOMAIN|--all [--9p | --virtiofs | --channel [--live]] [--readonly], and detach. */
int share_command_run(const struct daemon_config *cfg, int argc, char **argv, int at)
{
	bool attach = !strcmp(argv[at], "attach"), all = false;
	char channel_socket[108];
	struct share_request req = {
		.transport = SHARE_9P,
		.mountpoint = cfg->mountpoint[0] ? cfg->mountpoint : daemon_defaults.mountpoint,
		.channel_socket = daemon_config_channel_socket(cfg, channel_socket, sizeof(channel_socket)),
	};
	const struct libvirt_module *m;
	const char *domain = NULL, *transport_flag = NULL;

	for (int i = at + 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			share_usage(attach);
			return 0;
		}
		if (attach && (!strcmp(argv[i], "--9p") || !strcmp(argv[i], "--virtiofs") ||
			       !strcmp(argv[i], "--channel"))) {
			/* a share has one transport: the last of two flags winning would hide a mistake */
			if (transport_flag && strcmp(transport_flag, argv[i]))
				return log_error(2, "%s: %s and %s cannot both be given: a share has "
						 "one transport (see --help)", argv[at], transport_flag, argv[i]);
			transport_flag = argv[i];
			req.transport = !strcmp(argv[i], "--9p") ? SHARE_9P :
					!strcmp(argv[i], "--virtiofs") ? SHARE_VIRTIOFS : SHARE_CHANNEL;
		} else if (attach && !strcmp(argv[i], "--readonly"))
			req.readonly = true;
		else if (attach && !strcmp(argv[i], "--live"))
			req.live_only = true;
		else if (attach && !strcmp(argv[i], "--all"))
			all = true;
		else if (argv[i][0] != '-' && !domain)
			domain = argv[i];
		else
			return log_error(2, "%s: unexpected argument '%s' (see --help)", argv[at], argv[i]);
	}
	if (all && domain)
		return log_error(2, "%s: a domain and --all cannot both be given (see --help)", argv[at]);
	if (!domain && !all)
		return log_error(2, "%s: name the domain%s (see --help)", argv[at], attach ? ", or --all" : "");
	if (req.live_only && req.transport != SHARE_CHANNEL)
		return log_error(2, "%s: --live goes with --channel: a 9p or virtiofs share reaches a guest "
				 "only at its next start (see --help)", argv[at]);
	if (req.transport == SHARE_CHANNEL && !req.channel_socket[0])
		return log_error(2, "%s: --channel needs the tree server's channel socket (channel_socket, "
				 "--channel-socket)", argv[at]);
	if (!(m = libvirt_module()))
		return 1;
	if (all)
		return m->attach_all(cfg->libvirt_uri, &req) < 0;
	if (attach)
		return m->attach(cfg->libvirt_uri, domain, &req) < 0;
	return m->detach(cfg->libvirt_uri, domain) < 0;
}
