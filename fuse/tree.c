// SPDX-License-Identifier: MIT
/* Snapshots of the per-VM trees: laid out once, published whole. */
#include "fuse/tree.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strings are laid in chunks of this many bytes (one longer string, a chunk of its own). */
#define CHUNK_SIZE 16384

struct tree_chunk {
	struct tree_chunk *next;
	size_t used, size;
	char data[];
};

/* Room for @len bytes among @sh's strings; NULL when out of memory. */
static char *shape_room(struct tree_shape *sh, size_t len)
{
	struct tree_chunk *c = sh->strings;

	if (!c || c->size - c->used < len) {
		size_t size = len > CHUNK_SIZE ? len : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = sh->strings;
		c->used = 0;
		c->size = size;
		sh->strings = c;
	}
	c->used += len;
	return c->data + c->used - len;
}

static void shape_put(struct tree_shape *sh)
{
	if (!sh || --sh->refs)
		return;
	while (sh->strings) {
		struct tree_chunk *next = sh->strings->next;

		free(sh->strings);
		sh->strings = next;
	}
	free(sh->zones);
	free(sh->vms);
	free(sh->by_uuid);
	free(sh->by_key);
	free(sh);
}

void tree_snapshot_free(struct tree_snapshot *s)
{
	if (!s)
		return;
	shape_put(s->shape);
	board_put(s->board);
	free(s->values);
	free(s);
}

void tree_snapshot_attach_board(struct tree_snapshot *s, struct board *b)
{
	board_put(s->board);
	s->board = board_get(b);
}

struct tree_snapshot *tree_snapshot_new(size_t nzones, size_t nvms)
{
	struct tree_snapshot *s = calloc(1, sizeof(*s));
	struct tree_shape *sh = calloc(1, sizeof(*sh));

	if (!s || !sh) {
		free(s);
		free(sh);
		return NULL;
	}
	sh->refs = 1;
	s->shape = sh;
	s->zones_alloc = nzones;
	s->vms_alloc = nvms;
	s->zones = sh->zones = calloc(nzones ? nzones : 1, sizeof(*s->zones));
	s->vms = sh->vms = calloc(nvms ? nvms : 1, sizeof(*s->vms));
	s->by_uuid = sh->by_uuid = calloc(nvms ? nvms : 1, sizeof(*s->by_uuid));
	s->by_key = sh->by_key = calloc(nvms ? nvms : 1, sizeof(*s->by_key));
	s->values = calloc(nzones && nvms ? nzones * nvms : 1, sizeof(*s->values));
	if (!s->zones || !s->vms || !s->by_uuid || !s->by_key || !s->values) {
		tree_snapshot_free(s);
		return NULL;
	}
	return s;
}

struct tree_snapshot *tree_snapshot_same_shape(const struct tree_snapshot *like)
{
	size_t n = like->zones_alloc && like->vms_alloc ? like->zones_alloc * like->vms_alloc : 1;
	struct tree_snapshot *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	*s = *like;
	s->pub = (struct published){ 0 };
	s->values = malloc(n * sizeof(*s->values));
	if (!s->values) {
		free(s);
		return NULL;
	}
	memcpy(s->values, like->values, n * sizeof(*s->values));
	s->shape->refs++;
	board_get(s->board);
	return s;
}

int tree_snapshot_add_zone(struct tree_snapshot *s, const char *id, const char *name,
			   uint64_t max_energy_range_uj)
{
	struct tree_zone *z;

	if (s->nzones == s->zones_alloc || s->nvms)
		return -ENOSPC;
	z = &s->zones[s->nzones++];
	snprintf(z->id, sizeof(z->id), "%s", id);
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->max_energy_range_uj = max_energy_range_uj;
	z->parent = -1;
	return 0;
}

/* Whether @name is not a usable directory name as it is (dir_name() would change it). */
static bool needs_dir_name(const char *name)
{
	for (size_t i = 0; name[i]; i++)
		if (name[i] == '/' || (unsigned char)name[i] < ' ' || name[i] == 0x7f)
			return true;
	return !name[0] || !strcmp(name, ".") || !strcmp(name, "..");
}

/* A copy of @src among @s's strings, cut to @max - 1 bytes, with room for @size bytes in all. */
static char *copy_string(struct tree_snapshot *s, const char *src, size_t max, size_t size)
{
	size_t n = strnlen(src, max - 1);
	char *p = shape_room(s->shape, n + 1 > size ? n + 1 : size);

	if (p) {
		memcpy(p, src, n);
		p[n] = '\0';
	}
	return p;
}

/* "vm.." and the like: what dir_name() may make of a name of 0 to 2 bytes */
#define DIR_NAME_ROOM 6

uint64_t *tree_snapshot_add_vm(struct tree_snapshot *s, const char *name, const char *uuid)
{
	struct tree_vm *vm;
	size_t uuid_len = strnlen(uuid, TREE_UUID_MAX - 1);

	if (s->nvms == s->vms_alloc)
		return NULL;
	vm = &s->vms[s->nvms];
	/*
	 * Room, as a VM of a name another has too, for the name (cut so the
	 * whole fits TREE_DIR_MAX), '-' and the UUID (finish()).
	 */
	vm->dir = copy_string(s, name, TREE_DIR_MAX, strnlen(name, TREE_DIR_MAX - TREE_UUID_MAX - 2) + 2 + uuid_len +
			      DIR_NAME_ROOM);
	vm->uuid = copy_string(s, uuid, TREE_UUID_MAX, 1);
	if (!vm->dir || !vm->uuid)
		return NULL;
	/* a UUID is a name already; a proc source's fallback id is made one */
	vm->uuid_dir = needs_dir_name(vm->uuid) ? copy_string(s, uuid, TREE_UUID_MAX, DIR_NAME_ROOM) : vm->uuid;
	if (!vm->uuid_dir)
		return NULL;
	vm->row = s->nvms++;
	return tree_vm_energy(s, vm);
}

static int vm_by_dir(const void *a, const void *b)
{
	return strcmp(((const struct tree_vm *)a)->dir, ((const struct tree_vm *)b)->dir);
}

static int vm_by_uuid_dir(const void *a, const void *b)
{
	return strcmp((*(struct tree_vm *const *)a)->uuid_dir, (*(struct tree_vm *const *)b)->uuid_dir);
}

static int vm_by_key(const void *a, const void *b)
{
	uint64_t x = (*(struct tree_vm *const *)a)->key, y = (*(struct tree_vm *const *)b)->key;

	return x < y ? -1 : x > y;
}

/* FNV-1a of @s, then @salt, folded to TREE_KEY_BITS bits; never 0. */
static uint64_t key_of(const char *s, uint64_t salt)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	h = (h ^ salt) * 0x100000001b3ull;
	h ^= h >> 29;
	h &= (1ull << TREE_KEY_BITS) - 1;
	return h ? h : 1;
}

/*
 * Give each VM its key, from its UUID directory: the same key for the same
 * directory whatever else the tree holds, but for a clash of two (one in
 * 2^48 per pair), which the later directory by name settles with a salt.
 */
static void give_keys(struct tree_snapshot *s)
{
	for (size_t i = 0; i < s->nvms; i++) {
		s->by_uuid[i]->key = key_of(s->by_uuid[i]->uuid_dir, 0);
		s->by_key[i] = s->by_uuid[i];
	}
	for (uint64_t salt = 1; salt < 64; salt++) {
		bool clash = false;

		qsort(s->by_key, s->nvms, sizeof(*s->by_key), vm_by_key);
		for (size_t i = 1; i < s->nvms; i++) {
			struct tree_vm *a = s->by_key[i - 1], *b = s->by_key[i];

			if (a->key != b->key)
				continue;
			if (strcmp(a->uuid_dir, b->uuid_dir) > 0)
				a = b;
			a->key = key_of(a->uuid_dir, salt);
			clash = true;
		}
		if (!clash)
			return;
	}
}

/* Each zone's slot: 1 + its rank by id. */
static void give_slots(struct tree_snapshot *s)
{
	for (size_t z = 0; z < s->nzones; z++) {
		s->zones[z].slot = 1;
		for (size_t o = 0; o < s->nzones; o++)
			s->zones[z].slot += strcmp(s->zones[o].id, s->zones[z].id) < 0;
	}
}

/*
 * A directory name must be a single usable path component, and one a
 * terminal or a log shows as it is: '/' and control characters (libvirt
 * allows tabs and the like in names) become '_'. Spaces and UTF-8 stay.
 */
static void dir_name(char *dir)
{
	char name[4];

	for (size_t i = 0; dir[i]; i++)
		if (dir[i] == '/' || (unsigned char)dir[i] < ' ' || dir[i] == 0x7f)
			dir[i] = '_';
	/* "", "." or "..": all of it fits in @name, whatever @size is */
	if (!dir[0] || !strcmp(dir, ".") || !strcmp(dir, "..")) {
		snprintf(name, sizeof(name), "%s", dir);
		snprintf(dir, DIR_NAME_ROOM, "vm%s", name);
	}
}

void tree_snapshot_finish(struct tree_snapshot *s)
{
	for (size_t z = 0; z < s->nzones; z++) {
		const char *last = strrchr(s->zones[z].id, ':');
		size_t plen = last ? (size_t)(last - s->zones[z].id) : 0;

		s->zones[z].parent = -1;
		for (size_t p = 0; last && p < s->nzones; p++)
			if (strlen(s->zones[p].id) == plen && !strncmp(s->zones[p].id, s->zones[z].id, plen))
				s->zones[z].parent = (int)p;
	}
	for (size_t i = 0; i < s->nvms; i++) {
		dir_name(s->vms[i].dir);
		if (s->vms[i].uuid_dir != s->vms[i].uuid)
			dir_name(s->vms[i].uuid_dir);
	}
	qsort(s->vms, s->nvms, sizeof(*s->vms), vm_by_dir);
	/* VMs of one name (proc source): all but the first get their UUID added. */
	for (size_t first = 0, i = 1; i < s->nvms; i++) {
		char dir[TREE_DIR_MAX];

		if (strcmp(s->vms[i].dir, s->vms[first].dir)) {
			first = i;
			continue;
		}
		/* in the room tree_snapshot_add_vm() left */
		snprintf(dir, sizeof(dir), "%.*s-%s", (int)(sizeof(dir) - TREE_UUID_MAX - 2),
			 s->vms[i].dir, s->vms[i].uuid);
		strcpy(s->vms[i].dir, dir);
	}
	qsort(s->vms, s->nvms, sizeof(*s->vms), vm_by_dir);
	for (size_t i = 0; i < s->nvms; i++)
		s->by_uuid[i] = &s->vms[i];
	qsort(s->by_uuid, s->nvms, sizeof(*s->by_uuid), vm_by_uuid_dir);
	give_keys(s);
	give_slots(s);
}

const struct tree_vm *tree_find_vm_key(const struct tree_snapshot *s, uint64_t key)
{
	size_t lo = 0, hi = s->nvms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k = s->by_key[mid]->key;

		if (k == key)
			return s->by_key[mid];
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int tree_find_zone_slot(const struct tree_snapshot *s, unsigned slot)
{
	for (size_t z = 0; z < s->nzones; z++)
		if (s->zones[z].slot == slot)
			return (int)z;
	return -1;
}

/* The VM named @dir (length @len) among their links (names), or their directories (UUIDs). */
static const struct tree_vm *find_vm(const struct tree_snapshot *s, bool by_uuid, const char *dir, size_t len)
{
	size_t lo = 0, hi = s->nvms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct tree_vm *vm = by_uuid ? s->by_uuid[mid] : &s->vms[mid];
		const char *name = by_uuid ? vm->uuid_dir : vm->dir;
		int c = strncmp(name, dir, len);

		if (c == 0 && name[len] != '\0')
			c = 1;
		if (c == 0)
			return vm;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct tree_vm *tree_find_vm(const struct tree_snapshot *s, const char *dir, size_t len)
{
	return find_vm(s, false, dir, len);
}

const struct tree_vm *tree_find_vm_dir(const struct tree_snapshot *s, const char *dir, size_t len)
{
	return find_vm(s, true, dir, len);
}

int tree_find_zone(const struct tree_snapshot *s, const char *id, size_t len)
{
	for (size_t z = 0; z < s->nzones; z++)
		if (!strncmp(s->zones[z].id, id, len) && s->zones[z].id[len] == '\0')
			return (int)z;
	return -1;
}

static void snapshot_free_published(struct published *p)
{
	tree_snapshot_free((struct tree_snapshot *)p);
}

int tree_publisher_init(struct publisher *p)
{
	struct tree_snapshot *s = tree_snapshot_new(0, 0);

	if (!s)
		return -ENOMEM;
	publisher_init(p, &s->pub, snapshot_free_published);
	return 0;
}
