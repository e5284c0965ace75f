/* SPDX-License-Identifier: MIT */
/* What one step measured, in the form every exporter reads. */
#ifndef VPOWERCAP_REPORT_H
#define VPOWERCAP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct report_zone {
	const char *id;       /* "intel-rapl:0" */
	const char *name;     /* "package-0" */
	unsigned depth;       /* 0 top level, 1 subzone */
	bool valid;           /* false: the interval was skipped */
	double power_w;
	double energy_j;      /* since the agent started */
};

struct report_process {
	pid_t pid;
	const char *comm;
	double cpu_percent;   /* of one CPU */
	double power_w;
};

struct report {
	double timestamp;      /* Unix seconds at the end of the interval */
	double interval_s;
	const char *source;    /* "powercap" or "estimate" */
	const char *root;      /* the powercap root read, or "estimate" */
	bool host_valid;
	double host_power_w;
	const struct report_zone *zones;
	size_t nzones;
	const struct report_process *processes; /* top N, by power */
	size_t nprocesses;
};

#endif
