/* SPDX-License-Identifier: MIT */
/*
 * Container names from the Docker-compatible API (Docker's, Podman's) over
 * its unix socket: GET /containers/json, in a thread of its own that asks
 * every few seconds with a short timeout, so that a slow or absent runtime
 * never holds up a step. Where no socket can be read, ids only.
 */
#ifndef VPOWERCAP_CONTAINER_NAMES_H
#define VPOWERCAP_CONTAINER_NAMES_H

#include <stddef.h>

#include "common/container.h"
#include "common/publish.h"

/* What one answer may hold: a bigger one is refused. */
#define CONTAINER_API_MAX_BYTES (16u << 20)
#define CONTAINER_NAME_MAX 128
/* Seconds between two questions, and how long one may take. */
#define CONTAINER_NAMES_INTERVAL 10.0
#define CONTAINER_API_TIMEOUT 2.0

struct container_name {
	char id[CONTAINER_ID_LEN + 1];
	char name[CONTAINER_NAME_MAX + 1];   /* without Docker's leading '/' */
};

/* One answer, published whole and never changed (common/publish.h). */
struct container_names {
	struct published pub;
	struct container_name *v;   /* sorted by id */
	size_t n;
};

/**
 * Parse the body of GET /containers/json: each container's "Id" and the
 * first of its "Names". Ids that are not 64 hex digits and names that are
 * empty, too long or hold control characters are skipped. Returns a new
 * snapshot (free with container_names_free()), or NULL with errno set
 * (EINVAL: not such a list).
 */
struct container_names *container_names_parse(const char *body, size_t len);

/** The name of container @id in @names, or NULL; @names may be NULL. */
const char *container_names_find(const struct container_names *names, const char *id);

void container_names_free(struct container_names *names);

/**
 * Ask the API at unix socket @path once: connect, GET /containers/json
 * over HTTP/1.0, read at most CONTAINER_API_MAX_BYTES within @timeout_s
 * in all, or until @cancel_fd (-1: none) is readable (errno ECANCELED).
 * Returns a new snapshot, or NULL with errno set.
 */
struct container_names *container_api_query(const char *path, double timeout_s, int cancel_fd);

struct container_resolver;

/**
 * Start the thread asking the sockets of @sockets (comma-separated paths;
 * the ones that exist and this process may write to) every @interval_s.
 * Returns NULL (after logging) when the thread cannot start.
 */
struct container_resolver *container_resolver_start(const char *sockets, double interval_s,
						    double timeout_s);

/** The latest names (never NULL; empty before the first answer): hold until put. */
const struct container_names *container_resolver_get(struct container_resolver *r);
void container_resolver_put(struct container_resolver *r, const struct container_names *names);

/** Stop the thread and free everything; NULL is fine. */
void container_resolver_free(struct container_resolver *r);

#endif
