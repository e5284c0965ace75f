// SPDX-License-Identifier: MIT
/* The host's CPU packages from sysfs, and the package each RAPL zone measures. */
#include "host/topology.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/proc.h"

struct cpu_place {
	unsigned cpu;
	int package_id, die_id;
};

/* An integer from a one-line sysfs file @path below @dirfd; -errno when unreadable. */
static int read_int(int dirfd, const char *path, int *value)
{
	char buf[32], *end;
	ssize_t n = proc_read_file(dirfd, path, buf, sizeof(buf));
	long v;

	if (n <= 0)
		return n < 0 ? (int)n : -EINVAL;
	v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*value = (int)v;
	return 0;
}

static int compare_place(const void *a, const void *b)
{
	const struct cpu_place *pa = a, *pb = b;

	if (pa->package_id != pb->package_id)
		return (pa->package_id > pb->package_id) - (pa->package_id < pb->package_id);
	return (pa->die_id > pb->die_id) - (pa->die_id < pb->die_id);
}

/* Read every online CPU's place into *@out (malloc'd); their count or -errno. */
static int read_places(const char *sysfs_root, struct cpu_place **out)
{
	char dir[PATH_MAX], path[64 + 32];
	struct cpu_place *places = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *e;
	DIR *d;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/devices/system/cpu", sysfs_root) >= sizeof(dir))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct cpu_place p;
		char *end;
		unsigned long cpu;

		if (strncmp(e->d_name, "cpu", 3) || e->d_name[3] < '0' || e->d_name[3] > '9')
			continue;
		cpu = strtoul(e->d_name + 3, &end, 10);
		if (*end || cpu > 1u << 20)
			continue;
		snprintf(path, sizeof(path), "cpu%lu/topology/physical_package_id", cpu);
		/* an offline CPU has no topology: it does no work to charge */
		if (read_int(dirfd(d), path, &p.package_id) < 0 || p.package_id < 0)
			continue;
		snprintf(path, sizeof(path), "cpu%lu/topology/die_id", cpu);
		if (read_int(dirfd(d), path, &p.die_id) < 0 || p.die_id < 0)
			p.die_id = 0;  /* before Linux 5.3 there were no dies */
		p.cpu = (unsigned)cpu;
		if (n == alloc) {
			struct cpu_place *grown = realloc(places, (alloc = alloc ? 2 * alloc : 64) * sizeof(*grown));

			if (!grown) {
				free(places);
				closedir(d);
				return -ENOMEM;
			}
			places = grown;
		}
		places[n++] = p;
	}
	closedir(d);
	if (!n) {
		free(places);
		return -ENOENT;
	}
	*out = places;
	return (int)n;
}

int topology_read(struct topology *t, const char *sysfs_root)
{
	struct cpu_place *places = NULL;
	bool per_die = false;
	int n = read_places(sysfs_root, &places), ret = 0;

	memset(t, 0, sizeof(*t));
	if (n < 0)
		return n;
	qsort(places, (size_t)n, sizeof(*places), compare_place);
	for (int i = 1; i < n; i++)
		if (places[i].package_id == places[i - 1].package_id && places[i].die_id != places[i - 1].die_id)
			per_die = true;
	for (int i = 0; i < n; i++) {
		if (places[i].cpu >= t->ncpus)
			t->ncpus = places[i].cpu + 1;
		if (!per_die)
			places[i].die_id = -1;
	}
	t->cpu_package = malloc(t->ncpus * sizeof(*t->cpu_package));
	if (!t->cpu_package) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned c = 0; c < t->ncpus; c++)
		t->cpu_package[c] = -1;
	for (int i = 0; i < n; i++) {
		struct topology_package *pkg = t->npackages ? &t->packages[t->npackages - 1] : NULL;

		if (!pkg || compare_place(&places[i], &(struct cpu_place){ .package_id = pkg->package_id,
									   .die_id = pkg->die_id })) {
			if (t->npackages == TOPOLOGY_PACKAGES_MAX) {
				ret = -E2BIG;
				goto out;
			}
			pkg = &t->packages[t->npackages++];
			pkg->package_id = places[i].package_id;
			pkg->die_id = places[i].die_id;
		}
		pkg->ncpus++;
		t->cpu_package[places[i].cpu] = (int)(pkg - t->packages);
	}
out:
	free(places);
	if (ret < 0)
		topology_release(t);
	return ret;
}

void topology_release(struct topology *t)
{
	free(t->cpu_package);
	memset(t, 0, sizeof(*t));
}

int topology_package_of_name(const struct topology *t, const char *name)
{
	int package_id, die_id = -1, len = 0, die_len = 0;

	if (!t)
		return -1;
	if (sscanf(name, "package-%d%n", &package_id, &len) != 1 || package_id < 0)
		return -1;
	if (name[len] && (sscanf(name + len, "-die-%d%n", &die_id, &die_len) != 1 || die_id < 0 ||
			  name[len + die_len]))
		return -1;
	for (unsigned i = 0; i < t->npackages; i++) {
		const struct topology_package *p = &t->packages[i];

		/* dies told apart need a die's zone; one die per package takes either name */
		if (p->package_id == package_id && (p->die_id < 0 || p->die_id == die_id))
			return (int)i;
	}
	return -1;
}

int topology_zone_package(const struct topology *t, const struct powercap *pc, const struct zone *z)
{
	/* a zone's parent comes before it; the walk ends at a top zone */
	for (unsigned hops = 0; z->parent >= 0 && (size_t)z->parent < pc->nzones && hops < 16; hops++)
		z = &pc->zones[z->parent];
	return topology_package_of_name(t, z->name);
}
