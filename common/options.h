/* SPDX-License-Identifier: MIT */
/*
 * Configuration from an INI file and from the command line, described once
 * by a table of option specs: each key of the file has a flag of the same
 * name (--key-name for key_name), and the flag wins over the file.
 */
#ifndef VPOWERCAP_OPTIONS_H
#define VPOWERCAP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum option_type {
	OPTION_STRING,   /* char[size] */
	OPTION_UNSIGNED, /* unsigned */
	OPTION_DOUBLE,   /* double */
	OPTION_CHOICE,   /* int: index into choices */
	OPTION_LIST,     /* char[size]: comma-separated; a repeated flag appends */
};

struct option_spec {
	const char *section;
	const char *key;
	char short_flag;            /* 0 for none */
	enum option_type type;
	size_t offset;              /* of the value in the target struct */
	size_t size;                /* OPTION_STRING: the buffer's size */
	const char *const *choices; /* OPTION_CHOICE: NULL-terminated */
	double min, max;            /* numeric bounds, inclusive */
	const char *arg;            /* the argument's name in --help */
	const char *help;
};

/** The most rows one program may have. */
#define OPTIONS_MAX 96

struct options_program {
	const char *name;            /* "vpowercap-agent" */
	const char *synopsis;        /* "[options] EXPORTER [options]" */
	const char *default_config;  /* read when present, if no --config */
	const struct option_spec *specs;
	size_t nspecs;               /* at most OPTIONS_MAX */
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

/** Print --help for @prog to standard output. */
void options_usage(const struct options_program *prog);

#endif
