// SPDX-License-Identifier: MIT
/*
 * Saving and loading the ledger. The file is text:
 *
 *   vpowercap-counters 1
 *   zone ID HOST_UJ REMAINDER_UJ NAME
 *   vm UUID VCPUS NAME
 *   share ZONE_ID ENERGY_UJ
 *   end LINES FNV1A64
 *
 * Each vm line's shares follow it. NAME runs to the end of its line. The
 * end line counts the lines before it and hashes their bytes, so a torn
 * or altered file is refused whole.
 */
#include "host/state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/decimal.h"
#include "common/log.h"
#include "common/users.h"
#include "fuse/feed.h"

#define STATE_FILE "counters"
#define STATE_PREV "counters.prev"
#define STATE_TEMP "counters.tmp"
#define STATE_MAGIC "vpowercap-counters 1"

static uint64_t fnv1a(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_SEED 0xcbf29ce484222325ULL

/* A line is at most this long: names are cut to fit. */
#define LINE_MAX_LEN 1024

/*
 * The file as it is made, through a buffer of its own written out with
 * write() when a line might not fit: a save writes a line per zone, VM and
 * share, and stdio's per-call locking and copying cost more than making
 * them.
 */
struct writer {
	int fd;
	int err;          /* the first write's error, -errno */
	uint64_t hash;
	unsigned long lines;
	size_t start;     /* where the line being made begins in buf */
	size_t len;       /* bytes in buf */
	char buf[64 * 1024];
};

static void writer_flush(struct writer *w, size_t upto)
{
	size_t off = 0;

	while (off < upto && !w->err) {
		ssize_t n = write(w->fd, w->buf + off, upto - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			w->err = n < 0 ? -errno : -EIO;
		else
			off += (size_t)n;
	}
	memmove(w->buf, w->buf + upto, w->len - upto);
	w->len -= upto;
	w->start -= upto;
}

/*
 * A line is made of words added one by one, by hand rather than with
 * printf: a save at 5,000 VMs writes 35,000 lines, and the format handling
 * cost more than the rest of the save.
 */
/* Room left on the line being made, its newline kept aside. */
static size_t line_room(const struct writer *w)
{
	return LINE_MAX_LEN - 1 - (w->len - w->start);
}

static void put_str(struct writer *w, const char *s)
{
	size_t n = strlen(s);

	if (n > line_room(w))
		n = line_room(w);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void put_u64(struct writer *w, uint64_t v)
{
	if (DECIMAL_U64_MAX <= line_room(w))
		w->len += decimal_u64(w->buf + w->len, v);
}

/* The line made so far, ended with a newline and hashed; the buffer written out when the next might not fit. */
static void put_end(struct writer *w)
{
	w->buf[w->len++] = '\n';
	w->hash = fnv1a(w->hash, w->buf + w->start, w->len - w->start);
	w->lines++;
	w->start = w->len;
	if (sizeof(w->buf) - w->len < LINE_MAX_LEN)
		writer_flush(w, w->len);
}

/* Names go last on their line; a newline in one would break the file. */
static void clean_name(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
	dst[i] = '\0';
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int state_save(const struct ledger *l, const char *dir, unsigned lease_ticks)
{
	char tmp[PATH_MAX], cur[PATH_MAX], prev[PATH_MAX], name[VM_NAME_MAX];
	struct writer w;  /* its buffer left as it is: only what is written is read */
	int fd, ret = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/" STATE_TEMP, dir) >= sizeof(tmp) ||
	    (size_t)snprintf(cur, sizeof(cur), "%s/" STATE_FILE, dir) >= sizeof(cur) ||
	    (size_t)snprintf(prev, sizeof(prev), "%s/" STATE_PREV, dir) >= sizeof(prev))
		return log_error(-ENAMETOOLONG, "state: directory name too long '%s'", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		return log_error(ret, "state: cannot write '%s': %s", tmp, strerror(-ret));
	}
	w.fd = fd;
	w.err = 0;
	w.hash = FNV_SEED;
	w.lines = 0;
	w.start = w.len = 0;
	put_str(&w, STATE_MAGIC);
	put_end(&w);
	for (size_t z = 0; z < l->nzones; z++) {
		const struct ledger_zone *zone = &l->zones[z];

		clean_name(name, zone->name, sizeof(name));
		put_str(&w, "zone ");
		put_str(&w, zone->id);
		put_str(&w, " ");
		put_u64(&w, ledger_lease_uj(zone->host_energy_uj, zone->host_delta_uj, lease_ticks));
		put_str(&w, " ");
		put_u64(&w, ledger_lease_uj(zone->remainder.energy_uj, zone->remainder.delta_uj, lease_ticks));
		put_str(&w, " ");
		put_str(&w, name);
		put_end(&w);
	}
	for (size_t i = 0; i < l->nvms; i++) {
		const struct ledger_vm *vm = &l->vms[i];

		clean_name(name, vm->info.name, sizeof(name));
		put_str(&w, "vm ");
		put_str(&w, vm->info.uuid);
		put_str(&w, " ");
		put_u64(&w, vm->info.vcpus);
		put_str(&w, " ");
		put_str(&w, name[0] ? name : "-");
		put_end(&w);
		for (size_t z = 0; z < l->nzones; z++) {
			put_str(&w, "share ");
			put_str(&w, l->zones[z].id);
			put_str(&w, " ");
			put_u64(&w, ledger_lease_uj(vm->shares[z].energy_uj, vm->shares[z].delta_uj, lease_ticks));
			put_end(&w);
		}
	}
	w.len += (size_t)snprintf(w.buf + w.len, sizeof(w.buf) - w.len, "end %lu %016" PRIx64 "\n", w.lines, w.hash);
	writer_flush(&w, w.len);
	ret = w.err;
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret < 0) {
		unlink(tmp);
		return log_error(ret, "state: cannot write '%s': %s", tmp, strerror(-ret));
	}
	/*
	 * Keep the last good file beside the new one. It is used only when
	 * the new one is found unusable; its counters are lower, but it loses
	 * far less than starting from zero.
	 */
	if (link(cur, prev) < 0 && errno == EEXIST) {
		char prev_tmp[PATH_MAX + 8];

		snprintf(prev_tmp, sizeof(prev_tmp), "%s.new", prev);
		unlink(prev_tmp);
		if (link(cur, prev_tmp) == 0)
			rename(prev_tmp, prev);
	}
	if (rename(tmp, cur) < 0) {
		ret = -errno;
		unlink(tmp);
		return log_error(ret, "state: cannot rename '%s': %s", tmp, strerror(-ret));
	}
	fsync_dir(dir);
	return 0;
}

int state_save_or_hold(struct ledger *l, const char *dir, unsigned lease_ticks, struct complaint *failing)
{
	int ret = state_save(l, dir, lease_ticks);

	if (ret < 0) {
		size_t held = ledger_hold_at_ceilings(l);

		complain(failing, LOG_LEVEL_ERROR, "counters cannot be saved in '%s' (%s): %zu counters stand still "
			 "at their saved value until saves work again", dir, strerror(-ret), held);
		return ret;
	}
	ledger_renew_ceilings(l, lease_ticks);
	complaint_release(failing, "counters saved in '%s' again: they move on", dir);
	return 0;
}

/* Whether @uid is one the daemon may trust with its directory. */
static bool trusted_owner(uid_t uid, bool has_user, uid_t user_uid)
{
	return uid == 0 || uid == geteuid() || (has_user && uid == user_uid);
}

int state_dir_prepare(const char *dir, const char *user)
{
	static const char *const files[] = { STATE_FILE, STATE_PREV, STATE_TEMP };
	char parent[PATH_MAX], base[PATH_MAX];
	bool has_user = false;
	uid_t uid = 0;
	gid_t gid = 0;
	int pfd = -1, dfd = -1, ret = 0;
	struct stat st;

	if ((size_t)snprintf(parent, sizeof(parent), "%s", dir) >= sizeof(parent) ||
	    (size_t)snprintf(base, sizeof(base), "%s", dir) >= sizeof(base))
		return log_error(-ENAMETOOLONG, "state directory name too long '%s'", dir);
	if (geteuid() == 0 && user && !(has_user = users_find(user, &uid, &gid) == 0))
		return log_error(-ENOENT, "user '%s' does not exist: create it ('make install' does) "
				 "or name another with --user", user);
	/* dirname and basename of a copy each: both may write into it */
	{
		char *b = basename(base), *p = dirname(parent);

		memmove(base, b, strlen(b) + 1);
		memmove(parent, p, strlen(p) + 1);
	}
	if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
		return log_error(-EINVAL, "state directory '%s' must name a directory of its own", dir);
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 || fstat(pfd, &st) < 0) {
		ret = log_error(-errno, "cannot open '%s', the state directory's parent: %s", parent, strerror(errno));
		goto out;
	}
	/*
	 * Whoever may write to the parent may swap the state directory for a
	 * link to anything between our checks and our chown. A sticky parent
	 * (/tmp) lets only an entry's owner replace it, so it is safe for a
	 * directory we or root own.
	 */
	if (!trusted_owner(st.st_uid, false, 0) ||
	    ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
		ret = log_error(-EPERM, "refusing state directory '%s': its parent '%s' (owner uid %u, mode %04o) "
				"is writable by others; use a directory under one only root writes to",
				dir, parent, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (mkdirat(pfd, base, 0750) < 0 && errno != EEXIST) {
		ret = log_error(-errno, "cannot create state directory '%s': %s", dir, strerror(errno));
		goto out;
	}
	dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		if (ret == -ELOOP || ret == -ENOTDIR)
			log_error(ret, "refusing state directory '%s': it is %s, not a directory (make it a "
				  "real directory, or name one)", dir,
				  fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) ?
				  "a symbolic link" : "a file");
		else
			log_error(ret, "cannot open state directory '%s': %s", dir, strerror(-ret));
		goto out;
	}
	if (fstat(dfd, &st) < 0 || !trusted_owner(st.st_uid, has_user, uid)) {
		ret = log_error(-EPERM, "refusing state directory '%s': it belongs to uid %u, not to root or '%s'",
				dir, (unsigned)st.st_uid, user ? user : "us");
		goto out;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct stat fst;

		if (fstatat(dfd, files[i], &fst, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(fst.st_mode)) {
			ret = log_error(-EINVAL, "'%s/%s' is %s, not a counters file: move it out of the way",
					dir, files[i], S_ISDIR(fst.st_mode) ? "a directory" :
					S_ISLNK(fst.st_mode) ? "a symbolic link" : "not a regular file");
			goto out;
		}
	}
	if (has_user && (st.st_uid != uid || st.st_gid != gid) && fchown(dfd, uid, gid) < 0)
		ret = log_error(-errno, "cannot hand '%s' to '%s': %s", dir, user, strerror(errno));
out:
	if (dfd >= 0)
		close(dfd);
	if (pfd >= 0)
		close(pfd);
	return ret;
}

/* Split "a b c rest of line": @n words into @words, the rest into *@rest. */
static size_t split_words(char *line, char **words, size_t n, char **rest)
{
	size_t k = 0;
	char *p = line;

	*rest = NULL;
	while (k < n && *p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		words[k++] = p;
		p += strcspn(p, " ");
		if (*p)
			*p++ = '\0';
	}
	if (*p)
		*rest = p;
	return k;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return (errno || end == s || *end) ? -EINVAL : 0;
}

/* Check the file's end line, then load it into @l. */
static int load_file(struct ledger *l, const char *path, char *why, size_t whylen)
{
	char line[1024], *words[4], *rest;
	uint64_t hash = FNV_SEED, v;
	unsigned long lines = 0, want_lines;
	struct ledger_vm *vm = NULL;
	bool ended = false, *seen = NULL;  /* seen: the current vm's shares */
	int ret = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	/* First pass: integrity. */
	while (fgets(line, sizeof(line), f)) {
		char want_hash[17];

		if (!strncmp(line, "end ", 4)) {
			snprintf(want_hash, sizeof(want_hash), "%016" PRIx64, hash);
			if (sscanf(line, "end %lu", &want_lines) != 1 || want_lines != lines ||
			    !strstr(line, want_hash)) {
				snprintf(why, whylen, "checksum does not match");
				ret = -EINVAL;
			}
			ended = true;
			break;
		}
		hash = fnv1a(hash, line, strlen(line));
		lines++;
	}
	if (!ret && !ended) {
		snprintf(why, whylen, "truncated (no end line)");
		ret = -EINVAL;
	}
	if (ret < 0)
		goto out;
	rewind(f);
	if (!fgets(line, sizeof(line), f) || strncmp(line, STATE_MAGIC "\n", sizeof(STATE_MAGIC))) {
		snprintf(why, whylen, "not a vpowercap counters file");
		ret = -EINVAL;
		goto out;
	}
	/* Second pass: content. */
	for (unsigned long n = 1; n < lines && fgets(line, sizeof(line), f); n++) {
		size_t k;
		int z;

		line[strcspn(line, "\n")] = '\0';
		/* zone lines have three words before the name, vm lines two */
		k = split_words(line, words, !strncmp(line, "vm ", 3) ? 3 : 4, &rest);
		if (k == 4 && !strcmp(words[0], "zone")) {
			uint64_t host, rem;

			if (parse_u64(words[2], &host) < 0 || parse_u64(words[3], &rem) < 0 || vm ||
			    strlen(words[1]) >= ZONE_ID_MAX || (rest && strlen(rest) >= ZONE_NAME_MAX) ||
			    l->nzones >= FEED_ZONES_MAX)
				goto bad;
			if (ledger_find_zone(l, words[1]) >= 0)
				goto twice;
			z = ledger_add_zone(l, words[1], rest ? rest : "");
			if (z < 0)
				goto nomem;
			l->zones[z].host_energy_uj = l->zones[z].host_ceiling_uj = host;
			l->zones[z].remainder.energy_uj = l->zones[z].remainder_ceiling_uj = rem;
		} else if (k == 3 && !strcmp(words[0], "vm") && rest) {
			uint64_t vcpus;

			if (parse_u64(words[2], &vcpus) < 0 || vcpus > UINT_MAX || strlen(words[1]) >= VM_UUID_MAX ||
			    strlen(rest) >= VM_NAME_MAX)
				goto bad;
			if (ledger_find_vm(l, words[1]))
				goto twice;
			vm = ledger_add_vm(l, words[1]);
			free(seen);
			seen = calloc(l->nzones ? l->nzones : 1, sizeof(*seen));
			if (!vm || !seen || ledger_vm_set_name(vm, rest) < 0)
				goto nomem;
			vm->info.vcpus = (unsigned)vcpus;
		} else if (k == 3 && !strcmp(words[0], "share") && vm) {
			z = ledger_find_zone(l, words[1]);
			if (z < 0 || parse_u64(words[2], &v) < 0)
				goto bad;
			if (seen[z])
				goto twice;
			seen[z] = true;
			vm = ledger_find_vm(l, vm->info.uuid);  /* inserts may have moved it */
			vm->shares[z].energy_uj = vm->ceilings[z] = v;
		} else {
			goto bad;
		}
		continue;
bad:
		snprintf(why, whylen, "line %lu is malformed", n + 1);
		ret = -EINVAL;
		goto out;
twice:
		snprintf(why, whylen, "line %lu repeats an earlier one", n + 1);
		ret = -EINVAL;
		goto out;
nomem:
		snprintf(why, whylen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
out:
	free(seen);
	fclose(f);
	return ret;
}

int state_load(struct ledger *l, const char *dir)
{
	static const char *const files[] = { STATE_FILE, STATE_PREV };
	bool any = false;

	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX], why[128] = "";
		int ret;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, files[i]) >= sizeof(path))
			return -ENAMETOOLONG;
		ret = load_file(l, path, why, sizeof(why));
		if (ret == 0) {
			if (i > 0)
				log_warning("state: using the previous copy '%s'", path);
			log_info("state: loaded %zu VMs and %zu zones from '%s'", l->nvms, l->nzones, path);
			return 0;
		}
		if (ret == -ENOENT)
			continue;
		any = true;
		log_error(ret, "state: '%s' is unusable (%s)%s", path, why[0] ? why : strerror(-ret),
			  i == 0 ? ", trying the previous copy" : "");
		/* Start the next candidate from an empty ledger. */
		{
			struct ledger_config cfg = l->cfg;

			ledger_release(l);
			ledger_init(l, &cfg);
		}
	}
	return any ? -EINVAL : -ENOENT;
}

int state_write_source(const char *dir, const char *host, bool fresh)
{
	uint64_t epoch = 0;
	char old_host[CHANNEL_HOST_MAX];
	bool loaded;
	int ret;

	loaded = !fresh && channel_source_load(dir, old_host, &epoch) == 0 && epoch;
	if (loaded && !strcmp(old_host, host))
		return 0;  /* as saved: nothing to write (a full disk does not stop a restart) */
	if (!loaded) {
		if (getrandom(&epoch, sizeof(epoch), 0) != sizeof(epoch))
			epoch = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
		/* never 0, and exact as a JSON or Prometheus number */
		epoch = (epoch & ((UINT64_C(1) << 53) - 1)) | 1;
	}
	ret = channel_source_save(dir, host, epoch);
	if (ret < 0)
		return log_error(ret, "state: cannot write '%s/" CHANNEL_SOURCE_FILE "': %s", dir, strerror(-ret));
	log_debug("channel: this host is '%s', its counters' epoch %" PRIu64, host, epoch);
	return 0;
}
