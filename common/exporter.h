/* SPDX-License-Identifier: MIT */
/*
 * Exporters: where a step's figures go. Each is a table of operations
 * registered by name; the agent and the daemon pick one from the command
 * line or the config.
 */
#ifndef VPOWERCAP_EXPORTER_H
#define VPOWERCAP_EXPORTER_H

#include <stdio.h>

#include "common/report.h"

enum exporter_kind {
	EXPORTER_STDOUT,
	EXPORTER_JSON,
	EXPORTER_PROMETHEUS,
	EXPORTER_KIND_COUNT,
};

/** "stdout", "json", "prometheus", NULL-terminated, indexed by the enum. */
extern const char *const exporter_kind_names[];

/** The kind of exporter named @name, or -1. */
int exporter_kind_of(const char *name);

struct exporter_config {
	const char *file;  /* json: append here instead of standard output */
	const char *listen; /* prometheus: "ADDR:PORT,[ADDR6]:PORT", port 0 picks one */
	const char *web_config; /* prometheus: TLS and basic auth (common/web_config.h); NULL or "": none */
};

struct exporter;

struct exporter_ops {
	const char *name;
	int (*open)(struct exporter *e, const struct exporter_config *cfg);
	int (*write)(struct exporter *e, const struct report *r);
	void (*close)(struct exporter *e);
	/* NULL: nothing to reopen */
	int (*reopen)(struct exporter *e, const struct exporter_config *cfg);
};

struct exporter {
	const struct exporter_ops *ops;
	FILE *out;
	bool own_out;
	unsigned long steps;
	void *priv;        /* the backend's own state */
};

/** Open exporter @kind. Returns NULL after logging why. */
struct exporter *exporter_open(enum exporter_kind kind, const struct exporter_config *cfg);

/**
 * Reopen @e's output as @cfg names it (SIGHUP, after logrotate moved the
 * file): the json exporter's file is opened again, by name, and the old
 * one closed; others have nothing to reopen. On failure the output stays
 * as it was. Returns 0 or -errno after logging.
 */
int exporter_reopen(struct exporter *e, const struct exporter_config *cfg);

/** Close and free @e; NULL is fine. */
void exporter_free(struct exporter *e);

/** Write one step. Returns 0 or -errno (the output went away). */
static inline int exporter_write(struct exporter *e, const struct report *r)
{
	int ret = e->ops->write(e, r);

	e->steps++;
	return ret;
}

#endif
