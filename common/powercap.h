/* SPDX-License-Identifier: MIT */
/*
 * Reading a powercap tree: /sys/class/powercap, a VM's share of it, or a
 * fixture. Zones are discovered once and rescanned now and then; each
 * zone's energy_uj stays open and is re-read with pread every sample.
 */
#ifndef VPOWERCAP_POWERCAP_H
#define VPOWERCAP_POWERCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"

#define ZONE_ID_MAX 64
#define ZONE_NAME_MAX 64

/* What a RAPL domain measures, from the prefix of its name. */
enum zone_kind {
	ZONE_PACKAGE,
	ZONE_CORE,
	ZONE_UNCORE,
	ZONE_DRAM,
	ZONE_PSYS,
	ZONE_OTHER,
};

struct zone {
	char id[ZONE_ID_MAX];      /* "intel-rapl:0:1", ids in hex */
	char name[ZONE_NAME_MAX];  /* "package-0", "core", "dram", "psys" */
	char *path;                /* the zone's directory */
	enum zone_kind kind;
	unsigned depth;            /* 0 for a top-level zone */
	int parent;                /* index of the parent zone, -1 at top */
	int fd;                    /* energy_uj, -1 when not open */
	dev_t dev;                 /* identity of the zone's directory, to notice */
	ino_t ino;                 /* a zone that vanished or was replaced */
	uint64_t max_energy_range_uj; /* 0: unknown, wraps cannot be corrected */
	uint64_t last_uj;          /* last raw reading, valid when primed */
	bool primed;
	bool valid;                /* delta_uj holds this interval's energy */
	bool present;              /* still in the tree at the last rescan */
	bool sysfs;                /* energy_uj is sysfs's: never renamed over */
	uint64_t delta_uj;         /* energy of the last interval */
	uint64_t energy_uj;        /* 64-bit accumulator since the zone appeared */
	struct complaint complaint;
};

struct powercap {
	char *root;
	struct zone *zones;
	size_t nzones;
	size_t alloc;
	unsigned samples;          /* since the last full rescan */
	struct complaint denied;   /* zones found that cannot be opened */
};

/**
 * Discover the zones under @root. Returns NULL with errno set when @root
 * cannot be read (ENOENT), holds no zone (ENODEV), or its energy_uj files
 * cannot be opened (EACCES: since Linux 5.10 they are root-only). Free with
 * powercap_free().
 */
struct powercap *powercap_open(const char *root);

/** Close every descriptor and free @pc; NULL is fine. */
void powercap_free(struct powercap *pc);

/**
 * Read every zone once. Each zone's valid/delta_uj describe the interval
 * since the previous sample; a zone whose value could not be read or
 * trusted has valid == false and is re-primed. Zones that vanish are
 * dropped, new ones are picked up (with no delta until their next sample).
 * Returns the number of zones with a valid delta.
 */
size_t powercap_sample(struct powercap *pc);

/**
 * The machine's energy over the last interval in µJ: psys when the tree
 * has it (it covers the whole platform), otherwise the packages plus DRAM
 * (cores and uncore are inside their package). Returns false when none of
 * those zones had a valid delta.
 */
bool powercap_total_delta(const struct powercap *pc, uint64_t *delta_uj);

/** Whether zone @z counts towards the machine total in @pc. */
bool powercap_zone_in_total(const struct powercap *pc, const struct zone *z);

#endif
