// SPDX-License-Identifier: MIT
/*
 * bench-ref-fuse: the floor for reads through FUSE, a minimal libfuse3
 * server (high-level API, libfuse's default timeouts and threads) serving
 * one counter file twice: at the top, and at the depth of a guest's path
 * in the per-VM trees (UUID/intel-rapl/intel-rapl:0/energy_uj).
 *
 *   bench-ref-fuse MOUNTPOINT     (stays in the foreground; SIGTERM unmounts)
 *
 *   /energy_uj
 *   /vm/intel-rapl/intel-rapl:0/energy_uj
 *
 * Every read at offset 0 produces a new, larger number (direct_io: the
 * kernel caches nothing), as the per-VM trees' energy_uj does.
 */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fuse.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static atomic_uint_fast64_t counter = 262143328850ULL / 2;

static const char *const dirs[] = { "/", "/vm", "/vm/intel-rapl", "/vm/intel-rapl/intel-rapl:0" };
static const char *const files[] = { "/energy_uj", "/vm/intel-rapl/intel-rapl:0/energy_uj" };

static int index_of(const char *path, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(path, list[i]))
			return (int)i;
	return -1;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int ref_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (index_of(path, dirs, COUNT(dirs)) >= 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (index_of(path, files, COUNT(files)) >= 0) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = 4096;
		return 0;
	}
	return -ENOENT;
}

static int ref_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	int d = index_of(path, dirs, COUNT(dirs));

	(void)off;
	(void)fi;
	(void)flags;
	if (d < 0)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	if (d == 0)
		fill(buf, "energy_uj", NULL, 0, 0);
	if (d + 1 < (int)COUNT(dirs))
		fill(buf, strrchr(dirs[d + 1], '/') + 1, NULL, 0, 0);
	else
		fill(buf, "energy_uj", NULL, 0, 0);
	return 0;
}

static int ref_open(const char *path, struct fuse_file_info *fi)
{
	if (index_of(path, files, COUNT(files)) < 0)
		return -ENOENT;
	fi->direct_io = 1;
	return 0;
}

static int ref_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	char value[32];
	int len;

	(void)path;
	(void)fi;
	len = snprintf(value, sizeof(value), "%" PRIuFAST64 "\n", atomic_fetch_add(&counter, 1));
	if (off >= len)
		return 0;
	if (size > (size_t)(len - off))
		size = (size_t)(len - off);
	memcpy(buf, value + off, size);
	return (int)size;
}

static const struct fuse_operations ops = {
	.getattr = ref_getattr,
	.readdir = ref_readdir,
	.open = ref_open,
	.read = ref_read,
};

int main(int argc, char **argv)
{
	char *args[] = { argv[0], (char *)"-f", (char *)"-o", (char *)"fsname=bench-ref,subtype=bench-ref",
			 argc > 1 ? argv[1] : NULL, NULL };

	if (argc != 2) {
		fprintf(stderr, "usage: bench-ref-fuse MOUNTPOINT\n");
		return 2;
	}
	return fuse_main(5, args, &ops, NULL);
}
