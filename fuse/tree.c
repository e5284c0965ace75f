// SPDX-License-Identifier: MIT
/* Snapshots of the per-VM trees, published whole each tick. */
#include "fuse/tree.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sensor.h"

static void snapshot_free(struct tree_snapshot *s)
{
	if (!s)
		return;
	free(s->zones);
	free(s->vms);
	free(s->values);
	free(s);
}

static struct tree_snapshot *snapshot_empty(void)
{
	struct tree_snapshot *s = calloc(1, sizeof(*s));

	if (s)
		s->refs = 1;
	return s;
}

int tree_init(struct tree *t)
{
	int ret = pthread_mutex_init(&t->lock, NULL);

	if (ret)
		return -ret;
	t->current = snapshot_empty();
	if (!t->current) {
		pthread_mutex_destroy(&t->lock);
		return -ENOMEM;
	}
	return 0;
}

void tree_release(struct tree *t)
{
	snapshot_free(t->current);
	t->current = NULL;
	pthread_mutex_destroy(&t->lock);
}

static int vm_by_dir(const void *a, const void *b)
{
	return strcmp(((const struct tree_vm *)a)->dir, ((const struct tree_vm *)b)->dir);
}

/* A directory name must be a single usable path component. */
static void dir_name(char *dir, size_t size, const char *name)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < size; i++)
		dir[i] = name[i] == '/' ? '_' : name[i];
	dir[i] = '\0';
	if (!dir[0] || !strcmp(dir, ".") || !strcmp(dir, ".."))
		snprintf(dir, size, "vm%.3s", name);
}

/* How a host's estimate appears in the VMs' trees. */
#define ESTIMATE_ZONE_ID "intel-rapl:0"
#define ESTIMATE_ZONE_NAME "package-0"

struct tree_snapshot *tree_snapshot_build(const struct ledger *l)
{
	struct tree_snapshot *s = snapshot_empty();
	size_t *zone_map = NULL, nz = 0, nv = 0;

	if (!s)
		return NULL;
	for (size_t z = 0; z < l->nzones; z++)
		nz += l->zones[z].present;
	for (size_t i = 0; i < l->nvms; i++)
		nv += l->vms[i].present;
	s->zones = calloc(nz ? nz : 1, sizeof(*s->zones));
	s->vms = calloc(nv ? nv : 1, sizeof(*s->vms));
	s->values = calloc(nz && nv ? nz * nv : 1, sizeof(*s->values));
	zone_map = calloc(l->nzones ? l->nzones : 1, sizeof(*zone_map));
	if (!s->zones || !s->vms || !s->values || !zone_map)
		goto fail;

	for (size_t z = 0; z < l->nzones; z++) {
		const struct ledger_zone *lz = &l->zones[z];
		struct tree_zone *tz;

		if (!lz->present)
			continue;
		zone_map[s->nzones] = z;
		tz = &s->zones[s->nzones++];
		memcpy(tz->id, lz->id, sizeof(tz->id));
		memcpy(tz->name, lz->name, sizeof(tz->name));
		tz->max_energy_range_uj = lz->max_energy_range_uj;
		if (!strcmp(tz->id, SENSOR_ESTIMATE_ZONE_ID)) {
			/*
			 * The estimate of a host without RAPL, its one zone: a
			 * package to the guest, where powercap readers look for one.
			 */
			snprintf(tz->id, sizeof(tz->id), "%s", ESTIMATE_ZONE_ID);
			snprintf(tz->name, sizeof(tz->name), "%s", ESTIMATE_ZONE_NAME);
		}
	}
	for (size_t z = 0; z < s->nzones; z++) {
		const char *last = strrchr(s->zones[z].id, ':');
		size_t plen = (size_t)(last - s->zones[z].id);

		s->zones[z].parent = -1;
		for (size_t p = 0; p < s->nzones; p++)
			if (strlen(s->zones[p].id) == plen && !strncmp(s->zones[p].id, s->zones[z].id, plen))
				s->zones[z].parent = (int)p;
	}
	for (size_t i = 0; i < l->nvms; i++) {
		const struct ledger_vm *vm = &l->vms[i];
		struct tree_vm *tv;
		uint64_t *values;

		if (!vm->present)
			continue;
		tv = &s->vms[s->nvms];
		values = &s->values[s->nvms * s->nzones];
		s->nvms++;
		dir_name(tv->dir, sizeof(tv->dir), vm->info.name);
		memcpy(tv->uuid, vm->info.uuid, sizeof(tv->uuid));
		for (size_t z = 0; z < s->nzones; z++)
			values[z] = ledger_shown_uj(&l->zones[zone_map[z]], vm->shares[zone_map[z]].energy_uj);
		tv->energy_uj = values;
	}
	qsort(s->vms, s->nvms, sizeof(*s->vms), vm_by_dir);
	/* Two VMs of one name (proc source): later ones get their UUID added. */
	for (size_t i = 1; i < s->nvms; i++) {
		if (strcmp(s->vms[i].dir, s->vms[i - 1].dir))
			continue;
		{
			char dir[VM_NAME_MAX];

			snprintf(dir, sizeof(dir), "%.*s-%s", (int)(sizeof(dir) - VM_UUID_MAX - 2),
				 s->vms[i].dir, s->vms[i].uuid);
			memcpy(s->vms[i].dir, dir, sizeof(dir));
		}
	}
	qsort(s->vms, s->nvms, sizeof(*s->vms), vm_by_dir);
	free(zone_map);
	return s;
fail:
	free(zone_map);
	snapshot_free(s);
	return NULL;
}

void tree_publish(struct tree *t, struct tree_snapshot *s)
{
	struct tree_snapshot *old;

	pthread_mutex_lock(&t->lock);
	old = t->current;
	t->current = s;
	if (--old->refs == 0)
		snapshot_free(old);
	pthread_mutex_unlock(&t->lock);
}

struct tree_snapshot *tree_get(struct tree *t)
{
	struct tree_snapshot *s;

	pthread_mutex_lock(&t->lock);
	s = t->current;
	s->refs++;
	pthread_mutex_unlock(&t->lock);
	return s;
}

void tree_put(struct tree *t, struct tree_snapshot *s)
{
	bool last;

	pthread_mutex_lock(&t->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (last)
		snapshot_free(s);
}

const struct tree_vm *tree_find_vm(const struct tree_snapshot *s, const char *dir, size_t len)
{
	size_t lo = 0, hi = s->nvms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(s->vms[mid].dir, dir, len);

		if (c == 0 && s->vms[mid].dir[len] != '\0')
			c = 1;
		if (c == 0)
			return &s->vms[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int tree_find_zone(const struct tree_snapshot *s, const char *id, size_t len)
{
	for (size_t z = 0; z < s->nzones; z++)
		if (!strncmp(s->zones[z].id, id, len) && s->zones[z].id[len] == '\0')
			return (int)z;
	return -1;
}
