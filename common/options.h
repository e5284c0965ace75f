/* SPDX-License-Identifier: MIT */
/*
 * Configuration from an INI file and from the command line, described once
 * by a table of option specs: each key of the file has a flag of the same
 * name (--key-name for key_name), and the flag wins over the file.
 */
#ifndef VPOWERCAP_OPTIONS_H
#define VPOWERCAP_OPTIONS_H

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

struct options_program {
	const char *name;            /* "vpowercap-agent" */
	const char *synopsis;        /* "[options] EXPORTER [options]" */
	const char *default_config;  /* read when present, if no --config */
	const struct option_spec *specs;
	size_t nspecs;
};

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
 * is not an option. The first flag of an OPTION_LIST replaces the file's
 * value; repeating the flag (here or in a later options_parse_flags() call)
 * appends to it. Returns the index of that argument (argc when none), 
 * -EINVAL after logging what is wrong, or -EAGAIN when --help or --version
 * was answered and the program should exit 0.
 */
int options_parse_args(const struct options_program *prog, void *target,
		       int argc, char **argv, int first);

/** Parse flags only (no file), from argv[@first] to the first non-option. */
int options_parse_flags(const struct options_program *prog, void *target,
			int argc, char **argv, int first);

/** Print --help for @prog to standard output. */
void options_usage(const struct options_program *prog);

#endif
