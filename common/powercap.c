// SPDX-License-Identifier: MIT
/* Discovery and sampling of powercap zones under any root directory. */
#include "common/powercap_i.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/energy.h"
#include "common/nocancel.h"

/* A full rescan for appearing zones happens every this many samples. */
#define RESCAN_SAMPLES 10
/* Guard against runaway trees: no real machine has this many zones. */
#define MAX_ZONES 4096

/* RAPL domains by name prefix, and whether each adds to the machine total. */
static const struct rapl_domain {
	const char *prefix;
	enum zone_kind kind;
	bool in_total;
} rapl_domains[] = {
	{ .prefix = "package", .kind = ZONE_PACKAGE, .in_total = true },
	{ .prefix = "core", .kind = ZONE_CORE, .in_total = false },
	{ .prefix = "uncore", .kind = ZONE_UNCORE, .in_total = false },
	{ .prefix = "dram", .kind = ZONE_DRAM, .in_total = true },
	{ .prefix = "psys", .kind = ZONE_PSYS, .in_total = true },
};

enum zone_kind zone_kind_of(const char *name)
{
	for (size_t i = 0; i < sizeof(rapl_domains) / sizeof(rapl_domains[0]); i++) {
		size_t n = strlen(rapl_domains[i].prefix);

		if (!strncmp(name, rapl_domains[i].prefix, n) &&
		    (name[n] == '\0' || name[n] == '-'))
			return rapl_domains[i].kind;
	}
	return ZONE_OTHER;
}

static bool kind_in_total(enum zone_kind kind)
{
	for (size_t i = 0; i < sizeof(rapl_domains) / sizeof(rapl_domains[0]); i++)
		if (rapl_domains[i].kind == kind)
			return rapl_domains[i].in_total;
	return false;
}

/* "intel-rapl:0", "intel-rapl-mmio:0:1": a control type, then hex parts. */
static bool is_zone_id(const char *s)
{
	const char *colon = strchr(s, ':');

	if (!colon || colon == s || strlen(s) >= ZONE_ID_MAX)
		return false;
	for (const char *p = s; p < colon; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	for (const char *p = colon; *p; ) {
		if (*p++ != ':' || !isxdigit((unsigned char)*p))
			return false;
		while (isxdigit((unsigned char)*p))
			p++;
	}
	return true;
}

int zone_id_cmp(const char *a, const char *b)
{
	size_t la = strcspn(a, ":"), lb = strcspn(b, ":");
	int c = strncmp(a, b, la < lb ? la : lb);

	if (c || la != lb)
		return c ? c : (la < lb ? -1 : 1);
	a += la;
	b += lb;
	while (*a == ':' && *b == ':') {
		unsigned long va = strtoul(a + 1, (char **)&a, 16);
		unsigned long vb = strtoul(b + 1, (char **)&b, 16);

		if (va != vb)
			return va < vb ? -1 : 1;
	}
	return (*a == ':') - (*b == ':');
}

ssize_t read_attr(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, size - 1, 0);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/* A zone directory found by a scan, before it is opened. */
struct candidate {
	char id[ZONE_ID_MAX];
	char *path;
	dev_t dev;  /* the directory's identity: the same one reached twice */
	ino_t ino;  /* (a flat link and its nested place) is walked once */
};

struct scan {
	struct candidate *items;
	size_t n, alloc;
};

/*
 * Add zone @id at @path (the directory @st). Returns 1 when it is new, 0
 * when the id is known already (its first place wins), with *@walked set
 * when that place is this very directory, whose subzones are then found
 * already; or a negative error.
 */
static int scan_add(struct scan *sc, const char *id, const char *path, const struct stat *st, bool *walked)
{
	*walked = false;
	for (size_t i = 0; i < sc->n; i++)
		if (!strcmp(sc->items[i].id, id)) {
			*walked = sc->items[i].dev == st->st_dev && sc->items[i].ino == st->st_ino;
			return 0;
		}
	if (sc->n >= MAX_ZONES)
		return -E2BIG;
	if (ALLOC_GROW(sc->items, sc->n + 1, sc->alloc) < 0)
		return -ENOMEM;
	sc->items[sc->n].path = strdup(path);
	if (!sc->items[sc->n].path)
		return -ENOMEM;
	snprintf(sc->items[sc->n].id, ZONE_ID_MAX, "%s", id);
	sc->items[sc->n].dev = st->st_dev;
	sc->items[sc->n].ino = st->st_ino;
	sc->n++;
	return 1;
}

static void scan_release(struct scan *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->items[i].path);
	free(sc->items);
	memset(sc, 0, sizeof(*sc));
}

/*
 * Whether entry @e of directory @dir (at @path) is the directory of zone
 * @id: the kernel's links (flat, or the class's) lead to a directory of the
 * zone's own name. A link such as "intel-rapl:5 -> ." or one to another
 * zone's directory would otherwise add a phantom zone, served to every VM.
 * A directory is its own name's; a link, the name it leads to, read with
 * one readlink when it leads straight to a directory (as the kernel's do),
 * else resolved whole.
 */
static bool is_zone_dir(const char *dir, const char *path, const struct dirent *e)
{
	char target[PATH_MAX], real[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t n;

	if (e->d_type == DT_DIR)
		return true;
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
		if (!strcmp(base, e->d_name) &&
		    (size_t)snprintf(real, sizeof(real), "%s/%s", dir, target) < sizeof(real) &&
		    lstat(target[0] == '/' ? target : real, &st) == 0 && S_ISDIR(st.st_mode))
			return true;
	}
	if (!realpath(path, real))
		return false;
	base = strrchr(real, '/');
	return !strcmp(base ? base + 1 : real, e->d_name);
}

/*
 * Collect zone directories below @dir. Zones appear flat at the top of
 * /sys/class/powercap, nested inside their control type (intel-rapl/) and
 * nested inside their parent zone; fixtures and shares may use any of
 * these, so all are searched and ids are de-duplicated, a directory
 * reached twice walked once. @depth bounds the walk: control type, zone,
 * subzone.
 */
static int scan_dir(struct scan *sc, const char *dir, unsigned depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];
	struct stat st;
	int ret = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && ret >= 0) {
		bool zone = is_zone_id(e->d_name), walked = false;

		if (e->d_name[0] == '.')
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN)
			continue;
		if (!zone && (depth > 0 || strchr(e->d_name, ':')))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (zone && !is_zone_dir(dir, path, e)) {
			log_debug("powercap: '%s' leads to no zone of its name: ignored", path);
			continue;
		}
		ret = zone ? scan_add(sc, e->d_name, path, &st, &walked) : 0;
		if (ret >= 0 && !walked && depth < 3)
			ret = scan_dir(sc, path, depth + 1);
	}
	closedir(d);
	return ret < 0 ? ret : 0;
}

static void zone_close(struct zone *z)
{
	if (z->fd >= 0)
		close(z->fd);
	z->fd = -1;
	free(z->path);
	z->path = NULL;
}

/* Open a zone found by a scan. Returns 0, -EACCES, or another -errno. */
static int zone_open(struct zone *z, const struct candidate *c)
{
	char buf[64], path[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	int dirfd, ret = 0;
	ssize_t n;

	memset(z, 0, sizeof(*z));
	z->fd = -1;
	z->parent = -1;
	snprintf(z->id, sizeof(z->id), "%s", c->id);
	dirfd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	n = read_attr(dirfd, "name", buf, sizeof(buf));
	if (n <= 0) {
		ret = n < 0 ? (int)n : -EINVAL;
		goto out;
	}
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(z->name, sizeof(z->name), "%s", buf);
	z->kind = zone_kind_of(z->name);
	n = read_attr(dirfd, "max_energy_range_uj", buf, sizeof(buf));
	if (n < 0 || energy_parse_uj(buf, (size_t)n, &z->max_energy_range_uj) < 0)
		z->max_energy_range_uj = 0;
	if (!z->max_energy_range_uj)
		log_warning("zone '%s': no usable max_energy_range_uj, intervals in which "
			    "its counter wraps will be skipped", z->id);
	z->fd = openat(dirfd, "energy_uj", O_RDONLY | O_CLOEXEC);
	if (z->fd < 0 || fstat(dirfd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	z->dev = st.st_dev;
	z->ino = st.st_ino;
	z->sysfs = fstatfs(z->fd, &sfs) == 0 && sfs.f_type == SYSFS_MAGIC;
	snprintf(path, sizeof(path), "%s", c->path);
	z->path = strdup(path);
	if (!z->path)
		ret = -ENOMEM;
	z->present = true;
out:
	close(dirfd);
	if (ret < 0)
		zone_close(z);
	return ret;
}

static int zone_sort_cmp(const void *a, const void *b)
{
	return zone_id_cmp(((const struct zone *)a)->id, ((const struct zone *)b)->id);
}

static void link_parents(struct powercap *pc)
{
	for (size_t i = 0; i < pc->nzones; i++) {
		struct zone *z = &pc->zones[i];
		const char *last = strrchr(z->id, ':');
		size_t plen = (size_t)(last - z->id);

		z->parent = -1;
		z->depth = 0;
		for (const char *p = strchr(z->id, ':'); p != last; p = strchr(p + 1, ':'))
			z->depth++;
		for (size_t j = 0; j < pc->nzones; j++)
			if (strlen(pc->zones[j].id) == plen && !strncmp(pc->zones[j].id, z->id, plen))
				z->parent = (int)j;
	}
}

/* An intel-rapl-mmio zone duplicates the MSR zone of the same name. */
static bool is_mmio_duplicate(const struct zone *zones, size_t n, const struct zone *z)
{
	if (strncmp(z->id, "intel-rapl-mmio:", 16))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strncmp(zones[i].id, "intel-rapl:", 11) && !strcmp(zones[i].name, z->name))
			return true;
	return false;
}

/*
 * Whether zone @z is still the one in the tree: its directory is. A tree
 * that replaces energy_uj whole at each update (written aside and renamed
 * over, as vpowercap-channel keeps the guest's) leaves the open file
 * unlinked: the new one is opened in its place, the same counter going on.
 *
 * Not @full (every sample): only the open file is looked at (fstat, no
 * path walked); while it is linked the zone is taken as there. A zone
 * removed or replaced unlinks it. On sysfs not even that: no one renames
 * over an attribute, and sysfs fails its reads when the device goes, which
 * brings a rescan. A directory moved away whole is found by the full check
 * that every rescan makes (every RESCAN_SAMPLES samples).
 */
static bool zone_still_there(struct zone *z, bool full)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (!full && (z->sysfs || (fstat(z->fd, &st) == 0 && st.st_nlink > 0)))
		return true;
	if (stat(z->path, &st) < 0)
		return errno == EACCES;  /* cannot tell: keep what is open */
	if (st.st_dev != z->dev || st.st_ino != z->ino)
		return false;
	if (fstat(z->fd, &st) == 0 && st.st_nlink == 0 &&
	    (size_t)snprintf(path, sizeof(path), "%s/energy_uj", z->path) < sizeof(path) &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		close(z->fd);
		z->fd = fd;
	}
	return true;
}

static struct zone *find_zone(struct powercap *pc, const char *id)
{
	for (size_t i = 0; i < pc->nzones; i++)
		if (!strcmp(pc->zones[i].id, id))
			return &pc->zones[i];
	return NULL;
}

/*
 * Bring the zone list in line with the tree: keep the state of zones still
 * there, open new ones, drop vanished ones. Returns 0, or -EACCES when a new
 * zone's energy_uj could not be opened for lack of permission.
 */
static int powercap_rescan(struct powercap *pc)
{
	struct scan sc = { 0 };
	struct zone *next = NULL;
	enum { ZONE_QUIET, ZONE_APPEARED, ZONE_REPLACED } *news;  /* what to log */
	size_t n = 0;
	int ret, denied = 0;

	pc->samples = 0;
	ret = scan_dir(&sc, pc->root, 0);
	if (ret < 0 && sc.n == 0) {
		scan_release(&sc);
		return ret;
	}
	next = calloc(sc.n ? sc.n : 1, sizeof(*next));
	news = calloc(sc.n ? sc.n : 1, sizeof(*news));
	if (!next || !news) {
		free(next);
		free(news);
		scan_release(&sc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < sc.n; i++) {
		struct zone *old = find_zone(pc, sc.items[i].id);

		if (old && old->present && zone_still_there(old, true)) {
			next[n++] = *old;
			old->present = false;  /* moved: not closed below */
			continue;
		}
		ret = zone_open(&next[n], &sc.items[i]);
		if (ret == -EACCES)
			denied = ret;
		if (ret < 0)
			continue;
		news[n] = pc->nzones ? ZONE_APPEARED : ZONE_QUIET;
		if (old && old->present) {
			/* Replaced in place: what was counted so far stays counted. */
			news[n] = ZONE_REPLACED;
			next[n].energy_uj = old->energy_uj;
			zone_close(old);
			old->present = false;
		}
		n++;
	}
	for (size_t i = 0; i < pc->nzones; i++)
		if (pc->zones[i].present) {
			log_warning("zone '%s' (%s) vanished", pc->zones[i].id, pc->zones[i].name);
			zone_close(&pc->zones[i]);
		}
	/* Drop mmio duplicates now that every name is known; then tell. */
	for (size_t i = 0; i < n; ) {
		if (is_mmio_duplicate(next, n, &next[i])) {
			zone_close(&next[i]);
			next[i] = next[--n];
			news[i] = news[n];
			continue;
		}
		if (news[i] == ZONE_APPEARED)
			log_info("zone '%s' (%s) appeared", next[i].id, next[i].name);
		else if (news[i] == ZONE_REPLACED)
			log_info("zone '%s' (%s) was replaced", next[i].id, next[i].name);
		i++;
	}
	free(news);
	qsort(next, n, sizeof(*next), zone_sort_cmp);
	free(pc->zones);
	pc->zones = next;
	pc->nzones = n;
	pc->alloc = sc.n;
	link_parents(pc);
	scan_release(&sc);
	return denied;
}

struct powercap *powercap_open(const char *root)
{
	struct powercap *pc = calloc(1, sizeof(*pc));
	int ret;

	if (!pc)
		return NULL;
	pc->root = strdup(root);
	if (!pc->root) {
		free(pc);
		return NULL;
	}
	ret = powercap_rescan(pc);
	if (ret == 0 && pc->nzones == 0)
		ret = -ENODEV;
	if (ret < 0) {
		powercap_free(pc);
		errno = -ret;
		return NULL;
	}
	return pc;
}

void powercap_free(struct powercap *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < pc->nzones; i++)
		zone_close(&pc->zones[i]);
	free(pc->zones);
	free(pc->root);
	free(pc);
}

/*
 * Read one zone. Returns 0 (with a fresh delta once primed) or a negative
 * error; an unreadable value un-primes the zone, because the start of the
 * next interval is then unknown, and its interval is skipped.
 */
static int zone_sample(struct zone *z)
{
	char buf[32];
	uint64_t cur, delta;
	ssize_t n;

	n = pread_nocancel(z->fd, buf, sizeof(buf) - 1, 0);
	if (n < 0) {
		int err = -errno;

		z->primed = false;
		complain(&z->complaint, LOG_LEVEL_WARNING, "zone '%s': cannot read energy_uj: %s",
			 z->id, strerror(-err));
		return err;
	}
	buf[n] = '\0';
	if (energy_parse_uj(buf, (size_t)n, &cur) < 0) {
		z->primed = false;
		while (n > 0 && isspace((unsigned char)buf[n - 1]))
			buf[--n] = '\0';
		complain(&z->complaint, LOG_LEVEL_WARNING,
			 "zone '%s': energy_uj holds no counter ('%s'), interval skipped", z->id, buf);
		return -EINVAL;
	}
	if (z->primed && !energy_delta(z->last_uj, cur, z->max_energy_range_uj, &delta)) {
		/* The new reading is a sound start for the next interval. */
		complain(&z->complaint, LOG_LEVEL_WARNING,
			 "zone '%s': energy_uj went from %llu to %llu with max_energy_range_uj %llu, "
			 "interval skipped", z->id, (unsigned long long)z->last_uj,
			 (unsigned long long)cur, (unsigned long long)z->max_energy_range_uj);
		z->last_uj = cur;
		return -ERANGE;
	}
	if (z->primed) {
		z->delta_uj = delta;
		z->energy_uj += delta;
		z->valid = true;
		complaint_release(&z->complaint, "zone '%s': readable again", z->id);
	}
	z->last_uj = cur;
	z->primed = true;
	return 0;
}

size_t powercap_sample(struct powercap *pc)
{
	bool rescan = ++pc->samples >= RESCAN_SAMPLES;
	size_t valid = 0;

	for (size_t i = 0; i < pc->nzones; i++) {
		struct zone *z = &pc->zones[i];
		bool primed;
		int ret;

		z->valid = false;
		z->delta_uj = 0;
		if (!zone_still_there(z, false)) {
			rescan = true;
			continue;
		}
		/*
		 * A read that starts failing (a device gone), not a bad value,
		 * looks at the tree again at once; one that goes on failing
		 * waits for the next rescan.
		 */
		primed = z->primed;
		ret = zone_sample(z);
		if (ret < 0 && ret != -EINVAL && ret != -ERANGE && primed)
			rescan = true;
		valid += z->valid;
	}
	if (rescan) {
		/* Fresh zones have no delta yet; surviving ones keep theirs. */
		int ret = powercap_rescan(pc);

		if (ret == -EACCES)
			complain(&pc->denied, LOG_LEVEL_WARNING,
				 "a zone under '%s' cannot be opened: energy_uj is root-only", pc->root);
		for (size_t i = 0; i < pc->nzones; i++)
			if (pc->zones[i].fd >= 0 && !pc->zones[i].primed && !pc->zones[i].complaint.last)
				zone_sample(&pc->zones[i]);
		valid = 0;
		for (size_t i = 0; i < pc->nzones; i++)
			valid += pc->zones[i].valid;
	}
	return valid;
}

bool powercap_zone_in_total(const struct powercap *pc, const struct zone *z)
{
	bool have_psys = false;

	for (size_t i = 0; i < pc->nzones; i++)
		have_psys |= pc->zones[i].kind == ZONE_PSYS;
	if (have_psys)
		return z->kind == ZONE_PSYS;
	return kind_in_total(z->kind);
}

bool powercap_total_delta(const struct powercap *pc, uint64_t *delta_uj)
{
	bool any = false;
	uint64_t sum = 0;

	for (size_t i = 0; i < pc->nzones; i++) {
		const struct zone *z = &pc->zones[i];

		if (z->valid && powercap_zone_in_total(pc, z)) {
			sum += z->delta_uj;
			any = true;
		}
	}
	*delta_uj = sum;
	return any;
}
