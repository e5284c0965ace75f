/* SPDX-License-Identifier: MIT */
/*
 * A report as a flat list of series: a metric's name, its labels and one
 * value, the names and labels of the Prometheus exporter's /metrics. The
 * exporters that send single values (Riemann events, Warp 10 lines) walk
 * this list rather than the report.
 */
#ifndef VPOWERCAP_SERIES_H
#define VPOWERCAP_SERIES_H

#include <stddef.h>

#include "common/report.h"

/*
 * the most a series has: a VM's domain, uuid, zone and name, the labels of
 * its metadata (VM_LABELS_MAX, host/vmlabels.h) and the source
 */
#define SERIES_LABELS_MAX 21

struct series_label {
	const char *name;
	const char *value;
};

struct series {
	const char *name;       /* "vpowercap_zone_power_watts" */
	const char *kind;       /* "gauge" or "counter" */
	struct series_label labels[SERIES_LABELS_MAX];
	size_t nlabels;
	/*
	 * The first nkey labels tell this series from the metric's others
	 * (a process's pid and comm, a container's id); those after describe
	 * it (a process's container, a container's name and pod).
	 */
	size_t nkey;
	double value;
};

/* Called for each series; a non-zero return stops the walk and is returned. */
typedef int (*series_fn)(void *arg, const struct series *s);

/**
 * Call @fn(@arg, series) for each series of @r, in a fixed order: zones,
 * the machine, then processes, cgroups, containers and pods (agent) or VMs
 * (daemon, and whether its VM source answers), then the network
 * exporters' dropped steps; the names and
 * labels of prometheus_render()'s samples, a label the Prometheus text
 * leaves out when empty (a container's) left out here too. Returns 0 or
 * what @fn returned.
 */
int report_series(const struct report *r, series_fn fn, void *arg);

#endif
