// SPDX-License-Identifier: MIT
/* The guest's powercap tree from the channel's frames (guest/channel_tree.h). */
#include "guest/channel_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/energy.h"
#include "common/log.h"

/* a zone's directory in the tree: its control type and up to 4 ids */
#define ZONE_PATH_MAX (5 * CHANNEL_ID_MAX + 8)

/* sysfs's modes: energy_uj is root's alone since Linux 5.10 */
#define MODE_ENERGY 0400
#define MODE_READ 0444
#define MODE_ENABLED 0644

/* The control type of zone @id: what comes before its first ':'. */
static void control_type(const char *id, char *buf, size_t size)
{
	size_t len = strcspn(id, ":");

	snprintf(buf, size, "%.*s", (int)len, id);
}

/* A zone's directory relative to the tree: TYPE/ID or TYPE/PARENT/ID... */
static int zone_path(const char *id, char *buf, size_t size)
{
	char chain[4][CHANNEL_ID_MAX], type[CHANNEL_ID_MAX];
	int n = 0;
	size_t len;

	snprintf(chain[n++], sizeof(chain[0]), "%s", id);
	while (n < 4 && channel_zone_parent(chain[n - 1], chain[n], sizeof(chain[0])))
		n++;
	control_type(id, type, sizeof(type));
	len = (size_t)snprintf(buf, size, "%s", type);
	while (n-- > 0 && len < size)
		len += (size_t)snprintf(buf + len, size - len, "/%s", chain[n]);
	return len < size ? 0 : -ENAMETOOLONG;
}

/* Write @text to DIR/@rel whole: aside first, then renamed over. */
static int write_file(const struct channel_tree *t, const char *rel, const char *text, mode_t mode)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	const char *slash;
	size_t len = strlen(text);
	int fd, n;

	if (snprintf(path, sizeof(path), "%s/%s", t->dir, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	slash = strrchr(path, '/');
	n = snprintf(tmp, sizeof(tmp), "%.*s/.%s.new", (int)(slash - path), path, slash + 1);
	if (n < 0 || n >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0 || write(fd, text, len) != (ssize_t)len) {
		int err = errno ? -errno : -EIO;

		close(fd);
		unlink(tmp);
		return err;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

static int write_u64(const struct channel_tree *t, const char *zone_dir, const char *file, uint64_t v,
		     mode_t mode)
{
	char rel[ZONE_PATH_MAX + 32], text[24];

	if (snprintf(rel, sizeof(rel), "%s/%s", zone_dir, file) >= (int)sizeof(rel))
		return -ENAMETOOLONG;
	snprintf(text, sizeof(text), "%" PRIu64 "\n", v);
	return write_file(t, rel, text, mode);
}

static int make_dir(const struct channel_tree *t, const char *rel)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", t->dir, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Lay out the tree of the layout: directories, names, ranges, links. */
static int write_layout(const struct channel_tree *t)
{
	for (size_t i = 0; i < t->nzones; i++) {
		const struct channel_tree_zone *z = &t->zones[i];
		char dir[ZONE_PATH_MAX], type[CHANNEL_ID_MAX], rel[ZONE_PATH_MAX + 32];
		char target[CHANNEL_ZONE_NAME_MAX + 2];
		int ret;

		control_type(z->id, type, sizeof(type));
		if ((ret = make_dir(t, type)) < 0 ||
		    (snprintf(rel, sizeof(rel), "%s/enabled", type), ret = write_file(t, rel, "1\n", MODE_ENABLED)) < 0)
			return ret;
		if ((ret = zone_path(z->id, dir, sizeof(dir))) < 0 || (ret = make_dir(t, dir)) < 0)
			return ret;
		snprintf(rel, sizeof(rel), "%s/name", dir);
		snprintf(target, sizeof(target), "%s\n", z->name);
		if ((ret = write_file(t, rel, target, MODE_READ)) < 0 ||
		    (ret = write_u64(t, dir, "max_energy_range_uj", z->max_energy_range_uj, MODE_READ)) < 0 ||
		    (ret = write_u64(t, dir, "energy_uj", z->energy_uj, MODE_ENERGY)) < 0)
			return ret;
		snprintf(rel, sizeof(rel), "%s/enabled", dir);
		if ((ret = write_file(t, rel, "1\n", MODE_ENABLED)) < 0)
			return ret;
	}
	/*
	 * The flat links, as /sys/class/powercap has them, once every zone is
	 * whole, subzones first: a reader that finds a package's link finds
	 * every zone of the tree.
	 */
	for (size_t i = t->nzones; i-- > 0; ) {
		const struct channel_tree_zone *z = &t->zones[i];
		char dir[ZONE_PATH_MAX], link[PATH_MAX + CHANNEL_ID_MAX];
		int ret;

		if ((ret = zone_path(z->id, dir, sizeof(dir))) < 0)
			return ret;
		snprintf(link, sizeof(link), "%s/%s", t->dir, z->id);
		unlink(link);
		if (symlink(dir, link) < 0)
			return -errno;
	}
	return 0;
}

/* The first line of DIR/@rel into @buf (@size bytes), without its newline. */
static int read_line(const char *dir, const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Read DIR/@rel as a decimal number. */
static int read_u64(const char *dir, const char *rel, uint64_t *v)
{
	char text[32];
	int ret = read_line(dir, rel, text, sizeof(text));

	return ret < 0 ? ret : energy_parse_uj(text, strlen(text), v);
}

static int zone_cmp(const void *a, const void *b)
{
	return strcmp(((const struct channel_tree_zone *)a)->id, ((const struct channel_tree_zone *)b)->id);
}

/* The layout and values an earlier run left in the tree, if any. */
static void read_back(struct channel_tree *t)
{
	DIR *d = opendir(t->dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && t->nzones < CHANNEL_ZONES_MAX) {
		struct channel_tree_zone *z = &t->zones[t->nzones];
		char dir[ZONE_PATH_MAX], rel[ZONE_PATH_MAX + 32];

		if (e->d_name[0] == '.' || !channel_zone_id_valid(e->d_name) ||
		    strlen(e->d_name) >= sizeof(z->id) || zone_path(e->d_name, dir, sizeof(dir)) < 0)
			continue;
		memset(z, 0, sizeof(*z));
		snprintf(z->id, sizeof(z->id), "%s", e->d_name);
		snprintf(rel, sizeof(rel), "%s/name", dir);
		if (read_line(t->dir, rel, z->name, sizeof(z->name)) < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/max_energy_range_uj", dir);
		if (read_u64(t->dir, rel, &z->max_energy_range_uj) < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/energy_uj", dir);
		if (read_u64(t->dir, rel, &z->energy_uj) < 0)
			continue;
		if (z->max_energy_range_uj && z->energy_uj >= z->max_energy_range_uj)
			continue;
		t->nzones++;
	}
	closedir(d);
	/* parents before subzones, as frames have them */
	qsort(t->zones, t->nzones, sizeof(t->zones[0]), zone_cmp);
	t->have_layout = t->nzones > 0;
}

int channel_tree_open(struct channel_tree *t, const char *dir)
{
	memset(t, 0, sizeof(*t));
	if (snprintf(t->dir, sizeof(t->dir), "%s", dir) >= (int)sizeof(t->dir))
		return log_error(-ENAMETOOLONG, "tree: '%s' is too long a path", dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return log_error(-errno, "tree: cannot make '%s': %s", dir, strerror(errno));
	read_back(t);
	if (t->have_layout)
		log_info("tree: going on from the %zu zones left in '%s'", t->nzones, dir);
	return 0;
}

static const struct channel_zone *frame_zone(const struct channel_frame *f, const struct channel_tree_zone *z)
{
	for (size_t i = 0; i < f->nzones; i++)
		if (!strcmp(f->zones[i].id, z->id) && !strcmp(f->zones[i].name, z->name))
			return &f->zones[i];
	return NULL;
}

bool channel_tree_count(struct channel_tree *t, const struct channel_frame *f)
{
	bool same = t->host[0] && !strcmp(t->host, f->host) && t->epoch == f->epoch;
	bool layout = false;

	if (!t->have_layout) {
		t->nzones = f->nzones;
		for (size_t i = 0; i < f->nzones; i++) {
			struct channel_tree_zone *z = &t->zones[i];

			memset(z, 0, sizeof(*z));
			memcpy(z->id, f->zones[i].id, sizeof(z->id));
			memcpy(z->name, f->zones[i].name, sizeof(z->name));
			z->max_energy_range_uj = f->zones[i].max_energy_range_uj;
			/* the first sender's counters, as they are: a new VM's start */
			z->energy_uj = f->zones[i].energy_uj;
		}
		t->have_layout = true;
		layout = true;
		same = false;
	}
	if (!same) {
		if (t->host[0])
			t->senders++;
		snprintf(t->host, sizeof(t->host), "%s", f->host);
		t->epoch = f->epoch;
	}
	for (size_t i = 0; i < t->nzones; i++) {
		struct channel_tree_zone *z = &t->zones[i];
		const struct channel_zone *fz = frame_zone(f, z);
		uint64_t delta;

		if (!fz) {
			z->have_host = false;  /* stands still until its sender has it again */
			continue;
		}
		if (same && z->have_host && energy_delta(z->host_uj, fz->energy_uj, fz->max_energy_range_uj, &delta)) {
			if (z->max_energy_range_uj)
				z->energy_uj = (z->energy_uj + delta % z->max_energy_range_uj) % z->max_energy_range_uj;
			else
				z->energy_uj += delta;
		}
		z->host_uj = fz->energy_uj;
		z->have_host = true;
	}
	return layout;
}

int channel_tree_apply(struct channel_tree *t, const struct channel_frame *f)
{
	uint64_t before[CHANNEL_ZONES_MAX];
	bool layout;
	int ret;

	uint64_t senders = t->senders;

	for (size_t i = 0; i < t->nzones; i++)
		before[i] = t->zones[i].energy_uj;
	layout = channel_tree_count(t, f);
	if (layout) {
		if ((ret = write_layout(t)) < 0)
			return log_error(ret, "tree: cannot lay out '%s': %s", t->dir, strerror(-ret));
		log_info("tree: %zu zones in '%s', from host '%s' (epoch %" PRIu64 ")", t->nzones, t->dir,
			 t->host, t->epoch);
		return 0;
	}
	if (t->senders != senders)
		log_info("tree: frames now from host '%s' (epoch %" PRIu64 "): the counters go on from where "
			 "they were", t->host, t->epoch);
	for (size_t i = 0; i < t->nzones; i++) {
		char dir[ZONE_PATH_MAX];

		if (t->zones[i].energy_uj == before[i])
			continue;
		if ((ret = zone_path(t->zones[i].id, dir, sizeof(dir))) < 0 ||
		    (ret = write_u64(t, dir, "energy_uj", t->zones[i].energy_uj, MODE_ENERGY)) < 0)
			return log_error(ret, "tree: cannot write zone '%s' in '%s': %s", t->zones[i].id, t->dir,
					 strerror(-ret));
	}
	return 0;
}
