// SPDX-License-Identifier: MIT
/* What a FUSE node id names, and what a node holds (fuse/fusefs_i.h). */
#include "fuse/fusefs_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The files of a zone, with sysfs's modes (energy_uj is root-only since 5.10). */
const struct attr_file attr_files[ATTR_COUNT] = {
	[ATTR_NAME] = { "name", 0444 },
	[ATTR_ENERGY] = { "energy_uj", 0400 },
	[ATTR_MAX_RANGE] = { "max_energy_range_uj", 0444 },
	[ATTR_ENABLED] = { "enabled", 0644 },
};

/* ---- node ids ------------------------------------------------------------- */

fuse_ino_t node_id(const struct tree_snapshot *s, const struct node *n)
{
	unsigned kind = n->kind == NODE_ATTR ? NODE_ATTR + n->attr : n->kind;
	unsigned slot = n->zone >= 0 ? s->zones[n->zone].slot : 0;

	if (n->kind == NODE_ROOT)
		return FUSE_ROOT_ID;
	if (slot > ID_SLOT_MAX)
		slot = 0;  /* past 4,095 zones: not reachable */
	return (fuse_ino_t)(n->vm->key << (ID_SLOT_BITS + ID_KIND_BITS) | (uint64_t)slot << ID_KIND_BITS | kind);
}

/* The node of id @ino in @s: 0, or -ENOENT (a VM or zone gone, or no such id). */
int node_of(const struct tree_snapshot *s, fuse_ino_t ino, struct node *n)
{
	uint64_t key = (uint64_t)ino >> (ID_SLOT_BITS + ID_KIND_BITS);
	unsigned slot = (unsigned)(ino >> ID_KIND_BITS) & ID_SLOT_MAX, kind = (unsigned)ino & ((1u << ID_KIND_BITS) - 1);

	memset(n, 0, sizeof(*n));
	n->zone = -1;
	if (ino == FUSE_ROOT_ID) {
		n->kind = NODE_ROOT;
		return 0;
	}
	if (kind == NODE_ROOT || kind >= NODE_ATTR + ATTR_COUNT || !(n->vm = tree_find_vm_key(s, key)))
		return -ENOENT;
	if (kind >= NODE_ATTR) {
		n->kind = NODE_ATTR;
		n->attr = (enum attr_kind)(kind - NODE_ATTR);
	} else {
		n->kind = (enum node_kind)kind;
	}
	if (slot && (n->zone = tree_find_zone_slot(s, slot)) < 0)
		return -ENOENT;
	/* which kinds have a zone: all of a zone's, and no other */
	switch (n->kind) {
	case NODE_ZONE:
	case NODE_LINK:
		return n->zone >= 0 ? 0 : -ENOENT;
	case NODE_ATTR:
		return n->zone >= 0 || n->attr == ATTR_ENABLED ? 0 : -ENOENT;
	default:
		return n->zone < 0 ? 0 : -ENOENT;
	}
}

static bool name_is(const char *name, const char *word)
{
	return !strcmp(name, word);
}

/* The child @name of directory @dir in @s: 0, -ENOENT or -ENOTDIR. */
int child_of(const struct tree_snapshot *s, const struct node *dir, const char *name, struct node *n)
{
	size_t len = strlen(name);

	*n = (struct node){ .vm = dir->vm, .zone = -1 };
	switch (dir->kind) {
	case NODE_ROOT:
		/* a name that is some VM's UUID directory is that directory */
		if ((n->vm = tree_find_vm_dir(s, name, len))) {
			n->kind = NODE_VM;
			return 0;
		}
		n->kind = NODE_VM_LINK;
		return (n->vm = tree_find_vm(s, name, len)) ? 0 : -ENOENT;
	case NODE_VM:
		if (name_is(name, CONTROL_TYPE)) {
			n->kind = NODE_CONTROL;
			return 0;
		}
		n->kind = NODE_LINK;
		n->zone = tree_find_zone(s, name, len);
		return n->zone >= 0 ? 0 : -ENOENT;
	case NODE_CONTROL:
	case NODE_ZONE: {
		int zone = tree_find_zone(s, name, len);

		if (zone >= 0 && s->zones[zone].parent == dir->zone) {
			n->kind = NODE_ZONE;
			n->zone = zone;
			return 0;
		}
		for (int a = 0; a < ATTR_COUNT; a++) {
			/* the control type has only "enabled" */
			if ((dir->kind == NODE_ZONE || a == ATTR_ENABLED) && name_is(name, attr_files[a].file)) {
				n->kind = NODE_ATTR;
				n->attr = (enum attr_kind)a;
				n->zone = dir->kind == NODE_ZONE ? dir->zone : -1;
				return 0;
			}
		}
		return -ENOENT;
	}
	default:
		return -ENOTDIR;
	}
}

/* ---- what the nodes hold -------------------------------------------------- */

/* The text of a file, as sysfs produces it. */
size_t attr_value(const struct tree_snapshot *s, const struct node *n, char *buf, size_t size)
{
	int len = 0;

	switch (n->attr) {
	case ATTR_NAME:
		len = snprintf(buf, size, "%s\n", s->zones[n->zone].name);
		break;
	case ATTR_ENERGY:
		len = snprintf(buf, size, "%" PRIu64 "\n", tree_vm_value(s, n->vm, (size_t)n->zone));
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
void node_link_target(const struct tree_snapshot *s, const struct node *n, char *buf, size_t size)
{
	if (n->kind == NODE_VM_LINK)
		snprintf(buf, size, "%s", n->vm->uuid_dir);
	else
		link_target(s, n->zone, buf, size);
}

void node_stat(const struct fusefs *fs, const struct tree_snapshot *s, const struct node *n,
		      struct stat *st)
{
	char target[256];

	memset(st, 0, sizeof(*st));
	st->st_ino = node_id(s, n);
	st->st_atime = st->st_mtime = st->st_ctime = fs->mounted_at;
	st->st_blksize = 4096;
	switch (n->kind) {
	case NODE_ATTR:
		st->st_mode = S_IFREG | attr_files[n->attr].mode;
		st->st_nlink = 1;
		st->st_size = 4096;  /* as sysfs says of its attributes */
		break;
	case NODE_LINK:
	case NODE_VM_LINK:
		node_link_target(s, n, target, sizeof(target));
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

