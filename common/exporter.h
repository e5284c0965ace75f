/* SPDX-License-Identifier: MIT */
/*
 * Exporters: where a step's figures go. Each is a table of operations
 * registered by name; the agent and the daemon run the ones named on the
 * command line or in the config, several at once (an exporter set).
 */
#ifndef VPOWERCAP_EXPORTER_H
#define VPOWERCAP_EXPORTER_H

#include <limits.h>
#include <stdio.h>

#include "common/options.h"
#include "common/report.h"

struct outbox;

enum exporter_kind {
	EXPORTER_STDOUT,
	EXPORTER_JSON,
	EXPORTER_PROMETHEUS,
	EXPORTER_PROMETHEUS_PUSH,
	EXPORTER_RIEMANN,
	EXPORTER_WARP10,
	EXPORTER_KIND_COUNT,
};

/** "stdout", "json", "prometheus", ..., NULL-terminated, indexed by the enum. */
extern const char *const exporter_kind_names[];

/** The kind of exporter named @name, or -1. */
int exporter_kind_of(const char *name);

/** Whether the comma-separated exporter names @names hold @kind. */
bool exporter_list_has(const char *names, enum exporter_kind kind);

/* A network exporter's steps waiting to be sent, by default ([output] queue). */
#define EXPORTER_QUEUE_DEFAULT 60

/*
 * The network exporters' options, one block of both programs' configs
 * (OPT_NETWORK_EXPORTERS in common/options.h). Secrets (the push
 * gateway's password, the Warp 10 token) come from files or the
 * environment, never from a flag: any user can read a command line.
 */
struct exporter_net_options {
	unsigned queue;                 /* steps kept per exporter while its server is away */
	char push_url[1024];            /* http[s]://HOST:PORT of the Pushgateway */
	char push_job[128];
	char push_instance[256];        /* empty: the host name */
	char push_grouping[512];        /* "LABEL=VALUE,..." more grouping labels */
	int push_insecure;              /* 1: do not verify the TLS certificate */
	char push_ca_file[PATH_MAX];    /* the CAs to verify it with; empty: the system's */
	char push_username[128];        /* basic auth; empty: none */
	char push_password_file[PATH_MAX]; /* else $VPOWERCAP_PUSH_PASSWORD */
	int push_delete;                /* 1: delete the group on exit */
	char riemann_address[256];      /* HOST:PORT */
	int riemann_tls;
	char riemann_ca_file[PATH_MAX];
	char riemann_cert_file[PATH_MAX];
	char riemann_key_file[PATH_MAX];
	char riemann_host[256];         /* the events' host; empty: the host name */
	char riemann_tags[512];         /* comma-separated */
	char riemann_attributes[512];   /* "KEY=VALUE,..." */
	double riemann_ttl;             /* 0: three steps */
	char warp10_url[1024];          /* http[s]://HOST:PORT; /api/v0/update is added */
	char warp10_token_file[PATH_MAX]; /* else $VPOWERCAP_WARP10_TOKEN */
	char warp10_labels[512];        /* "LABEL=VALUE,..." on every series */
	int warp10_insecure;
	char warp10_ca_file[PATH_MAX];
};

/** Whether @a and @b hold the same options, field by field. */
bool exporter_net_options_same(const struct exporter_net_options *a,
			       const struct exporter_net_options *b);

struct exporter_config {
	const char *file;  /* json: append here instead of standard output */
	const char *listen; /* prometheus: "ADDR:PORT,[ADDR6]:PORT", port 0 picks one */
	const char *web_config; /* prometheus: TLS and basic auth (common/web_config.h); NULL or "": none */
	const struct exporter_net_options *net; /* the network exporters' */
	double step;       /* seconds between reports */
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
	enum exporter_kind kind;
	const struct exporter_ops *ops;
	FILE *out;
	bool own_out;
	unsigned long steps;
	void *priv;        /* the backend's own state */
	struct outbox *outbox; /* a network exporter's queue, for its counts; else NULL */
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

/*
 * The exporters a program runs, each written every step: what the command
 * line or the config names, in that order.
 */
struct exporter_set {
	struct exporter *members[EXPORTER_KIND_COUNT];
	size_t n;
	struct report_exporter counts[EXPORTER_KIND_COUNT]; /* the network ones' */
};

/**
 * Check what can be checked of the exporters of @names before anything
 * starts: known names, outputs that do not clash, the Prometheus listen
 * addresses and web configuration. Returns 0, or -EINVAL after logging (a
 * usage error).
 */
int exporter_set_check(const char *names, const struct exporter_config *cfg);

/**
 * Open the exporters of the comma-separated @names into @s (zeroed or
 * released). Returns 0, or -errno after logging, with none left open.
 */
int exporter_set_open(struct exporter_set *s, const char *names, const struct exporter_config *cfg);

/**
 * Write one step to every exporter of @s, with the network exporters'
 * counts (dropped steps) added to it for the Prometheus ones. Returns 0 or
 * the first exporter's -errno (an output that went away).
 */
int exporter_set_write(struct exporter_set *s, const struct report *r);

/** exporter_reopen() each; the first failure's -errno. */
int exporter_set_reopen(struct exporter_set *s, const struct exporter_config *cfg);

/** Close every exporter of @s. */
void exporter_set_release(struct exporter_set *s);

/**
 * The exporters named on the command line from argv[@at], each followed
 * by its flags: "prometheus --listen X riemann --address H:P". After an
 * exporter's name its own flags may drop their prefix (--address for
 * --riemann-address). The names go to @names (comma-separated, @size
 * bytes), replacing what it held when there is one. Returns 0, 1 when
 * --help or --version was answered, or -EINVAL after saying why.
 */
int exporter_parse_args(struct options_parse *p, int argc, char **argv, int at,
			char *names, size_t size);

#endif
