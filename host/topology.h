/* SPDX-License-Identifier: MIT */
/*
 * The host's CPU packages, from sysfs (cpuN/topology/physical_package_id
 * and die_id), and which RAPL zone measures which of them: "package-N"
 * and its subzones measure package N's CPUs ("package-N-die-M" die M's,
 * where RAPL reports per die); psys and other zones the whole host.
 */
#ifndef VPOWERCAP_TOPOLOGY_H
#define VPOWERCAP_TOPOLOGY_H

#include <stdbool.h>

#include "common/powercap.h"

/* Packages (or dies) told apart; a host with more is split host-wide. */
#define TOPOLOGY_PACKAGES_MAX 32

struct topology_package {
	int package_id;      /* physical_package_id */
	int die_id;          /* die_id where RAPL zones are per die, else -1 */
	unsigned ncpus;      /* online CPUs in it */
};

struct topology {
	unsigned ncpus;      /* entries of cpu_package: the highest CPU number + 1 */
	int *cpu_package;    /* index in packages[] of each CPU, -1: offline or unknown */
	unsigned npackages;
	struct topology_package packages[TOPOLOGY_PACKAGES_MAX];
};

/**
 * Read the CPUs of @sysfs_root/devices/system/cpu into @t, which must be
 * zeroed or released. Packages are ordered by id (then die). Dies are told
 * apart only when some package has more than one. Returns 0, -ENOENT when
 * no CPU's topology is readable, -E2BIG beyond TOPOLOGY_PACKAGES_MAX, or
 * -ENOMEM; @t is then empty (no packages). Release with topology_release().
 */
int topology_read(struct topology *t, const char *sysfs_root);

void topology_release(struct topology *t);

/** Whether @t splits zones per package: it knows two packages or more. */
static inline bool topology_per_package(const struct topology *t)
{
	return t && t->npackages >= 2;
}

/**
 * The index in @t->packages of the package a zone named @name measures
 * ("package-1", "package-0-die-1"), or -1 when it measures no single one.
 */
int topology_package_of_name(const struct topology *t, const char *name);

/** The same for zone @z of @pc: a subzone belongs to its top zone's package. */
int topology_zone_package(const struct topology *t, const struct powercap *pc, const struct zone *z);

#endif
