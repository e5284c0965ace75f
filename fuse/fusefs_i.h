/* SPDX-License-Identifier: MIT */
/*
 * The FUSE filesystem's insides, shared by its files: fusefs.c (the
 * operations, mounting, invalidations), fusefs_nodes.c (what a node id
 * names and what a node holds), fusefs_handles.c (open files' handles)
 * and fusefs_conn.c (the connection's workers, and taking one over).
 */
#ifndef VPOWERCAP_FUSEFS_I_H
#define VPOWERCAP_FUSEFS_I_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "fuse/fusefs.h"
#include "fuse/tree.h"

#define CONTROL_TYPE "intel-rapl"

/*
 * FUSE node ids are made of what a node is, not of the order the kernel
 * met it: another server given the same tree gives every node the same id
 * (a server that takes a connection over answers for the ids the kernel
 * holds), and no table maps them, so lookups take no lock.
 *
 *   bits 63..16  the VM's key (tree.h), from its UUID directory
 *   bits 15..4   the zone's slot (1 + rank by id), 0 for none
 *   bits  3..0   the kind of node
 *
 * The root is FUSE_ROOT_ID (1); every other id has a key, so is above it.
 */
enum node_kind {
	NODE_ROOT,
	NODE_VM,        /* a VM's share root, named by its UUID */
	NODE_VM_LINK,   /* a VM's name, a link to its share root */
	NODE_CONTROL,   /* UUID/intel-rapl */
	NODE_ZONE,      /* a zone directory */
	NODE_LINK,      /* a flat link at the share root */
	NODE_ATTR,      /* a file: NODE_ATTR + its attr_kind in the id */
};

enum attr_kind {
	ATTR_NAME,
	ATTR_ENERGY,
	ATTR_MAX_RANGE,
	ATTR_ENABLED,
	ATTR_COUNT,
};

#define ID_KIND_BITS 4
#define ID_SLOT_BITS 12
#define ID_SLOT_MAX ((1u << ID_SLOT_BITS) - 1)

/* The files of a zone, with sysfs's modes (energy_uj is root-only since 5.10). */
struct attr_file {
	const char *file;
	mode_t mode;
};

extern const struct attr_file attr_files[ATTR_COUNT];

struct node {
	enum node_kind kind;
	const struct tree_vm *vm;
	int zone;              /* -1 for the control type and above */
	enum attr_kind attr;
};


/*
 * Open files' and directories' handles. The kernel keeps a handle for as
 * long as the file is open, across servers: one this server did not make
 * (a previous server's, before a takeover) must never be taken for a
 * pointer. A handle is this server's instance (top 32 bits), then its
 * slot's generation (10 bits) and the slot (22 bits); a handle of another
 * instance, or of a slot given to another file since, is served without
 * state (handle_get() returns NULL).
 *
 * A call that uses a handle's state holds a reference (handle_get() to
 * handle_unget()); the release (handle_drop()) gives the open's own back,
 * and the state is freed when the last goes. The kernel may send a
 * release while a read or readdir of the same handle is still being
 * answered (its reader was killed meanwhile): that read ends first.
 */
#define HANDLE_SLOT_BITS 22
#define HANDLE_GEN_BITS 10
#define HANDLE_CHUNK 1024
#define HANDLE_CHUNKS 4096       /* 4 Mi handles open at once: 2^HANDLE_SLOT_BITS */

struct handle_slot {
	void *p;
	void (*release)(void *p);
	uint32_t gen;                /* HANDLE_GEN_BITS, moved on each time the slot is taken */
	uint32_t refs;               /* the open's (until dropped) and the calls' using it */
	bool dropped;                /* released by the kernel: no new call uses it */
};

struct handles {
	pthread_mutex_t lock;        /* every slot's fields */
	struct handle_slot *chunks[HANDLE_CHUNKS];
	uint32_t nslots;
	uint32_t *free;
	size_t nfree, free_alloc;
	uint64_t instance;           /* random, never 0, in the handles' top 32 bits */
};

/*
 * Threads reading requests: one per CPU the server may run on, within
 * these bounds. Requests are answered from memory, never waiting: more
 * threads than CPUs only add wake-ups across CPUs (on 2 CPUs, 8 threads
 * made 8 concurrent readers' p99 1.5 times libfuse's, 2 threads 0.75
 * times). Two at least, so that one long listing never holds up a read.
 */
#define WORKERS_MIN 2
#define WORKERS_MAX 16

struct fusefs {
	struct fuse_session *se;
	struct publisher *tree;
	char *mountpoint;
	pthread_t workers[WORKERS_MAX];
	size_t nworkers;
	bool running;
	bool draining;         /* atomic: handing over, workers stop */
	bool resend_refused;
	time_t mounted_at;
	gid_t reader_gid;      /* FUSEFS_NO_GROUP: root only */
	int fd;                /* the connection's /dev/fuse descriptor */
	pthread_mutex_t init_lock;
	unsigned char init[FUSEFS_INIT_MAX];
	size_t init_len;       /* under init_lock; 0 until FUSE_INIT came */
	struct handles handles;
};

/* fusefs_nodes.c */

/** Node @n's id in @s. */
fuse_ino_t node_id(const struct tree_snapshot *s, const struct node *n);

/** The node of id @ino in @s: 0, or -ENOENT (a VM or zone gone, or no such id). */
int node_of(const struct tree_snapshot *s, fuse_ino_t ino, struct node *n);

/** The child @name of directory @dir in @s: 0, -ENOENT or -ENOTDIR. */
int child_of(const struct tree_snapshot *s, const struct node *dir, const char *name, struct node *n);

/** The text of file @n, as sysfs produces it: its length. */
size_t attr_value(const struct tree_snapshot *s, const struct node *n, char *buf, size_t size);

/** The target of link @n: a zone's, or a VM name's (its UUID directory). */
void node_link_target(const struct tree_snapshot *s, const struct node *n, char *buf, size_t size);

/** @n's attributes. */
void node_stat(const struct fusefs *fs, const struct tree_snapshot *s, const struct node *n, struct stat *st);

/* fusefs_handles.c */

/** A handle for @p, freed with @release once dropped and unused; 0 when out of memory (or handles). */
uint64_t handle_put(struct handles *h, void *p, void (*release)(void *p));

/**
 * What handle @fh holds, with a reference for the caller to give back
 * (handle_unget()); NULL for a handle another server made, or dropped.
 */
void *handle_get(struct handles *h, uint64_t fh);

/** Give back the reference handle_get() took. */
void handle_unget(struct handles *h, uint64_t fh);

/** The file's release: its state goes once no call uses it. */
void handle_drop(struct handles *h, uint64_t fh);

void handles_init(struct handles *h);
void handles_release(struct handles *h);

/* fusefs_conn.c */

/** Start the workers that read and answer requests. 0, or -EAGAIN when none starts. */
int start_workers(struct fusefs *fs);

/** Stop the workers: each ends once its request, if any, is answered. */
void stop_workers(struct fusefs *fs);

/** Wait, up to 5 s, for a new mount's FUSE_INIT. */
int wait_init(struct fusefs *fs);

/** Serve connection @take (fusefs.h), mounting nothing. 0 or -errno after logging. */
int take_over(struct fusefs *fs, const struct fusefs_takeover *take);

#endif
