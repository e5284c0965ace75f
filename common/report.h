/* SPDX-License-Identifier: MIT */
/* What one step measured, in the form every exporter reads. */
#ifndef VPOWERCAP_REPORT_H
#define VPOWERCAP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/container.h"

struct report_zone {
	const char *id;       /* "intel-rapl:0" */
	const char *name;     /* "package-0" */
	unsigned depth;       /* 0 top level, 1 subzone */
	bool valid;           /* false: the interval was skipped */
	double power_w;
	double energy_j;      /* since the agent started; the daemon's accumulator */
	double unattributed_w;   /* daemon: the host remainder */
	double unattributed_j;
	bool host_only;          /* daemon: the host's alone, no VM's (AMD's core): no VM figures */
};

/* Daemon: one VM's figures in one zone, parallel to report.zones. */
struct report_vm_zone {
	double power_w;
	double energy_j;      /* the 64-bit accumulator */
	unsigned long long shown_uj;  /* what the guest reads: modulo the range */
};

/* Daemon: a VM's label from its source's metadata, allowed by the config. */
struct report_label {
	const char *name;     /* a valid Prometheus label name, none of ours */
	const char *value;    /* UTF-8, bounded */
};

struct report_vm {
	const char *domain;
	const char *uuid;
	const struct report_label *labels;  /* nlabels entries, by name */
	size_t nlabels;
	unsigned vcpus;
	bool running;
	double cpu_percent;   /* of one CPU */
	double power_w;       /* over the zones that make up the machine */
	const struct report_vm_zone *zones;  /* report.nzones entries */
};

struct report_process {
	pid_t pid;
	const char *comm;
	double cpu_percent;   /* of one CPU */
	uint64_t cpu_ticks;   /* CPU time over the step, in clock ticks */
	double power_w;
	double energy_j;      /* since the agent first saw it in the top N */
	const struct container_labels *container; /* --containers: what its cgroup says; else NULL */
	const char *container_name;  /* from the runtime's API; NULL: unknown */
};

/* Agent, --containers: the processes of one container, summed. */
struct report_container {
	const struct container_labels *labels;  /* runtime, id, pod uid, QoS class */
	const char *name;     /* NULL: unknown */
	unsigned nprocesses;  /* that used CPU in the step */
	uint64_t cpu_ticks;   /* theirs, over the step */
	double power_w;
	double energy_j;      /* since the agent first saw it use CPU */
};

/* Agent, --containers: the processes of one Kubernetes pod, summed. */
struct report_pod {
	const char *uid;
	const char *qos;      /* "guaranteed", "burstable", "besteffort" */
	unsigned ncontainers; /* that used CPU in the step */
	uint64_t cpu_ticks;   /* its processes', over the step */
	double power_w;
	double energy_j;      /* since the agent first saw it use CPU */
};

/* Agent: the processes of one cgroup (a systemd unit, a container). */
struct report_cgroup {
	const char *path;     /* "/system.slice/nginx.service" */
	double power_w;
};

/* A network exporter's queue: steps dropped, the server away or slow. */
struct report_exporter {
	const char *name;      /* "riemann" */
	unsigned long dropped; /* since start */
	unsigned long sent;
};

struct report {
	double timestamp;      /* Unix seconds of the reads that ended the interval */
	double interval_s;
	const char *source;    /* "powercap" or "estimate" */
	const char *root;      /* the powercap root read, or "estimate" */
	bool host_valid;
	double host_power_w;   /* the machine measured: the host, or the VM (guest) */
	bool guest;            /* agent: the machine measured is a VM, from inside */
	const struct report_zone *zones;
	size_t nzones;
	const struct report_process *processes; /* agent: top N, by power */
	size_t nprocesses;
	bool host;             /* a daemon's report: VMs instead of processes */
	const struct report_vm *vms;
	size_t nvms;
	double unattributed_w; /* over the zones that make up the machine */
	const struct report_cgroup *cgroups; /* agent: top N, by power */
	size_t ncgroups;
	bool containers;       /* agent, --containers: the two lists below are meant */
	const struct report_container *container_list; /* by power */
	size_t ncontainers;
	const struct report_pod *pods; /* by power */
	size_t npods;
	double tick_s;         /* how long the last tick's reads and sums took */
	bool tree_served;      /* daemon: it feeds the VMs' trees */
	double tree_stall_s;   /* daemon: how long they stood still before it began */
	const struct report_exporter *exporters; /* the network exporters running */
	size_t nexporters;
	const char *vm_source; /* daemon: "libvirt" or "proc" */
	bool vm_source_up;     /* daemon: the VM source answered for this report */
	double wall_factor;    /* daemon: wall energy per RAPL energy, from the config */
	double price_per_kwh;  /* daemon: the site's price per kWh; 0: none given */
	const char *currency;  /* daemon: the price's currency; "" or NULL: none */
	double carbon_grams_per_kwh; /* daemon: the site's carbon intensity; 0: none given */
	bool state_saved;      /* daemon: the last save of the counters worked */
};

/* Unix time now, in seconds: taken with the reads, as their timestamp. */
static inline double report_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
