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
#include "fuse/fusefs_i.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
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

#include "common/alloc.h"
#include "common/log.h"

/*
 * An open file: its value as produced by the last read at offset 0. Reads
 * of one open file may come from several threads at once (qemu's 9p server
 * has a pool): the value is produced and copied out under its lock.
 */
struct open_file {
	pthread_mutex_t lock;
	char value[32];
	size_t len;
	bool filled;
};

/* A directory's listing, made whole at opendir and handed out in pieces. */
struct listing {
	char *buf;
	size_t len, alloc;
};

static void listing_free(void *p)
{
	struct listing *l = p;

	free(l->buf);
	free(l);
}

static void open_file_free(void *p)
{
	struct open_file *of = p;

	pthread_mutex_destroy(&of->lock);
	free(of);
}


/* ---- who may look --------------------------------------------------------- */

/*
 * Whether the caller may look into the tree: root, or a member of the
 * reader group (primary or supplementary). The mount is allow_other and
 * the kernel checks no modes, so this is where the tree's privacy is kept.
 */
static bool caller_may_read(const struct fusefs *fs, fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t groups[256];
	int n;

	if (ctx->uid == 0)
		return true;
	if (fs->reader_gid == FUSEFS_NO_GROUP)
		return false;
	if (ctx->gid == fs->reader_gid)
		return true;
	/* reads /proc/PID/task/TID/status's Groups: of the caller */
	n = fuse_req_getgroups(req, (int)(sizeof(groups) / sizeof(groups[0])), groups);
	if (n > (int)(sizeof(groups) / sizeof(groups[0])))
		n = (int)(sizeof(groups) / sizeof(groups[0]));
	for (int i = 0; i < n; i++)
		if (groups[i] == fs->reader_gid)
			return true;
	return false;
}

/* ---- operations ----------------------------------------------------------- */

/*
 * How long the kernel may keep a name it looked up. The tree's shape
 * changes only when VMs come, go or are renamed, and fusefs_changed()
 * drops those names at once; the timeout bounds what a missed change could
 * cost. A path a guest opens each time (4 levels deep) costs its lookups
 * once a second instead of at every open. Attributes are never kept: every
 * stat and every read goes to the server, values move each tick; a missing
 * name is not kept either, so a new VM's directory is there at once.
 */
#define ENTRY_TIMEOUT_S 1.0

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fusefs *fs = fuse_req_userdata(req);
	struct tree_snapshot *s;
	struct fuse_entry_param e = { .entry_timeout = ENTRY_TIMEOUT_S };
	struct node dir, n;
	int ret;

	if (!caller_may_read(fs, req)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	s = tree_get(fs->tree);
	ret = node_of(s, parent, &dir);
	if (ret == 0)
		ret = child_of(s, &dir, name, &n);
	if (ret == 0) {
		node_stat(fs, s, &n, &e.attr);
		e.ino = e.attr.st_ino;
	}
	tree_put(fs->tree, s);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_entry(req, &e);
}

static void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);  /* ids are made, not kept: nothing to forget */
}

static void ll_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	(void)count;
	(void)forgets;
	fuse_reply_none(req);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fusefs *fs = fuse_req_userdata(req);
	struct tree_snapshot *s;
	struct stat st;
	struct node n;
	int ret;

	(void)fi;
	if (ino != FUSE_ROOT_ID && !caller_may_read(fs, req)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	s = tree_get(fs->tree);
	ret = node_of(s, ino, &n);
	if (ret == 0)
		node_stat(fs, s, &n, &st);
	tree_put(fs->tree, s);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, 0);
}

static void ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fusefs *fs = fuse_req_userdata(req);
	struct tree_snapshot *s;
	char target[256];
	struct node n;
	int ret;

	if (!caller_may_read(fs, req)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	s = tree_get(fs->tree);
	ret = node_of(s, ino, &n);
	if (ret == 0 && n.kind != NODE_LINK && n.kind != NODE_VM_LINK)
		ret = -EINVAL;
	if (ret == 0)
		node_link_target(s, &n, target, sizeof(target));
	tree_put(fs->tree, s);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_readlink(req, target);
}

/* Add @name (of node @n) to @l; false when out of memory. */
static bool list_add(fuse_req_t req, struct listing *l, const struct tree_snapshot *s, const char *name,
		     const struct node *n, mode_t type)
{
	struct stat st = { .st_ino = n ? node_id(s, n) : FUSE_ROOT_ID, .st_mode = type };
	size_t need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);

	if (l->alloc - l->len < need) {
		size_t alloc = l->alloc ? l->alloc * 2 : 4096;
		char *buf;

		while (alloc - l->len < need)
			alloc *= 2;
		if (!(buf = realloc(l->buf, alloc)))
			return false;
		l->buf = buf;
		l->alloc = alloc;
	}
	/* each entry's offset is where the next one starts */
	fuse_add_direntry(req, l->buf + l->len, need, name, &st, (off_t)(l->len + need));
	l->len += need;
	return true;
}

/* The listing of directory @dir, made whole; false when out of memory. */
static bool list_dir(fuse_req_t req, struct listing *l, const struct tree_snapshot *s, const struct node *dir)
{
	bool ok = list_add(req, l, s, ".", dir, S_IFDIR) && list_add(req, l, s, "..", NULL, S_IFDIR);
	struct node n;

	switch (dir->kind) {
	case NODE_ROOT:
		for (size_t i = 0; ok && i < s->nvms; i++) {
			n = (struct node){ .kind = NODE_VM, .vm = &s->vms[i], .zone = -1 };
			ok = list_add(req, l, s, s->vms[i].uuid_dir, &n, S_IFDIR);
			/* a name that is some VM's UUID resolves to that directory: no link */
			n.kind = NODE_VM_LINK;
			if (ok && !tree_find_vm_dir(s, s->vms[i].dir, strlen(s->vms[i].dir)))
				ok = list_add(req, l, s, s->vms[i].dir, &n, S_IFLNK);
		}
		break;
	case NODE_VM:
		n = (struct node){ .kind = NODE_CONTROL, .vm = dir->vm, .zone = -1 };
		ok = ok && list_add(req, l, s, CONTROL_TYPE, &n, S_IFDIR);
		for (size_t z = 0; ok && z < s->nzones; z++) {
			n = (struct node){ .kind = NODE_LINK, .vm = dir->vm, .zone = (int)z };
			ok = list_add(req, l, s, s->zones[z].id, &n, S_IFLNK);
		}
		break;
	case NODE_CONTROL:
	case NODE_ZONE:
		for (int a = 0; ok && a < ATTR_COUNT; a++) {
			if (dir->kind != NODE_ZONE && a != ATTR_ENABLED)
				continue;
			n = (struct node){ .kind = NODE_ATTR, .vm = dir->vm, .zone = dir->zone, .attr = (enum attr_kind)a };
			ok = list_add(req, l, s, attr_files[a].file, &n, S_IFREG);
		}
		for (size_t z = 0; ok && z < s->nzones; z++) {
			if (s->zones[z].parent != dir->zone)
				continue;
			n = (struct node){ .kind = NODE_ZONE, .vm = dir->vm, .zone = (int)z };
			ok = list_add(req, l, s, s->zones[z].id, &n, S_IFDIR);
		}
		break;
	default:
		break;
	}
	return ok;
}

static void ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fusefs *fs = fuse_req_userdata(req);
	struct listing *l;
	struct tree_snapshot *s;
	struct node n;
	int ret;

	if (!caller_may_read(fs, req)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if (!(l = calloc(1, sizeof(*l)))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	s = tree_get(fs->tree);
	ret = node_of(s, ino, &n);
	if (ret == 0 && (n.kind == NODE_ATTR || n.kind == NODE_LINK || n.kind == NODE_VM_LINK))
		ret = -ENOTDIR;
	if (ret == 0 && !list_dir(req, l, s, &n))
		ret = -ENOMEM;
	tree_put(fs->tree, s);
	if (ret < 0) {
		free(l->buf);
		free(l);
		fuse_reply_err(req, -ret);
		return;
	}
	fi->fh = handle_put(&fs->handles, l, listing_free);
	if (!fi->fh) {
		listing_free(l);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* the opener was interrupted: no release will come */
	if (fuse_reply_open(req, fi) == -ENOENT)
		handle_drop(&fs->handles, fi->fh);
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fusefs *fs = fuse_req_userdata(req);
	struct listing *l = handle_get(&fs->handles, fi->fh), made = { 0 };

	if (!l) {
		/* opened under the server before: listed again (the same tree lists alike) */
		struct tree_snapshot *s = tree_get(fs->tree);
		struct node n;
		int ret = node_of(s, ino, &n);

		if (ret == 0 && !list_dir(req, &made, s, &n))
			ret = -ENOMEM;
		tree_put(fs->tree, s);
		if (ret < 0) {
			free(made.buf);
			fuse_reply_err(req, -ret);
			return;
		}
		l = &made;
	}
	if (off < 0 || (size_t)off >= l->len)
		fuse_reply_buf(req, NULL, 0);
	else  /* an entry cut at the end is left for the next call, from its offset */
		fuse_reply_buf(req, l->buf + off, l->len - (size_t)off < size ? l->len - (size_t)off : size);
	if (l == &made)
		free(made.buf);
	else
		handle_unget(&fs->handles, fi->fh);
}

static void ll_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fusefs *fs = fuse_req_userdata(req);

	(void)ino;
	handle_drop(&fs->handles, fi->fh);
	fuse_reply_err(req, 0);
}

static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fusefs *fs = fuse_req_userdata(req);
	struct tree_snapshot *s;
	struct open_file *of = NULL;
	struct node n;
	int ret;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC) || !caller_may_read(fs, req)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	s = tree_get(fs->tree);
	ret = node_of(s, ino, &n);
	tree_put(fs->tree, s);
	if (ret == 0 && n.kind != NODE_ATTR)
		ret = -EISDIR;
	if (ret == 0 && !(of = calloc(1, sizeof(*of))))
		ret = -ENOMEM;
	if (ret < 0) {
		fuse_reply_err(req, -ret);
		return;
	}
	pthread_mutex_init(&of->lock, NULL);
	fi->fh = handle_put(&fs->handles, of, open_file_free);
	fi->direct_io = 1;
	fi->keep_cache = 0;
	if (!fi->fh) {
		open_file_free(of);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* the opener was interrupted: no release will come */
	if (fuse_reply_open(req, fi) == -ENOENT)
		handle_drop(&fs->handles, fi->fh);
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fusefs *fs = fuse_req_userdata(req);
	struct open_file *of = handle_get(&fs->handles, fi->fh), mine = { .filled = false };
	char out[sizeof(of->value)];
	size_t n = 0;
	int ret = 0;

	/*
	 * A file opened under the server before a takeover keeps no value
	 * here: each read is made at once, as at offset 0.
	 */
	if (!of) {
		of = &mine;
		pthread_mutex_init(&of->lock, NULL);
	}
	pthread_mutex_lock(&of->lock);
	if (off == 0 || !of->filled) {
		struct tree_snapshot *s = tree_get(fs->tree);
		struct node node;

		/* looked up again: snapshots come and go */
		ret = node_of(s, ino, &node);
		if (ret == 0)
			of->len = attr_value(s, &node, of->value, sizeof(of->value));
		tree_put(fs->tree, s);
		if (ret == 0)
			of->filled = true;
	}
	if (ret == 0 && off >= 0 && (size_t)off < of->len) {
		n = of->len - (size_t)off < size ? of->len - (size_t)off : size;
		memcpy(out, of->value + off, n);
	}
	pthread_mutex_unlock(&of->lock);
	if (of == &mine)
		pthread_mutex_destroy(&mine.lock);
	else
		handle_unget(&fs->handles, fi->fh);
	if (ret < 0)
		fuse_reply_err(req, ENODEV);  /* the VM or zone went away, as sysfs says */
	else
		fuse_reply_buf(req, out, n);
}

static void ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fusefs *fs = fuse_req_userdata(req);

	(void)ino;
	handle_drop(&fs->handles, fi->fh);
	fuse_reply_err(req, 0);
}

/* Everything that would change the tree: it is read-only. */
static void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{ (void)ino; (void)attr; (void)to_set; (void)fi; fuse_reply_err(req, EROFS); }
static void ll_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t d)
{ (void)p; (void)n; (void)m; (void)d; fuse_reply_err(req, EROFS); }
static void ll_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{ (void)p; (void)n; (void)m; fuse_reply_err(req, EROFS); }
static void ll_unlink(fuse_req_t req, fuse_ino_t p, const char *n) { (void)p; (void)n; fuse_reply_err(req, EROFS); }
static void ll_rmdir(fuse_req_t req, fuse_ino_t p, const char *n) { (void)p; (void)n; fuse_reply_err(req, EROFS); }
static void ll_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{ (void)l; (void)p; (void)n; fuse_reply_err(req, EROFS); }
static void ll_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn, unsigned f)
{ (void)p; (void)n; (void)np; (void)nn; (void)f; fuse_reply_err(req, EROFS); }
static void ll_link(fuse_req_t req, fuse_ino_t i, fuse_ino_t np, const char *nn)
{ (void)i; (void)np; (void)nn; fuse_reply_err(req, EROFS); }
static void ll_write(fuse_req_t req, fuse_ino_t i, const char *b, size_t s, off_t o, struct fuse_file_info *fi)
{ (void)i; (void)b; (void)s; (void)o; (void)fi; fuse_reply_err(req, EACCES); }
static void ll_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, struct fuse_file_info *fi)
{ (void)p; (void)n; (void)m; (void)fi; fuse_reply_err(req, EROFS); }
static void ll_setxattr(fuse_req_t req, fuse_ino_t i, const char *n, const char *v, size_t s, int f)
{ (void)i; (void)n; (void)v; (void)s; (void)f; fuse_reply_err(req, EROFS); }
static void ll_removexattr(fuse_req_t req, fuse_ino_t i, const char *n)
{ (void)i; (void)n; fuse_reply_err(req, EROFS); }

static const struct fuse_lowlevel_ops ll_ops = {
	.lookup = ll_lookup,
	.forget = ll_forget,
	.forget_multi = ll_forget_multi,
	.getattr = ll_getattr,
	.readlink = ll_readlink,
	.opendir = ll_opendir,
	.readdir = ll_readdir,
	.releasedir = ll_releasedir,
	.open = ll_open,
	.read = ll_read,
	.release = ll_release,
	.setattr = ll_setattr,
	.mknod = ll_mknod,
	.mkdir = ll_mkdir,
	.unlink = ll_unlink,
	.rmdir = ll_rmdir,
	.symlink = ll_symlink,
	.rename = ll_rename,
	.link = ll_link,
	.write = ll_write,
	.create = ll_create,
	.setxattr = ll_setxattr,
	.removexattr = ll_removexattr,
};

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

struct fusefs *fusefs_start(const char *mountpoint, struct publisher *tree, gid_t reader_gid,
			    const struct fusefs_takeover *take)
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
	fs->fd = -1;
	pthread_mutex_init(&fs->init_lock, NULL);
	handles_init(&fs->handles);
	fs->mountpoint = strdup(mountpoint);
	if (!fs->mountpoint || (!take && clear_dead_mount(mountpoint) < 0))
		goto fail;
	if (!take && mkdir(mountpoint, 0755) < 0 && errno != EEXIST) {
		log_error(-errno, "cannot create mount point '%s': %s", mountpoint, strerror(errno));
		goto fail;
	}
	fs->se = fuse_session_new(&args, &ll_ops, sizeof(ll_ops), fs);
	fuse_opt_free_args(&args);
	if (!fs->se) {
		log_error(-EINVAL, "cannot set up the FUSE filesystem");
		goto fail;
	}
	if (take) {
		if (take_over(fs, take) < 0)
			goto fail;
	} else if (fuse_session_mount(fs->se, mountpoint) != 0) {
		log_error(-EIO, "cannot mount the FUSE filesystem at '%s' (is /dev/fuse there?)", mountpoint);
		goto fail;
	} else {
		fs->fd = fuse_session_fd(fs->se);
	}
	if (!take && (start_workers(fs) < 0 || wait_init(fs) < 0)) {
		stop_workers(fs);
		fuse_session_unmount(fs->se);
		goto fail;
	}
	fs->running = true;
	if (take)
		log_info("took over the per-VM powercap trees at '%s'", mountpoint);
	else
		log_info("serving per-VM powercap trees at '%s'", mountpoint);
	return fs;
fail:
	if (fs->se)
		fuse_session_destroy(fs->se);
	free(fs->mountpoint);
	free(fs);
	return NULL;
}

/* Drop @name, a name at the tree's top, from the kernel's cache. */
static void forget_top_name(struct fusefs *fs, const char *name)
{
	/* -ENOENT: not cached; anything else: the entry times out anyway */
	fuse_lowlevel_notify_inval_entry(fs->se, FUSE_ROOT_ID, name, strlen(name));
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
	fuse_session_exit(fs->se);
	fs->running = false;
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
	for (size_t i = 0; i < fs->nworkers; i++) {
		if (pthread_timedjoin_np(fs->workers[i], NULL, &until) != 0) {
			log_info("unmounted '%s'; its last users are cut off as the server exits", fs->mountpoint);
			return;
		}
	}
	/* Now a no-op on the dead connection, but it frees the session's copy
	 * of the mount point. */
	fuse_session_unmount(fs->se);
	fuse_session_destroy(fs->se);
	handles_release(&fs->handles);
	log_info("unmounted '%s'", fs->mountpoint);
	free(fs->mountpoint);
	free(fs);
}
