// SPDX-License-Identifier: MIT
/* vpowercapd's configuration: the option table, defaults and checks. */
#include "host/daemon_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/control.h"
#include "common/exporter.h"
#include "common/log.h"
#include "common/sensor.h"
#include "common/users.h"
#include "host/attribution.h"
#include "host/idle_watts.h"
#include "host/vmlabels.h"
#include "host/vmsource.h"

/* "off", then the transports of enum share_transport, one up */
const char *const auto_attach_names[] = {
	[AUTO_ATTACH_OFF] = "off",
	[AUTO_ATTACH_9P] = "9p",
	[AUTO_ATTACH_VIRTIOFS] = "virtiofs",
	[AUTO_ATTACH_CHANNEL] = "channel",
	[AUTO_ATTACH_CHANNEL_LIVE] = "channel-live",
	NULL,
};

#define OPTIONS_STRUCT struct daemon_config
static const struct option_spec daemon_specs[] = {
	OPT_STRING("daemon", "powercap_root", 0, powercap_root, "DIR", "the host's powercap tree"),
	OPT_STRING("daemon", "proc_root", 0, proc_root, "DIR", "proc filesystem to read"),
	OPT_STRING("daemon", "sysfs_root", 0, sysfs_root, "DIR",
		   "sysfs to read the CPU topology from (packages' zones are split per package)"),
	OPT_CHOICE("daemon", "sensor", 0, sensor, sensor_kind_names,
		   "where the host's power comes from"),
	OPT_CHOICE("daemon", "vm_source", 0, vm_source, vm_source_kind_names, "where VMs are found"),
	OPT_STRING("daemon", "libvirt_uri", 0, libvirt_uri, "URI", "libvirt connection"),
	OPT_STRING("daemon", "qemu_users", 0, qemu_users, "USER,...",
		   "proc source: the users whose qemu processes are VMs"),
	OPT_STRING("daemon", "state_dir", 0, state_dir, "DIR", "where counters are saved"),
	OPT_STRING("daemon", "mountpoint", 0, mountpoint, "DIR",
		   "where the per-VM powercap trees are mounted (empty: not served)"),
	OPT_CHOICE("daemon", "auto_attach", 0, auto_attach, auto_attach_names,
		   "libvirt source: add the share to each domain libvirt defines (9p, virtiofs, channel), or "
		   "hot-plug the channel into each domain as it starts, leaving definitions alone (channel-live)"),
	OPT_STRING("daemon", "control_socket", 0, control_socket, "PATH",
		   "socket on which the libvirt hook announces domains (empty: none)"),
	OPT_STRING("daemon", "user", 0, user, "NAME", "user to run as once the sensors are open"),
	OPT_STRING("daemon", "reader_group", 0, reader_group, "GROUP",
		   "group that may read the per-VM trees besides root (auto; empty: root only)"),
	OPT_STRING("daemon", "channel_socket", 0, channel_socket, "PATH",
		   "socket qemu connects the VMs' vpowercap channels to (auto: vpowercap-channel.sock "
		   "beside the control socket; empty: none)"),
	OPT_STRING("daemon", "host_id", 0, host_id, "ID",
		   "this host's name in the channels' frames (default: /etc/machine-id, else the host name)"),
	OPT_DOUBLE("daemon", "interval", 0, interval, 0.01, 3600, "SECONDS", "seconds between ticks"),
	OPT_LIST_CHOICES("daemon", "exporter", 0, exporter, exporter_kind_names,
			 "exporters when none is named on the command line, comma-separated"),
	OPT_LIST("daemon", "labels", 0, labels, "NAME,...",
		   "VM labels the per-VM metrics and JSON carry, from the VMs' metadata or the label file "
		   "(empty: none)"),
	OPT_STRING("daemon", "label_file", 0, label_file, "FILE",
		   "VM labels by UUID ([UUID] sections of 'name = value'), read at start (empty: none)"),
	OPT_CHOICE("attribution", "policy", 0, policy, policy_names,
		   "how a zone's energy is split between VMs"),
	OPT_STRING("attribution", "idle_watts", 0, idle_watts, "W|ZONE=W,...",
		   "split: idle power, for every zone or by zone name (default: learned)"),
	OPT_DOUBLE("billing", "wall_factor", 0, wall_factor, 1.0, 10.0, "FACTOR",
		   "wall energy per RAPL energy at this host (PSU losses, fans, disks, NICs; times PUE for "
		   "the building), exported for the billing rules"),
	OPT_DOUBLE("billing", "price_per_kwh", 0, price_per_kwh, 0.0, 1000.0, "PRICE",
		   "the site's energy price per kWh, exported for the billing rules (0: none)"),
	OPT_STRING("billing", "currency", 0, currency, "CODE",
		   "the price's currency, its metric's label: EUR, USD..."),
	OPT_DOUBLE("billing", "carbon_grams_per_kwh", 0, carbon_grams_per_kwh, 0.0, 5000.0, "GRAMS",
		   "the site's carbon intensity, grams of CO2e per kWh, exported for the billing rules (0: none)"),
	OPT_OUTPUT_STEP(step, 0.05, "exporter: seconds between reports (whole ticks)"),
	OPT_OUTPUT_TIMEOUT(timeout, "exporter: "),
	OPT_OUTPUT_FILE(file),
	OPT_ESTIMATE(idle_watts_per_cpu, max_watts_per_cpu),
	OPT_PROMETHEUS(listen, web_config),
	OPT_NETWORK_EXPORTERS(net),
};
#undef OPTIONS_STRUCT


const struct daemon_config daemon_defaults = {
	.powercap_root = "/sys/class/powercap",
	.wall_factor = 1.0,
	.proc_root = "/proc",
	.sysfs_root = "/sys",
	.qemu_users = VM_SOURCE_QEMU_USERS_DEFAULT,
	.sensor = SENSOR_AUTO,
	.vm_source = VM_SOURCE_LIBVIRT,
	.libvirt_uri = "qemu:///system",
	.state_dir = "/var/lib/vpowercap",
	.mountpoint = "/run/vpowercap",
	.control_socket = CONTROL_SOCKET_DEFAULT,
	.user = "vpowercap",
	.reader_group = "auto",
	.channel_socket = "auto",
	.interval = 1.0,
	.policy = POLICY_SPLIT,
	.step = 1.0,
	.idle_watts_per_cpu = 2.0,
	.max_watts_per_cpu = 10.0,
	.listen = "127.0.0.1:9810",
	.net = { .queue = EXPORTER_QUEUE_DEFAULT, .push_job = "vpowercapd" },
};

const struct options_program daemon_program = {
	.name = "vpowercapd",
	.synopsis = "[options] [EXPORTER [options]]...\n"
		    "       EXPORTER: stdout, json, prometheus, prometheus-push, riemann, warp10\n"
		    "       vpowercapd [options] attach DOMAIN|--all [--9p | --virtiofs | --channel [--live]] [--readonly]\n"
		    "       vpowercapd [options] detach DOMAIN\n"
		    "       vpowercapd [options] status      the tree server's state\n"
		    "       vpowercapd [options] unmount     take the per-VM trees down for good\n"
		    "       vpowercapd [options] upgrade-tree-server\n"
		    "                                        start the installed tree server in place of the\n"
		    "                                        running one, guests reading on\n"
		    "       vpowercapd --reset-counters ...  with no usable saved counters, start where the guests'\n"
		    "                                        trees are (from zero with no tree server)",
	.default_config = "/etc/vpowercap/vpowercapd.conf",
	.specs = daemon_specs,
	.nspecs = sizeof(daemon_specs) / sizeof(daemon_specs[0]),
	.defaults = &daemon_defaults,
};

double daemon_config_idle_watts(const char *zone_name, void *arg)
{
	const struct daemon_config *cfg = arg;
	double w;
	char why[128];

	return idle_watts_lookup(cfg->idle_watts, zone_name, &w, why, sizeof(why)) < 0 ? -1 : w;
}

int daemon_config_check(const struct daemon_config *cfg)
{
	double w;
	char why[256];

	if (idle_watts_lookup(cfg->idle_watts, NULL, &w, why, sizeof(why)) < 0)
		return log_error(-EINVAL, "%s", why);
	if (cfg->max_watts_per_cpu < cfg->idle_watts_per_cpu)
		return log_error(-EINVAL, "max_watts_per_cpu (%g) is below idle_watts_per_cpu (%g)",
				 cfg->max_watts_per_cpu, cfg->idle_watts_per_cpu);
	if (vm_labels_check_allow(cfg->labels, why, sizeof(why)) < 0)
		return log_error(-EINVAL, "%s", why);
	if (cfg->label_file[0] && !cfg->labels[0])
		log_warning("label_file '%s' is read for nothing: no labels are exported (labels)",
			    cfg->label_file);
	if (cfg->auto_attach && cfg->vm_source != VM_SOURCE_LIBVIRT)
		return log_error(-EINVAL, "auto_attach needs the libvirt VM source");
	if (cfg->auto_attach && !cfg->mountpoint[0])
		return log_error(-EINVAL, "auto_attach needs a mountpoint: the shares live there");
	if (cfg->auto_attach >= AUTO_ATTACH_CHANNEL && !cfg->channel_socket[0])
		return log_error(-EINVAL, "auto_attach = %s needs a channel socket (channel_socket)",
				 auto_attach_names[cfg->auto_attach]);
	for (const char *c = cfg->currency; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')) || c - cfg->currency >= 8)
			return log_error(-EINVAL, "currency '%s': 1 to 8 letters (EUR, USD...)", cfg->currency);
	if (cfg->host_id[0] && !channel_host_valid(cfg->host_id))
		return log_error(-EINVAL, "host_id '%s': 1 to 64 letters, digits, '.', '_', ':' or '-'",
				 cfg->host_id);
	return 0;
}

const char *daemon_config_channel_socket(const struct daemon_config *cfg, char *buf, size_t size)
{
	const char *slash = strrchr(cfg->control_socket, '/');

	if (strcmp(cfg->channel_socket, "auto"))
		snprintf(buf, size, "%s", cfg->channel_socket);
	else if (!cfg->control_socket[0])
		snprintf(buf, size, "%s", "");
	else if (!slash)
		snprintf(buf, size, "vpowercap-channel.sock");
	else if ((size_t)snprintf(buf, size, "%.*s/vpowercap-channel.sock", (int)(slash - cfg->control_socket),
				  cfg->control_socket) >= size)
		buf[0] = '\0';
	return buf;
}

const char *daemon_config_host_id(const struct daemon_config *cfg, const char *etc, char *buf)
{
	char path[4096];
	FILE *f;

	buf[0] = '\0';
	if (cfg->host_id[0]) {
		snprintf(buf, CHANNEL_HOST_MAX, "%s", cfg->host_id);
	} else {
		snprintf(path, sizeof(path), "%s/machine-id", etc);
		if ((f = fopen(path, "re"))) {
			if (!fgets(buf, CHANNEL_HOST_MAX, f))
				buf[0] = '\0';
			fclose(f);
		}
		buf[strcspn(buf, "\n")] = '\0';
		if (!buf[0] && gethostname(buf, CHANNEL_HOST_MAX - 1) < 0)
			buf[0] = '\0';
		buf[CHANNEL_HOST_MAX - 1] = '\0';
	}
	for (char *p = buf; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._:-", *p)))
			*p = '-';
	if (!buf[0])
		snprintf(buf, CHANNEL_HOST_MAX, "unknown-host");
	return buf;
}

const char *daemon_config_reader_group(const char *configured)
{
	static const char *const candidates[] = { "libvirt-qemu", "kvm" };
	gid_t gid;

	if (strcmp(configured, "auto"))
		return configured;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (users_find_group(candidates[i], &gid) == 0)
			return candidates[i];
	return "";
}
