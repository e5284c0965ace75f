// SPDX-License-Identifier: MIT
/*
 * The per-VM powercap trees over FUSE. Layout, as in docs/daemon.md:
 *
 *   /UUID/intel-rapl/enabled
 *   /UUID/intel-rapl/intel-rapl:0/{name,energy_uj,max_energy_range_uj,enabled}
 *   /UUID/intel-rapl/intel-rapl:0/intel-rapl:0:0/...
 *   /UUID/intel-rapl:0 -> intel-rapl/intel-rapl:0
 *   /UUID/intel-rapl:0:0 -> intel-rapl/intel-rapl:0/intel-rapl:0:0
 *   /DOMAIN -> UUID
 *
 * A domain's share is keyed by its UUID, which a rename keeps: a renamed
 * domain's definition still points at its own tree, not at that of a new
 * domain of its old name. The name is a link, for people and definitions
 * that name it.
 *
 * Like sysfs, a read at offset 0 produces the whole current value and the
 * open file keeps it for reads at later offsets, so a reader taking one
 * byte at a time gets one consistent number, and one that preads offset 0
 * each tick gets a fresh value each time.
 */
#define FUSE_USE_VERSION 312

#include "fuse/fusefs.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define CONTROL_TYPE "intel-rapl"

enum node_kind {
	NODE_ROOT,
	NODE_VM,        /* a VM's share root, named by its UUID */
	NODE_VM_LINK,   /* a VM's name, a link to its share root */
	NODE_CONTROL,   /* DOMAIN/intel-rapl */
	NODE_ZONE,      /* a zone directory */
	NODE_LINK,      /* a flat link at the share root */
	NODE_ATTR,      /* a file */
};

enum attr_kind {
	ATTR_NAME,
	ATTR_ENERGY,
	ATTR_MAX_RANGE,
	ATTR_ENABLED,
	ATTR_COUNT,
};

/* The files of a zone, with sysfs's modes (energy_uj is root-only since 5.10). */
static const struct attr_file {
	const char *file;
	mode_t mode;
} attr_files[ATTR_COUNT] = {
	[ATTR_NAME] = { "name", 0444 },
	[ATTR_ENERGY] = { "energy_uj", 0400 },
	[ATTR_MAX_RANGE] = { "max_energy_range_uj", 0444 },
	[ATTR_ENABLED] = { "enabled", 0644 },
};

struct node {
	enum node_kind kind;
	const struct tree_vm *vm;
	int zone;              /* -1 for the control type's own files */
	enum attr_kind attr;
};

struct fusefs {
	struct fuse *fuse;
	struct publisher *tree;
	char *mountpoint;
	pthread_t thread;
	bool running;
	time_t mounted_at;
	gid_t reader_gid;      /* FUSEFS_NO_GROUP: root only */
};

/*
 * An open file: its value as produced by the last read at offset 0. Reads
 * of one open file may come from several threads at once (qemu's 9p server
 * has a pool): the value is produced and copied out under its lock.
 */
struct open_file {
	pthread_mutex_t lock;
	struct node node;
	char value[32];
	size_t len;
	bool filled;
};

static struct fusefs *fs_of_context(void)
{
	return fuse_get_context()->private_data;
}

/*
 * Whether the caller may look into the tree: root, or a member of the
 * reader group (primary or supplementary). The mount is allow_other and
 * the kernel checks no modes, so this is where the tree's privacy is kept.
 */
static bool caller_may_read(const struct fusefs *fs)
{
	const struct fuse_context *ctx = fuse_get_context();
	gid_t groups[256];
	int n;

	if (ctx->uid == 0)
		return true;
	if (fs->reader_gid == FUSEFS_NO_GROUP)
		return false;
	if (ctx->gid == fs->reader_gid)
		return true;
	/* reads /proc/PID/task/TID/status's Groups: of the caller */
	n = fuse_getgroups((int)(sizeof(groups) / sizeof(groups[0])), groups);
	if (n > (int)(sizeof(groups) / sizeof(groups[0])))
		n = (int)(sizeof(groups) / sizeof(groups[0]));
	for (int i = 0; i < n; i++)
		if (groups[i] == fs->reader_gid)
			return true;
	return false;
}

/* Next path component of *@p: its start and length; false at the end. */
static bool next_component(const char **p, const char **start, size_t *len)
{
	while (**p == '/')
		(*p)++;
	if (!**p)
		return false;
	*start = *p;
	*len = strcspn(*p, "/");
	*p += *len;
	return true;
}

static bool component_is(const char *c, size_t len, const char *word)
{
	return strlen(word) == len && !strncmp(c, word, len);
}

/* Resolve @path in @s. Returns 0 or -ENOENT. */
static int resolve(const struct tree_snapshot *s, const char *path, struct node *n)
{
	const char *p = path, *c;
	size_t len;

	memset(n, 0, sizeof(*n));
	n->kind = NODE_ROOT;
	n->zone = -1;
	if (!next_component(&p, &c, &len))
		return 0;
	n->vm = tree_find_vm_dir(s, c, len);
	if (!n->vm) {
		/* the kernel follows the link itself: nothing is looked up below it */
		n->vm = tree_find_vm(s, c, len);
		n->kind = NODE_VM_LINK;
		if (!n->vm)
			return -ENOENT;
		return next_component(&p, &c, &len) ? -ENOTDIR : 0;
	}
	n->kind = NODE_VM;
	if (!next_component(&p, &c, &len))
		return 0;
	if (!component_is(c, len, CONTROL_TYPE)) {
		n->zone = tree_find_zone(s, c, len);
		if (n->zone < 0 || next_component(&p, &c, &len))
			return -ENOENT;
		n->kind = NODE_LINK;
		return 0;
	}
	n->kind = NODE_CONTROL;
	while (next_component(&p, &c, &len)) {
		int zone = tree_find_zone(s, c, len);

		if (zone >= 0 && s->zones[zone].parent == n->zone) {
			n->kind = NODE_ZONE;
			n->zone = zone;
			continue;
		}
		for (int a = 0; a < ATTR_COUNT; a++) {
			/* the control type has only "enabled" */
			if ((n->kind == NODE_ZONE || a == ATTR_ENABLED) && component_is(c, len, attr_files[a].file)) {
				n->kind = NODE_ATTR;
				n->attr = (enum attr_kind)a;
				return next_component(&p, &c, &len) ? -ENOENT : 0;
			}
		}
		return -ENOENT;
	}
	return 0;
}

/* The text of a file, as sysfs produces it. */
static size_t attr_value(const struct tree_snapshot *s, const struct node *n, char *buf, size_t size)
{
	int len = 0;

	switch (n->attr) {
	case ATTR_NAME:
		len = snprintf(buf, size, "%s\n", s->zones[n->zone].name);
		break;
	case ATTR_ENERGY:
		len = snprintf(buf, size, "%" PRIu64 "\n", tree_vm_energy(s, n->vm)[n->zone]);
		break;
	case ATTR_MAX_RANGE:
		len = snprintf(buf, size, "%" PRIu64 "\n", s->zones[n->zone].max_energy_range_uj);
		break;
	case ATTR_ENABLED:
	case ATTR_COUNT:
		len = snprintf(buf, size, "1\n");
		break;
	}
	return len < 0 ? 0 : (size_t)len >= size ? size - 1 : (size_t)len;
}

/* A flat link's target, relative to the share root. */
static void link_target(const struct tree_snapshot *s, int zone, char *buf, size_t size)
{
	int chain[16], n = 0;
	size_t len;

	for (int z = zone; z >= 0 && n < 16; z = s->zones[z].parent)
		chain[n++] = z;
	len = (size_t)snprintf(buf, size, CONTROL_TYPE);
	while (n-- > 0 && len < size)
		len += (size_t)snprintf(buf + len, size - len, "/%s", s->zones[chain[n]].id);
}

/* The target of link @n: a zone's, or a VM name's (its UUID directory). */
static void node_link_target(const struct tree_snapshot *s, const struct node *n, char *buf, size_t size)
{
	if (n->kind == NODE_VM_LINK)
		snprintf(buf, size, "%s", n->vm->uuid_dir);
	else
		link_target(s, n->zone, buf, size);
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fusefs *fs = fs_of_context();
	struct tree_snapshot *s = tree_get(fs->tree);
	struct node n;
	char target[256];
	int ret;

	(void)fi;
	ret = resolve(s, path, &n);
	if (ret == 0 && n.kind != NODE_ROOT && !caller_may_read(fs))
		ret = -EACCES;
	if (ret == 0) {
		memset(st, 0, sizeof(*st));
		st->st_atime = st->st_mtime = st->st_ctime = fs->mounted_at;
		st->st_blksize = 4096;
		switch (n.kind) {
		case NODE_ATTR:
			st->st_mode = S_IFREG | attr_files[n.attr].mode;
			st->st_nlink = 1;
			st->st_size = 4096;  /* as sysfs says of its attributes */
			break;
		case NODE_LINK:
		case NODE_VM_LINK:
			node_link_target(s, &n, target, sizeof(target));
			st->st_mode = S_IFLNK | 0777;
			st->st_nlink = 1;
			st->st_size = (off_t)strlen(target);
			break;
		default:
			st->st_mode = S_IFDIR | 0755;
			st->st_nlink = 2;
			break;
		}
	}
	tree_put(fs->tree, s);
	return ret;
}

static int fs_readlink(const char *path, char *buf, size_t size)
{
	struct fusefs *fs = fs_of_context();
	struct tree_snapshot *s = tree_get(fs->tree);
	struct node n;
	int ret = resolve(s, path, &n);

	if (ret == 0 && !caller_may_read(fs))
		ret = -EACCES;
	if (ret == 0 && n.kind != NODE_LINK && n.kind != NODE_VM_LINK)
		ret = -EINVAL;
	if (ret == 0)
		node_link_target(s, &n, buf, size);
	tree_put(fs->tree, s);
	return ret;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct fusefs *fs = fs_of_context();
	struct tree_snapshot *s = tree_get(fs->tree);
	struct node n;
	int ret = resolve(s, path, &n);

	(void)offset;
	(void)fi;
	(void)flags;
	if (ret == 0 && !caller_may_read(fs))
		ret = -EACCES;
	if (ret == 0 && (n.kind == NODE_ATTR || n.kind == NODE_LINK || n.kind == NODE_VM_LINK))
		ret = -ENOTDIR;
	if (ret < 0)
		goto out;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	switch (n.kind) {
	case NODE_ROOT:
		for (size_t i = 0; i < s->nvms; i++) {
			fill(buf, s->vms[i].uuid_dir, NULL, 0, 0);
			/* a name that is some VM's UUID resolves to that directory: no link */
			if (!tree_find_vm_dir(s, s->vms[i].dir, strlen(s->vms[i].dir)))
				fill(buf, s->vms[i].dir, NULL, 0, 0);
		}
		break;
	case NODE_VM:
		fill(buf, CONTROL_TYPE, NULL, 0, 0);
		for (size_t z = 0; z < s->nzones; z++)
			fill(buf, s->zones[z].id, NULL, 0, 0);
		break;
	case NODE_CONTROL:
	case NODE_ZONE:
		if (n.kind == NODE_ZONE) {
			for (int a = 0; a < ATTR_COUNT; a++)
				fill(buf, attr_files[a].file, NULL, 0, 0);
		} else {
			fill(buf, attr_files[ATTR_ENABLED].file, NULL, 0, 0);
		}
		for (size_t z = 0; z < s->nzones; z++)
			if (s->zones[z].parent == n.zone)
				fill(buf, s->zones[z].id, NULL, 0, 0);
		break;
	default:
		break;
	}
out:
	tree_put(fs->tree, s);
	return ret;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct fusefs *fs = fs_of_context();
	struct tree_snapshot *s;
	struct open_file *of;
	struct node n;
	int ret;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC) || !caller_may_read(fs))
		return -EACCES;
	s = tree_get(fs->tree);
	ret = resolve(s, path, &n);
	tree_put(fs->tree, s);
	if (ret < 0)
		return ret;
	if (n.kind != NODE_ATTR)
		return -EISDIR;
	of = calloc(1, sizeof(*of));
	if (!of)
		return -ENOMEM;
	pthread_mutex_init(&of->lock, NULL);
	of->node = n;
	of->node.vm = NULL;  /* snapshots come and go: looked up again at read */
	fi->fh = (uint64_t)(uintptr_t)of;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
	struct fusefs *fs = fs_of_context();
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;
	int ret = 0;

	pthread_mutex_lock(&of->lock);
	if (offset == 0 || !of->filled) {
		struct tree_snapshot *s = tree_get(fs->tree);
		struct node n;

		ret = resolve(s, path, &n);
		if (ret == 0)
			of->len = attr_value(s, &n, of->value, sizeof(of->value));
		tree_put(fs->tree, s);
		if (ret < 0) {
			ret = -ENODEV;  /* the VM or zone went away, as sysfs says */
			goto out;
		}
		of->filled = true;
	}
	if ((size_t)offset >= of->len)
		goto out;
	if (size > of->len - (size_t)offset)
		size = of->len - (size_t)offset;
	memcpy(buf, of->value + offset, size);
	ret = (int)size;
out:
	pthread_mutex_unlock(&of->lock);
	return ret;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;

	(void)path;
	pthread_mutex_destroy(&of->lock);
	free(of);
	return 0;
}

static int fs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct fusefs *fs = fs_of_context();
	struct tree_snapshot *s = tree_get(fs->tree);
	struct node n;
	int ret = resolve(s, path, &n);

	(void)fi;
	tree_put(fs->tree, s);
	if (ret == 0 && !caller_may_read(fs))
		ret = -EACCES;
	if (ret == 0 && (n.kind == NODE_ATTR || n.kind == NODE_LINK || n.kind == NODE_VM_LINK))
		ret = -ENOTDIR;
	return ret;
}

static int fs_readonly(void)
{
	return -EROFS;
}

static int fs_mknod(const char *p, mode_t m, dev_t d) { (void)p; (void)m; (void)d; return fs_readonly(); }
static int fs_mkdir(const char *p, mode_t m) { (void)p; (void)m; return fs_readonly(); }
static int fs_unlink(const char *p) { (void)p; return fs_readonly(); }
static int fs_rmdir(const char *p) { (void)p; return fs_readonly(); }
static int fs_symlink(const char *a, const char *b) { (void)a; (void)b; return fs_readonly(); }
static int fs_link(const char *a, const char *b) { (void)a; (void)b; return fs_readonly(); }
static int fs_rename(const char *a, const char *b, unsigned f) { (void)a; (void)b; (void)f; return fs_readonly(); }
static int fs_chmod(const char *p, mode_t m, struct fuse_file_info *fi)
{ (void)p; (void)m; (void)fi; return fs_readonly(); }
static int fs_chown(const char *p, uid_t u, gid_t g, struct fuse_file_info *fi)
{ (void)p; (void)u; (void)g; (void)fi; return fs_readonly(); }
static int fs_truncate(const char *p, off_t o, struct fuse_file_info *fi)
{ (void)p; (void)o; (void)fi; return fs_readonly(); }
static int fs_create(const char *p, mode_t m, struct fuse_file_info *fi)
{ (void)p; (void)m; (void)fi; return fs_readonly(); }
static int fs_setxattr(const char *p, const char *n, const char *v, size_t s, int f)
{ (void)p; (void)n; (void)v; (void)s; (void)f; return fs_readonly(); }
static int fs_removexattr(const char *p, const char *n) { (void)p; (void)n; return fs_readonly(); }
static int fs_utimens(const char *p, const struct timespec tv[2], struct fuse_file_info *fi)
{ (void)p; (void)tv; (void)fi; return fs_readonly(); }
static int fs_write(const char *p, const char *b, size_t s, off_t o, struct fuse_file_info *fi)
{ (void)p; (void)b; (void)s; (void)o; (void)fi; return -EACCES; }

/*
 * How long the kernel may keep a name it looked up. The tree's shape
 * changes only when VMs come, go or are renamed, and fusefs_changed()
 * drops those names at once; the timeout bounds what a missed change could
 * cost. A path a guest opens each time (4 levels deep) costs its lookups
 * once a second instead of at every open.
 */
#define ENTRY_TIMEOUT_S 1.0

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/*
	 * Every read and every stat goes to the tree server: values move each
	 * tick. Names are kept (ENTRY_TIMEOUT_S); a missing one is not, so a
	 * new VM's directory is there at once.
	 */
	cfg->entry_timeout = ENTRY_TIMEOUT_S;
	cfg->negative_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->use_ino = 0;
	return fuse_get_context()->private_data;
}

static const struct fuse_operations fs_ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readlink = fs_readlink,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
	.release = fs_release,
	.mknod = fs_mknod,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_symlink,
	.link = fs_link,
	.rename = fs_rename,
	.chmod = fs_chmod,
	.chown = fs_chown,
	.truncate = fs_truncate,
	.create = fs_create,
	.write = fs_write,
	.setxattr = fs_setxattr,
	.removexattr = fs_removexattr,
	.utimens = fs_utimens,
};

static void *fs_thread(void *arg)
{
	struct fusefs *fs = arg;
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();

	if (cfg) {
		fuse_loop_cfg_set_max_threads(cfg, 16);
		fuse_loop_cfg_set_idle_threads(cfg, 8);
	}
	fuse_loop_mt(fs->fuse, cfg);
	fuse_loop_cfg_destroy(cfg);
	return NULL;
}

/* Raise or drop CAP_SYS_ADMIN in the effective set (kept in the permitted one). */
static int cap_sys_admin(bool on)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	if (on)
		data[0].effective |= 1u << CAP_SYS_ADMIN;
	else
		data[0].effective &= ~(1u << CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

/* A crashed daemon leaves a mount whose every access fails with ENOTCONN. */
static int clear_dead_mount(const char *mountpoint)
{
	struct stat st;

	if (stat(mountpoint, &st) == 0 || errno != ENOTCONN)
		return 0;
	log_warning("'%s' is a dead mount left by a previous run: unmounting it", mountpoint);
	if (umount2(mountpoint, MNT_DETACH) < 0)
		return log_error(-errno, "cannot unmount '%s': %s", mountpoint, strerror(errno));
	return 0;
}

struct fusefs *fusefs_start(const char *mountpoint, struct publisher *tree, gid_t reader_gid)
{
	char *argv[] = { (char *)"vpowercapd", (char *)"-o",
			 (char *)"allow_other,fsname=vpowercap,subtype=vpowercap,noatime", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fusefs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->tree = tree;
	fs->reader_gid = reader_gid;
	fs->mounted_at = time(NULL);
	fs->mountpoint = strdup(mountpoint);
	if (!fs->mountpoint || clear_dead_mount(mountpoint) < 0)
		goto fail;
	if (mkdir(mountpoint, 0755) < 0 && errno != EEXIST) {
		log_error(-errno, "cannot create mount point '%s': %s", mountpoint, strerror(errno));
		goto fail;
	}
	fs->fuse = fuse_new(&args, &fs_ops, sizeof(fs_ops), fs);
	fuse_opt_free_args(&args);
	if (!fs->fuse) {
		log_error(-EINVAL, "cannot set up the FUSE filesystem");
		goto fail;
	}
	if (fuse_mount(fs->fuse, mountpoint) != 0) {
		log_error(-EIO, "cannot mount the FUSE filesystem at '%s' (is /dev/fuse there?)", mountpoint);
		goto fail;
	}
	if (pthread_create(&fs->thread, NULL, fs_thread, fs) != 0) {
		fuse_unmount(fs->fuse);
		goto fail;
	}
	fs->running = true;
	log_info("serving per-VM powercap trees at '%s'", mountpoint);
	return fs;
fail:
	if (fs->fuse)
		fuse_destroy(fs->fuse);
	free(fs->mountpoint);
	free(fs);
	return NULL;
}

/* Drop @name, a name at the tree's top, from the kernel's cache. */
static void forget_top_name(struct fusefs *fs, const char *name)
{
	/* -ENOENT: not cached; anything else: the entry times out anyway */
	fuse_lowlevel_notify_inval_entry(fuse_get_session(fs->fuse), FUSE_ROOT_ID, name, strlen(name));
}

static bool same_zones(const struct tree_snapshot *a, const struct tree_snapshot *b)
{
	if (a->nzones != b->nzones)
		return false;
	for (size_t z = 0; z < a->nzones; z++)
		if (strcmp(a->zones[z].id, b->zones[z].id) || strcmp(a->zones[z].name, b->zones[z].name) ||
		    a->zones[z].parent != b->zones[z].parent)
			return false;
	return true;
}

void fusefs_changed(struct fusefs *fs, const struct tree_snapshot *old, const struct tree_snapshot *now)
{
	bool zones_same;

	if (!fs || !fs->running || !old || old == now || old->shape == now->shape)
		return;  /* the same names, or values alone changed */
	zones_same = same_zones(old, now);
	for (size_t i = 0; i < old->nvms; i++) {
		const struct tree_vm *was = &old->vms[i], *is;

		/* its directory: gone, or its zones changed (the whole subtree goes) */
		is = tree_find_vm_dir(now, was->uuid_dir, strlen(was->uuid_dir));
		if (!is || !zones_same)
			forget_top_name(fs, was->uuid_dir);
		/* its name: gone, or now some other VM's, or some VM's directory */
		is = tree_find_vm(now, was->dir, strlen(was->dir));
		if (!is || strcmp(is->uuid_dir, was->uuid_dir) ||
		    tree_find_vm_dir(now, was->dir, strlen(was->dir)))
			forget_top_name(fs, was->dir);
	}
}

void fusefs_stop(struct fusefs *fs)
{
	struct timespec until;
	bool raised;

	if (!fs)
		return;
	fuse_exit(fs->fuse);
	/*
	 * Unmount ourselves: libfuse would hand a non-root caller to
	 * fusermount3, which refuses a mount made by root. Unmounting ends
	 * the connection, and with it the loop's blocked reads.
	 */
	raised = geteuid() != 0 && cap_sys_admin(true) == 0;
	if (umount2(fs->mountpoint, MNT_DETACH) < 0)
		log_warning("cannot unmount '%s': %s", fs->mountpoint, strerror(errno));
	if (raised)
		cap_sys_admin(false);
	/*
	 * A detached mount lives on while a process holds it (a running
	 * guest's qemu or virtiofsd), and the loop with it: give it a moment,
	 * then leave it to the process's exit, which closes /dev/fuse and so
	 * ends the connection for those holders too.
	 */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	if (pthread_timedjoin_np(fs->thread, NULL, &until) != 0) {
		log_info("unmounted '%s'; its last users are cut off as the server exits", fs->mountpoint);
		return;
	}
	/* Now a no-op on the dead connection, but it frees the session's copy
	 * of the mount point. */
	fuse_unmount(fs->fuse);
	fuse_destroy(fs->fuse);
	log_info("unmounted '%s'", fs->mountpoint);
	free(fs->mountpoint);
	free(fs);
}
