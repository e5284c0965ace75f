/* SPDX-License-Identifier: MIT */
/*
 * vpowercapd's configuration: every key, its flag and default (the option
 * table the parser, --help and the manual pages read), and the checks a
 * configuration must pass before it is used.
 */
#ifndef VPOWERCAP_DAEMON_CONFIG_H
#define VPOWERCAP_DAEMON_CONFIG_H

#include <limits.h>

#include "common/exporter.h"
#include "common/options.h"

struct daemon_config {
	char powercap_root[PATH_MAX];
	char proc_root[PATH_MAX];
	char sysfs_root[PATH_MAX];
	char qemu_users[256];  /* proc source: "libvirt-qemu,root" */
	int sensor;
	int vm_source;
	char libvirt_uri[256];
	char state_dir[PATH_MAX];
	char mountpoint[PATH_MAX];
	char control_socket[108];
	char user[64];
	char reader_group[64]; /* "auto": libvirt-qemu, else kvm, else none */
	char channel_socket[108]; /* "auto": beside the control socket; "": none */
	char host_id[65];      /* "": /etc/machine-id, else the host name */
	double interval;
	char exporter[128];    /* "prometheus,riemann"; empty: none, run until signalled */
	int policy;
	char idle_watts[512];  /* "20" for every zone, or "package-0=20,dram=4" */
	double step;
	double timeout;
	char file[PATH_MAX];
	double idle_watts_per_cpu;
	double max_watts_per_cpu;
	char listen[512];      /* prometheus: ADDR:PORT,... */
	int auto_attach;       /* index in auto_attach_names: 0 off, else a transport */
	char web_config[PATH_MAX]; /* prometheus: TLS and basic auth; empty: none */
	struct exporter_net_options net; /* prometheus-push, riemann, warp10 */
	char labels[512];      /* the VM labels exported: "project,flavor"; empty: none */
	char label_file[PATH_MAX]; /* labels by UUID, read at start; empty: none */
	double wall_factor;    /* billing: wall (and building) energy per RAPL energy */
	double price_per_kwh;  /* billing: the site's energy price; 0: none given */
	char currency[16];     /* billing: the price's currency, a label; "" none */
	double carbon_grams_per_kwh; /* billing: the site's carbon intensity; 0: none given */
};

enum auto_attach_kind {
	AUTO_ATTACH_OFF,
	AUTO_ATTACH_9P,
	AUTO_ATTACH_VIRTIOFS,
	AUTO_ATTACH_CHANNEL,       /* into each new definition, and the running domain */
	AUTO_ATTACH_CHANNEL_LIVE,  /* into each domain as it starts, never its definition */
};

/** "off", "9p", "virtiofs", "channel", "channel-live", NULL: auto_attach's values. */
extern const char *const auto_attach_names[];

extern const struct daemon_config daemon_defaults;

/** The daemon's command line and config file, for options_parse_init(). */
extern const struct options_program daemon_program;

/** Check @cfg as a whole. Returns 0 or -EINVAL after saying why. */
int daemon_config_check(const struct daemon_config *cfg);

/**
 * The configured idle watts of zone @zone_name, -1 when learned: the
 * ledger's idle_watts callback, with the daemon_config as @arg.
 */
double daemon_config_idle_watts(const char *zone_name, void *arg);

/**
 * The group whose members may read the per-VM trees besides root: the one
 * qemu and virtiofsd run as. "auto" is Debian libvirt's libvirt-qemu, else
 * kvm (plain qemu users), else none ("").
 */
const char *daemon_config_reader_group(const char *configured);

/**
 * The channel socket the tree server listens on for @cfg into @buf:
 * "auto" is vpowercap-channel.sock beside the control socket (none without
 * one). Returns @buf ("" for none).
 */
const char *daemon_config_channel_socket(const struct daemon_config *cfg, char *buf, size_t size);

/**
 * The host's identity in the channel's frames into @buf
 * (CHANNEL_HOST_MAX bytes): host_id, else /etc/machine-id under @etc, else
 * the host name; characters a frame does not take become '-'.
 */
const char *daemon_config_host_id(const struct daemon_config *cfg, const char *etc, char *buf);

#endif
