/* SPDX-License-Identifier: MIT */
/*
 * Configuration from an INI file and from the command line, described once
 * by a table of option rows: each key of the file has a flag of the same
 * name (--key-name for key_name), and the flag wins over the file.
 */
#ifndef VPOWERCAP_OPTIONS_H
#define VPOWERCAP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <ini.h>

enum option_type {
	OPTION_STRING,   /* char[size] */
	OPTION_UNSIGNED, /* unsigned */
	OPTION_DOUBLE,   /* double */
	OPTION_CHOICE,   /* int: index into choices */
	OPTION_LIST,     /* char[size]: comma-separated; a repeated flag appends; with
			  * choices, each item must be one of them */
	OPTION_BOOL,     /* bool: a flag without a value; yes|no in the file */
};

struct option_spec {
	const char *section;
	const char *key;
	char short_flag;            /* 0 for none */
	enum option_type type;
	size_t offset;              /* of the value in the target struct */
	size_t size;                /* OPTION_STRING, OPTION_LIST: the buffer's size */
	const char *const *choices; /* OPTION_CHOICE, OPTION_LIST (or NULL): NULL-terminated */
	double min, max;            /* numeric bounds, inclusive */
	const char *arg;            /* the argument's name in --help; NULL: the choices */
	const char *help;
};

/*
 * Rows of a table, in the manner of git's parse-options. Each names its
 * [section] and key, its short flag or 0, the field of OPTIONS_STRUCT it
 * sets, and for --help the argument's name and what the option does. Define
 * OPTIONS_STRUCT as the struct a table fills before the table and #undef it
 * after; the compiler checks each field's type against the row's.
 *
 *	#define OPTIONS_STRUCT struct agent_config
 *	static const struct option_spec agent_specs[] = {
 *		OPT_STRING("agent", "proc_root", 0, proc_root, "DIR", "proc filesystem to read"),
 *		OPT_UNSIGNED("output", "processes", 'n', processes, 0, 100000, "N", "show ..."),
 *		OPT_CHOICE("agent", "sensor", 0, sensor, sensor_kind_names, "where power comes from"),
 *		OPT_ESTIMATE(idle_watts_per_cpu, max_watts_per_cpu),
 *	};
 *	#undef OPTIONS_STRUCT
 */

/* git's BUILD_ASSERT_OR_ZERO: 0, or a compile error when @cond is false. */
#define OPTIONS_ASSERT_OR_ZERO_(cond) (sizeof(char[1 - 2 * !(cond)]) - 1)
#define OPTIONS_FIELD_(field) (((OPTIONS_STRUCT *)0)->field)
#define OPTIONS_IS_(field, type) \
	__builtin_types_compatible_p(__typeof__(OPTIONS_FIELD_(field)), type)
/* The field's offset, once it is known to be a @type. */
#define OPTIONS_OFFSET_(field, type) \
	(offsetof(OPTIONS_STRUCT, field) + OPTIONS_ASSERT_OR_ZERO_(OPTIONS_IS_(field, type)))
/* The field's offset, once it is known to be an array of char (not a pointer). */
#define OPTIONS_OFFSET_CHARS_(field) \
	(offsetof(OPTIONS_STRUCT, field) + OPTIONS_ASSERT_OR_ZERO_( \
		__builtin_types_compatible_p(__typeof__(OPTIONS_FIELD_(field)[0]), char) && \
		!__builtin_types_compatible_p(__typeof__(OPTIONS_FIELD_(field)), \
					      __typeof__(&OPTIONS_FIELD_(field)[0]))))

/** A char array field: the value as given. */
#define OPT_STRING(section_, key_, short_, field, arg_, help_) \
	{ .section = (section_), .key = (key_), .short_flag = (short_), .type = OPTION_STRING, \
	  .offset = OPTIONS_OFFSET_CHARS_(field), .size = sizeof(OPTIONS_FIELD_(field)), \
	  .arg = (arg_), .help = (help_) }

/** A char array field, comma-separated: the first flag replaces, repeats append. */
#define OPT_LIST(section_, key_, short_, field, arg_, help_) \
	{ .section = (section_), .key = (key_), .short_flag = (short_), .type = OPTION_LIST, \
	  .offset = OPTIONS_OFFSET_CHARS_(field), .size = sizeof(OPTIONS_FIELD_(field)), \
	  .arg = (arg_), .help = (help_) }

/** A char array field, comma-separated names, each one of @names_ (NULL-terminated). */
#define OPT_LIST_CHOICES(section_, key_, short_, field, names_, help_) \
	{ .section = (section_), .key = (key_), .short_flag = (short_), .type = OPTION_LIST, \
	  .offset = OPTIONS_OFFSET_CHARS_(field), .size = sizeof(OPTIONS_FIELD_(field)), \
	  .choices = (names_), .help = (help_) }

/** An unsigned field: a whole number from @min_ to @max_. */
#define OPT_UNSIGNED(section_, key_, short_, field, min_, max_, arg_, help_) \
	{ .section = (section_), .key = (key_), .short_flag = (short_), .type = OPTION_UNSIGNED, \
	  .offset = OPTIONS_OFFSET_(field, unsigned), .min = (min_), .max = (max_), \
	  .arg = (arg_), .help = (help_) }

/** A double field: a number from @min_ to @max_. */
#define OPT_DOUBLE(section_, key_, short_, field, min_, max_, arg_, help_) \
	{ .section = (section_), .key = (key_), .short_flag = (short_), .type = OPTION_DOUBLE, \
	  .offset = OPTIONS_OFFSET_(field, double), .min = (min_), .max = (max_), \
	  .arg = (arg_), .help = (help_) }

/** A bool field: the flag alone turns it on; the file says yes or no. */
#define OPT_BOOL(section_, key_, short_, field, help_) \
	{ .section = (section_), .key = (key_), .short_flag = (short_), .type = OPTION_BOOL, \
	  .offset = OPTIONS_OFFSET_(field, bool), .help = (help_) }

/**
 * An int field: the index of the value in @names_ (NULL-terminated). --help
 * shows the names as the argument, "a|b|c".
 */
#define OPT_CHOICE(section_, key_, short_, field, names_, help_) \
	{ .section = (section_), .key = (key_), .short_flag = (short_), .type = OPTION_CHOICE, \
	  .offset = OPTIONS_OFFSET_(field, int), .choices = (names_), .help = (help_) }

/*
 * Blocks of rows both programs have, written here once so that their keys,
 * flags, bounds and help stay the same in both. Each takes the fields of
 * the program's OPTIONS_STRUCT. What a step is differs (the agent measures
 * every step, the daemon reports every so many whole ticks), so its lower
 * bound and help are the program's; the timeout's help is scoped by a
 * literal prefix ("exporter: " where the program may run without one).
 * Defaults stay with each program's config (the listen addresses differ).
 */
#define OPT_OUTPUT_STEP(field, min_, help_) \
	OPT_DOUBLE("output", "step", 's', field, min_, 86400, "SECONDS", help_)
#define OPT_OUTPUT_TIMEOUT(field, scope_) \
	OPT_DOUBLE("output", "timeout", 't', field, 0, 1e9, "SECONDS", \
		   scope_ "stop after this many seconds (0: run until stopped)")
#define OPT_OUTPUT_FILE(field) \
	OPT_STRING("output", "file", 0, field, "PATH", \
		   "json: append to PATH instead of standard output")
#define OPT_ESTIMATE(idle_field, max_field) \
	OPT_DOUBLE("estimate", "idle_watts_per_cpu", 0, idle_field, 0, 10000, "WATTS", \
		   "estimate: power of one idle CPU"), \
	OPT_DOUBLE("estimate", "max_watts_per_cpu", 0, max_field, 0, 10000, "WATTS", \
		   "estimate: power of one fully busy CPU")
#define OPT_PROMETHEUS(listen_field, web_config_field) \
	OPT_LIST("prometheus", "listen", 0, listen_field, "ADDR:PORT", \
		 "prometheus: address to serve /metrics on, [ADDR]:PORT for IPv6, :PORT for every address, NAME:PORT for a name's; " \
		 "repeat or comma-separate for several"), \
	OPT_STRING("prometheus", "web_config", 0, web_config_field, "FILE", \
		   "prometheus: TLS and basic auth from this file (see metrics.md in /usr/share/doc/vpowercap-*)")

/** "no", "yes", NULL: the choices of a yes-or-no option (0 or 1). */
extern const char *const options_no_yes[];

/*
 * The network exporters' rows, on the fields of @n, a struct
 * exporter_net_options (common/exporter.h). Each key starts with its
 * exporter's prefix, so that after the exporter's name its flags may drop
 * it (exporter_parse_args()). No row takes a secret: those come from files
 * or the environment.
 */
#define OPT_NETWORK_EXPORTERS(n) \
	OPT_UNSIGNED("output", "queue", 0, n.queue, 1, 100000, "STEPS", \
		     "network exporters: steps kept while the server is away; the oldest is dropped"), \
	OPT_STRING("prometheus_push", "push_url", 0, n.push_url, "URL", \
		   "prometheus-push: the Pushgateway, http[s]://HOST:PORT[/PATH]"), \
	OPT_STRING("prometheus_push", "push_job", 0, n.push_job, "NAME", "prometheus-push: the job label"), \
	OPT_STRING("prometheus_push", "push_instance", 0, n.push_instance, "NAME", \
		   "prometheus-push: the instance label (empty: the host name)"), \
	OPT_LIST("prometheus_push", "push_grouping", 0, n.push_grouping, "LABEL=VALUE", \
		 "prometheus-push: more grouping labels; repeat or comma-separate"), \
	OPT_CHOICE("prometheus_push", "push_insecure", 0, n.push_insecure, options_no_yes, \
		   "prometheus-push: yes skips the check of the gateway's TLS certificate"), \
	OPT_STRING("prometheus_push", "push_ca_file", 0, n.push_ca_file, "FILE", \
		   "prometheus-push: the CAs the gateway's TLS certificate is checked against (default: the system's)"), \
	OPT_STRING("prometheus_push", "push_username", 0, n.push_username, "NAME", \
		   "prometheus-push: basic auth user (password: push_password_file or $VPOWERCAP_PUSH_PASSWORD)"), \
	OPT_STRING("prometheus_push", "push_password_file", 0, n.push_password_file, "FILE", \
		   "prometheus-push: basic auth password, the file's first line (not readable by others)"), \
	OPT_CHOICE("prometheus_push", "push_delete", 0, n.push_delete, options_no_yes, \
		   "prometheus-push: yes deletes the group from the gateway on exit"), \
	OPT_STRING("riemann", "riemann_address", 0, n.riemann_address, "HOST:PORT", \
		   "riemann: the server, [ADDR6]:PORT for IPv6"), \
	OPT_CHOICE("riemann", "riemann_tls", 0, n.riemann_tls, options_no_yes, \
		   "riemann: yes speaks TLS (with riemann_ca_file, riemann_cert_file and riemann_key_file)"), \
	OPT_STRING("riemann", "riemann_ca_file", 0, n.riemann_ca_file, "FILE", \
		   "riemann: TLS: the CA that signed the server's certificate"), \
	OPT_STRING("riemann", "riemann_cert_file", 0, n.riemann_cert_file, "FILE", \
		   "riemann: TLS: client certificate"), \
	OPT_STRING("riemann", "riemann_key_file", 0, n.riemann_key_file, "FILE", \
		   "riemann: TLS: client key"), \
	OPT_STRING("riemann", "riemann_host", 0, n.riemann_host, "NAME", \
		   "riemann: the events' host (empty: the host name)"), \
	OPT_LIST("riemann", "riemann_tags", 0, n.riemann_tags, "TAG", \
		 "riemann: tags of every event; repeat or comma-separate"), \
	OPT_LIST("riemann", "riemann_attributes", 0, n.riemann_attributes, "KEY=VALUE", \
		 "riemann: attributes of every event; repeat or comma-separate"), \
	OPT_DOUBLE("riemann", "riemann_ttl", 0, n.riemann_ttl, 0, 1e6, "SECONDS", \
		   "riemann: the events' time to live (0: three steps)"), \
	OPT_STRING("warp10", "warp10_url", 0, n.warp10_url, "URL", \
		   "warp10: the Warp 10 server, http[s]://HOST:PORT (/api/v0/update is added)"), \
	OPT_STRING("warp10", "warp10_token_file", 0, n.warp10_token_file, "FILE", \
		   "warp10: the write token, the file's first line (not readable by others); else $VPOWERCAP_WARP10_TOKEN"), \
	OPT_LIST("warp10", "warp10_labels", 0, n.warp10_labels, "LABEL=VALUE", \
		 "warp10: labels of every series; repeat or comma-separate"), \
	OPT_CHOICE("warp10", "warp10_insecure", 0, n.warp10_insecure, options_no_yes, \
		   "warp10: yes skips the check of the server's TLS certificate"), \
	OPT_STRING("warp10", "warp10_ca_file", 0, n.warp10_ca_file, "FILE", \
		   "warp10: the CAs the server's TLS certificate is checked against (default: the system's)")

/** The most rows one program may have. */
#define OPTIONS_MAX 96

struct options_program {
	const char *name;            /* "vpowercap-agent" */
	const char *synopsis;        /* "[options] EXPORTER [options]" */
	const char *default_config;  /* read when present, if no --config */
	const struct option_spec *specs;
	size_t nspecs;               /* at most OPTIONS_MAX */
	const void *defaults;        /* the target with its defaults, for --help; or NULL */
};

/*
 * One parse of a program's options into a target struct. A program parses
 * its flags in more than one call (before and after a subcommand's name),
 * and what a call leaves for the next one lives here, not in globals: the
 * caller owns it, usually on the stack, and a reload starts a new one.
 * Flags are read with getopt_long(), so one parse runs at a time.
 */
struct options_parse {
	const struct options_program *prog;
	void *target;
	/* Rows of type OPTION_LIST a flag has set: the next flag appends. */
	bool list_flagged[OPTIONS_MAX];
	/*
	 * A key prefix ("riemann_"), or NULL: the flags of the rows whose key
	 * starts with it are taken without it too (--address for
	 * --riemann-address), the flags after an exporter's name being its own.
	 */
	const char *scope;
};

/** Start a parse of @prog's options into @target. Allocates nothing. */
void options_parse_init(struct options_parse *p, const struct options_program *prog,
			void *target);

/**
 * Set one option from text. Returns 0, or -EINVAL with the reason in @why.
 */
int options_set(const struct option_spec *spec, void *target, const char *value,
		char *why, size_t whylen);

/** The spec of @key in @section, or NULL. */
const struct option_spec *options_find(const struct options_program *prog,
				       const char *section, const char *key);

/*
 * An INI file read by inih a whole line at a time. inih's handler gets no
 * line number, so the reader counts lines; and it takes lines whole or
 * refuses them: inih would cut a line longer than its buffer in pieces and
 * parse each, and would take an indented line for the continuation of the
 * previous value. Here indentation is only layout.
 */
struct ini_reader {
	FILE *file;
	unsigned line;       /* the line handed to inih last: the one a handler sees */
	unsigned error_line; /* the first line refused; 0: none */
	char why[256];       /* why, or "" for a line inih itself could not parse */
	char *buf;
	size_t bufsize;
};

/** inih's reader (ini_parse_stream) over @stream, a struct ini_reader. */
char *ini_reader_line(char *str, int num, void *stream);

/**
 * Parse @path with @handler(@user, ...) through @r (zeroed). Returns 0,
 * the number of the first line refused (> 0, the reason in @r->why), or
 * -errno when the file cannot be read (-ENOENT when it does not exist).
 */
int ini_reader_parse(struct ini_reader *r, const char *path, ini_handler handler, void *user);

/** From a handler: refuse the current line, for a reason (the first one told stays). */
void ini_reader_refuse(struct ini_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Load an INI file into @target. Returns 0, -ENOENT when it does not
 * exist, or -EINVAL after logging "FILE:LINE: reason" for the first
 * problem (unknown section or key, bad value, malformed line).
 */
int options_load_file(const struct options_program *prog, void *target, const char *path);

/**
 * Parse the command line: load --config FILE (or the default file when it
 * exists), then apply flags from argv[@first] up to the first argument that
 * is not an option. The parse @p starts over: the first flag of an
 * OPTION_LIST replaces the file's value; repeating the flag (here or in a
 * later options_parse_flags() on @p) appends to it. Returns the index of
 * that argument (argc when none), -EINVAL after logging what is wrong, or
 * -EAGAIN when --help or --version was answered and the program should
 * exit 0.
 */
int options_parse_args(struct options_parse *p, int argc, char **argv, int first);

/**
 * Parse flags only (no file), from argv[@first] to the first non-option,
 * continuing the parse @p. Returns as options_parse_args().
 */
int options_parse_flags(struct options_parse *p, int argc, char **argv, int first);

/**
 * The flags of a command's last word: options_parse_flags() from @first,
 * and nothing may follow them. Returns 0, 1 when --help or --version was
 * answered (the program exits 0), or -EINVAL after saying what is wrong
 * (the program exits 2).
 */
int options_parse_tail(struct options_parse *p, int argc, char **argv, int first);

/** Print --help for @prog to standard output, with the defaults. */
void options_usage(const struct options_program *prog);

/**
 * Print @prog's options as roff for its manual pages, to standard output:
 * @section 8 lists the flags (the program's page), 5 the config file's
 * keys by [section] (the file's page). The hidden flag --help-man=SECTION
 * prints it; the build puts it into the pages, so that they list what the
 * table holds. Returns 0, or -EINVAL for another section.
 */
int options_man(const struct options_program *prog, const char *section);

#endif
