// SPDX-License-Identifier: MIT
/* Tests of option specs, INI files and command-line flags (common/options.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/lib/fixture.h"
#include "common/log.h"
#include "common/options.h"

#define OK(call) assert_int_equal((call), 0)
/* A writable argv string, as getopt may want one. */
#define ARG(s) ((char[]){ s })

struct conf {
	char name[16];
	unsigned count;
	double ratio;
	int mode;
	char tags[24];
	unsigned long_key_value;
};

static const char *const modes[] = { "fast", "slow", "auto", NULL };

#define OPTIONS_STRUCT struct conf
static const struct option_spec specs[] = {
	OPT_STRING("main", "name", 'n', name, "NAME", "a name"),
	OPT_UNSIGNED("main", "count", 'c', count, 1, 100, "N", "how many"),
	OPT_DOUBLE("tune", "ratio", 0, ratio, 0, 1, "R", "a share"),
	OPT_CHOICE("tune", "mode", 'm', mode, modes, "how"),
	OPT_LIST("main", "tags", 't', tags, "TAG", "tags"),
	OPT_UNSIGNED("tune", "long_key", 0, long_key_value, 0, 4000000000.0, "N",
		     "a key with an underscore"),
};
#undef OPTIONS_STRUCT

static const struct options_program prog = {
	.name = "test-options",
	.synopsis = "[options] THING [options]",
	.default_config = NULL,
	.specs = specs,
	.nspecs = sizeof(specs) / sizeof(specs[0]),
};

static const struct conf defaults = {
	.name = "default", .count = 10, .ratio = 0.5, .mode = 2, .tags = "",
	.long_key_value = 0,
};

static int teardown(void **state)
{
	/* Flags like -q change the log level: leave it as it was. */
	log_set_level(LOG_LEVEL_INFO);
	return fixture_teardown_dir(state);
}

/* Field by field: the struct has padding that assignment need not copy. */
static void assert_defaults(const struct conf *c)
{
	assert_string_equal(c->name, defaults.name);
	assert_int_equal(c->count, defaults.count);
	assert_true(c->ratio == defaults.ratio);
	assert_int_equal(c->mode, defaults.mode);
	assert_string_equal(c->tags, defaults.tags);
	assert_int_equal(c->long_key_value, defaults.long_key_value);
}

static const struct option_spec *spec(const char *section, const char *key)
{
	const struct option_spec *s = options_find(&prog, section, key);

	if (!s)
		fail_msg("no spec [%s] %s", section, key);
	return s;
}

/* --- options_set ------------------------------------------------------- */

static void test_find(void **state)
{
	(void)state;
	assert_ptr_equal(options_find(&prog, "main", "count"), &specs[1]);
	assert_ptr_equal(options_find(&prog, "tune", "mode"), &specs[3]);
	assert_null(options_find(&prog, "tune", "count"));
	assert_null(options_find(&prog, "main", "nope"));
	assert_null(options_find(&prog, "", "name"));
}

static void test_set_string(void **state)
{
	struct conf c = defaults;
	char why[256] = "";

	(void)state;
	OK(options_set(spec("main", "name"), &c, "fifteen-chars-x", why, sizeof(why)));
	assert_string_equal(c.name, "fifteen-chars-x");
	OK(options_set(spec("main", "name"), &c, "", why, sizeof(why)));
	assert_string_equal(c.name, "");
	assert_int_equal(options_set(spec("main", "name"), &c, "sixteen-chars-xx", why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(c.name, "");
	assert_non_null(strstr(why, "name"));
	assert_non_null(strstr(why, "too long"));
}

static void test_set_unsigned(void **state)
{
	static const char *const bad[] = {
		"2.5", "abc", "", "5x", "x5", "0", "101", "-1", "nan", "inf", "1e300", " ",
	};
	const struct option_spec *s = spec("main", "count");
	struct conf c = defaults;
	char why[256];

	(void)state;
	OK(options_set(s, &c, "7", why, sizeof(why)));
	assert_int_equal(c.count, 7);
	OK(options_set(s, &c, "100", why, sizeof(why)));
	assert_int_equal(c.count, 100);
	OK(options_set(s, &c, "1", why, sizeof(why)));
	assert_int_equal(c.count, 1);
	OK(options_set(s, &c, "3.0", why, sizeof(why)));
	assert_int_equal(c.count, 3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (options_set(s, &c, bad[i], why, sizeof(why)) != -EINVAL)
			fail_msg("'%s' was accepted for an unsigned in 1..100", bad[i]);
		assert_int_equal(c.count, 3);
		assert_non_null(strstr(why, "count"));
	}
	why[0] = '\0';
	assert_int_equal(options_set(s, &c, "2.5", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "whole number"));
	why[0] = '\0';
	assert_int_equal(options_set(s, &c, "101", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "out of range"));
	/* The full unsigned range where the spec allows it. */
	OK(options_set(spec("tune", "long_key"), &c, "4000000000", why, sizeof(why)));
	assert_int_equal(c.long_key_value, 4000000000u);
}

static void test_set_double(void **state)
{
	static const char *const bad[] = { "1.5", "-0.1", "nan", "inf", "-inf", "", "0.5x", "half" };
	const struct option_spec *s = spec("tune", "ratio");
	struct conf c = defaults;
	char why[256];

	(void)state;
	OK(options_set(s, &c, "0.25", why, sizeof(why)));
	assert_true(c.ratio == 0.25);
	OK(options_set(s, &c, "0", why, sizeof(why)));
	assert_true(c.ratio == 0.0);
	OK(options_set(s, &c, "1", why, sizeof(why)));
	assert_true(c.ratio == 1.0);
	OK(options_set(s, &c, "2.5e-1", why, sizeof(why)));
	assert_true(c.ratio == 0.25);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (options_set(s, &c, bad[i], why, sizeof(why)) != -EINVAL)
			fail_msg("'%s' was accepted for a double in 0..1", bad[i]);
		assert_true(c.ratio == 0.25);
		assert_true(why[0] != '\0');
	}
	why[0] = '\0';
	assert_int_equal(options_set(s, &c, "1.5", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "out of range"));
}

static void test_set_choice(void **state)
{
	const struct option_spec *s = spec("tune", "mode");
	struct conf c = defaults;
	char why[256] = "";

	(void)state;
	OK(options_set(s, &c, "slow", why, sizeof(why)));
	assert_int_equal(c.mode, 1);
	OK(options_set(s, &c, "fast", why, sizeof(why)));
	assert_int_equal(c.mode, 0);
	assert_int_equal(options_set(s, &c, "medium", why, sizeof(why)), -EINVAL);
	assert_int_equal(c.mode, 0);
	assert_non_null(strstr(why, "'medium'"));
	assert_non_null(strstr(why, "fast slow auto"));
	assert_int_equal(options_set(s, &c, "FAST", why, sizeof(why)), -EINVAL);
	assert_int_equal(options_set(s, &c, "", why, sizeof(why)), -EINVAL);
	/* A short reason buffer is cut, never overrun. */
	{
		char small[12];

		memset(small, 'z', sizeof(small));
		assert_int_equal(options_set(s, &c, "medium", small, sizeof(small)), -EINVAL);
		assert_int_equal(strlen(small), sizeof(small) - 1);
	}
}

static void test_set_list(void **state)
{
	const struct option_spec *s = spec("main", "tags");
	struct conf c = defaults;
	char why[256];

	(void)state;
	OK(options_set(s, &c, "a,b", why, sizeof(why)));
	assert_string_equal(c.tags, "a,b");
	/* options_set replaces; only repeated flags append. */
	OK(options_set(s, &c, "c", why, sizeof(why)));
	assert_string_equal(c.tags, "c");
	assert_int_equal(options_set(s, &c, "123456789012345678901234", why, sizeof(why)), -EINVAL);
	assert_string_equal(c.tags, "c");
}

/* --- options_load_file -------------------------------------------------- */

/* Load @text as a file of @dir; stderr is captured into *@err (malloc'd). */
static int load(const char *dir, const char *text, struct conf *c, char **err, char **path)
{
	struct fixture_capture cap;
	int ret;

	*path = fixture_path(dir, "test.conf");
	assert_non_null(*path);
	OK(fixture_write(dir, "test.conf", text));
	OK(fixture_capture_start(&cap, STDERR_FILENO, dir));
	ret = options_load_file(&prog, c, *path);
	*err = fixture_capture_end(&cap);
	assert_non_null(*err);
	return ret;
}

static void test_load_good(void **state)
{
	struct conf c = defaults;
	char *err, *path;

	OK(load(*state,
		"; a comment\n"
		"# another comment\n"
		"\n"
		"[main]\n"
		"name = from-file\n"
		"count=42\n"
		"tags = x,y ; inline comment\n"
		"\n"
		"[tune]\n"
		"ratio = 0.125\n"
		"mode = slow\n"
		"long_key = 12\n", &c, &err, &path));
	assert_string_equal(c.name, "from-file");
	assert_int_equal(c.count, 42);
	assert_string_equal(c.tags, "x,y");
	assert_true(c.ratio == 0.125);
	assert_int_equal(c.mode, 1);
	assert_int_equal(c.long_key_value, 12);
	assert_string_equal(err, "");
	free(err);
	free(path);
}

static void test_load_empty_file(void **state)
{
	struct conf c = defaults;
	char *err, *path;

	OK(load(*state, "", &c, &err, &path));
	assert_defaults(&c);
	free(err);
	free(path);
}

/* The load fails with -EINVAL and says "FILE:LINE:" and @why. */
static void check_refused(const char *dir, const char *text, unsigned line, const char *why)
{
	struct conf c = defaults;
	char *err, *path, where[4200];

	assert_int_equal(load(dir, text, &c, &err, &path), -EINVAL);
	snprintf(where, sizeof(where), "%s:%u: ", path, line);
	if (!strstr(err, where))
		fail_msg("expected '%s' in: %s", where, err);
	if (why && !strstr(err, why))
		fail_msg("expected '%s' in: %s", why, err);
	free(err);
	free(path);
}

static void test_load_unknown_section(void **state)
{
	/* The section is refused where its first key is (inih reports keys, not headers). */
	check_refused(*state, "[main]\ncount = 3\n\n[bogus]\nkey = 1\n", 5, "unknown section [bogus]");
	check_refused(*state, "name = before any section\n", 1, "unknown section");
}

static void test_load_unknown_key(void **state)
{
	check_refused(*state, "[main]\nname = x\ncount = 3\n; c\n\n[tune]\nmode = fast\nspeed = 3\n",
		      8, "unknown key 'speed' in section [tune]");
	/* A key of another section. */
	check_refused(*state, "[tune]\ncount = 3\n", 2, "unknown key 'count'");
}

static void test_load_bad_value(void **state)
{
	check_refused(*state, "[main]\ncount = 3\ncount = 3.5\n", 3, "whole number");
	check_refused(*state, "[tune]\n\n\n\nratio = 2\n", 5, "out of range");
	check_refused(*state, "[tune]\nmode = medium\n", 2, "fast slow auto");
	check_refused(*state, "[main]\nname = a-name-far-too-long\n", 2, "too long");
}

static void test_load_malformed(void **state)
{
	check_refused(*state, "[main]\ncount = 3\nthis line is not ini\n", 3, NULL);
	check_refused(*state, "[main\ncount = 3\n", 1, NULL);
	check_refused(*state, "; ok\n[main]\n\nname\n", 4, NULL);
}

/* Only the first problem is reported, with its own line. */
static void test_load_first_problem(void **state)
{
	check_refused(*state, "[main]\ncount = 0\nnot ini\n[nope]\nx = 1\n", 2, "out of range");
	check_refused(*state, "[main]\nnot ini\ncount = 0\n", 2, NULL);
}

/* Indentation is layout: an indented key is a key, not a continuation. */
static void test_load_indented(void **state)
{
	struct conf c = defaults;
	char *err, *path;

	OK(load(*state, "[main]\n  name = indented\n\tcount = 7\n  \n[tune]\n    mode = fast\n",
		&c, &err, &path));
	assert_string_equal(c.name, "indented");
	assert_int_equal(c.count, 7);
	assert_int_equal(c.mode, 0);
	assert_string_equal(err, "");
	free(err);
	free(path);
	check_refused(*state, "[main]\nname = x\n   count = 0\n", 3, "out of range");
}

/* A line too long for the parser is refused whole, on its own line number. */
static void test_load_long_line(void **state)
{
	char text[1024];
	int n;

	n = snprintf(text, sizeof(text), "[main]\n; fine\nname = x\n; ");
	memset(text + n, 'z', 400);
	snprintf(text + n + 400, sizeof(text) - (size_t)n - 400, "\ncount = 3\n");
	check_refused(*state, text, 4, "line longer than");
	/* Just short enough: 198 characters with the newline cut. */
	n = snprintf(text, sizeof(text), "[main]\n;");
	memset(text + n, 'y', 197);
	snprintf(text + n + 197, sizeof(text) - (size_t)n - 197, "\ncount = 0\n");
	check_refused(*state, text, 3, "out of range");
}

static void test_load_missing(void **state)
{
	struct conf c = defaults;
	char *path = fixture_path(*state, "missing.conf");

	assert_non_null(path);
	assert_int_equal(options_load_file(&prog, &c, path), -ENOENT);
	assert_defaults(&c);
	free(path);
}

/* --- options_parse_args ----------------------------------------------- */

/* options_parse_args() in a parse of its own, as a program's main() starts one. */
static int parse_args(const struct options_program *pr, struct conf *c, int argc, char **argv,
		      int first)
{
	struct options_parse p;

	options_parse_init(&p, pr, c);
	return options_parse_args(&p, argc, argv, first);
}

static char *write_conf(const char *dir, const char *text)
{
	OK(fixture_write(dir, "args.conf", text));
	return fixture_path(dir, "args.conf");
}

static void test_args_override_file(void **state)
{
	struct conf c = defaults;
	char *path = write_conf(*state, "[main]\nname = file\ncount = 5\n[tune]\nratio = 0.75\n");
	char *argv[] = {
		ARG("prog"), ARG("--count"), ARG("9"), ARG("--config"), path, ARG("-n"), ARG("cli"),
		ARG("json"), ARG("--ratio"), ARG("0.1"), NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	assert_non_null(path);
	/* --config is read first wherever it is: the flags win. */
	assert_int_equal(parse_args(&prog, &c, argc, argv, 1), 7);
	assert_string_equal(argv[7], "json");
	assert_int_equal(c.count, 9);
	assert_string_equal(c.name, "cli");
	/* From the file, and not the flag after the first non-option. */
	assert_true(c.ratio == 0.75);
	free(path);
}

static void test_args_config_equals(void **state)
{
	struct conf c = defaults;
	char *path = write_conf(*state, "[tune]\nmode = fast\nlong_key = 77\n");
	char *opt;
	char *argv[4];

	assert_non_null(path);
	assert_true(asprintf(&opt, "--config=%s", path) > 0);
	argv[0] = ARG("prog");
	argv[1] = opt;
	argv[2] = ARG("--long-key=78");
	argv[3] = NULL;
	assert_int_equal(parse_args(&prog, &c, 3, argv, 1), 3);
	assert_int_equal(c.mode, 0);
	/* key_name is --key-name on the command line. */
	assert_int_equal(c.long_key_value, 78);
	free(opt);
	free(path);
}

static void test_args_short_flags(void **state)
{
	struct conf c = defaults;
	char *argv[] = {
		ARG("prog"), ARG("-c"), ARG("3"), ARG("-mslow"), ARG("-n"), ARG("short"), NULL,
	};

	(void)state;
	assert_int_equal(parse_args(&prog, &c, 6, argv, 1), 6);
	assert_int_equal(c.count, 3);
	assert_int_equal(c.mode, 1);
	assert_string_equal(c.name, "short");
}

static void test_args_first_and_rest(void **state)
{
	struct conf c = defaults;
	char *argv[] = {
		ARG("prog"), ARG("stdout"), ARG("--count"), ARG("4"), ARG("extra"), ARG("--count"),
		ARG("5"), NULL,
	};

	(void)state;
	/* From argv[2], as a program does after its subcommand's name. */
	assert_int_equal(parse_args(&prog, &c, 7, argv, 2), 4);
	assert_int_equal(c.count, 4);
	/* Nothing but options: argc. */
	assert_int_equal(parse_args(&prog, &c, 4, argv, 2), 4);
	/* No argument at all. */
	assert_int_equal(parse_args(&prog, &c, 1, argv, 1), 1);
	/* "--" ends the options; what follows it is the first non-option. */
	{
		char *dd[] = { ARG("prog"), ARG("-c"), ARG("8"), ARG("--"), ARG("-c"), NULL };

		assert_int_equal(parse_args(&prog, &c, 5, dd, 1), 4);
		assert_int_equal(c.count, 8);
	}
}

static void test_args_refused(void **state)
{
	char *unknown_long[] = { ARG("prog"), ARG("--bogus"), ARG("1"), NULL };
	char *unknown_short[] = { ARG("prog"), ARG("-z"), NULL };
	char *no_value[] = { ARG("prog"), ARG("--count"), NULL };
	char *no_value_short[] = { ARG("prog"), ARG("-c"), NULL };
	char *bad_value[] = { ARG("prog"), ARG("--count"), ARG("many"), NULL };
	char *bad_choice[] = { ARG("prog"), ARG("-m"), ARG("medium"), NULL };
	struct conf c = defaults;
	struct fixture_capture cap;
	char *err;

	OK(fixture_capture_start(&cap, STDERR_FILENO, *state));
	assert_int_equal(parse_args(&prog, &c, 3, unknown_long, 1), -EINVAL);
	assert_int_equal(parse_args(&prog, &c, 2, unknown_short, 1), -EINVAL);
	assert_int_equal(parse_args(&prog, &c, 2, no_value, 1), -EINVAL);
	assert_int_equal(parse_args(&prog, &c, 2, no_value_short, 1), -EINVAL);
	assert_int_equal(parse_args(&prog, &c, 3, bad_value, 1), -EINVAL);
	assert_int_equal(parse_args(&prog, &c, 3, bad_choice, 1), -EINVAL);
	err = fixture_capture_end(&cap);
	assert_non_null(err);
	assert_defaults(&c);
	assert_non_null(strstr(err, "--bogus"));
	assert_non_null(strstr(err, "many"));
	free(err);
}

static void test_args_config_problems(void **state)
{
	struct conf c = defaults;
	char *missing = fixture_path(*state, "missing.conf");
	char *bad = write_conf(*state, "[main]\ncount = 0\n");
	char *argv[] = { ARG("prog"), ARG("--config"), missing, NULL };
	char *argv_bad[] = { ARG("prog"), ARG("--config"), bad, NULL };
	struct options_program with_default = prog;

	assert_non_null(missing);
	assert_non_null(bad);
	/* A config named on the command line must exist. */
	assert_int_equal(parse_args(&prog, &c, 3, argv, 1), -EINVAL);
	assert_int_equal(parse_args(&prog, &c, 3, argv_bad, 1), -EINVAL);
	assert_defaults(&c);
	/* The default config is read when present and skipped when not. */
	with_default.default_config = missing;
	assert_int_equal(parse_args(&with_default, &c, 1, argv, 1), 1);
	assert_defaults(&c);
	OK(fixture_write(*state, "missing.conf", "[main]\ncount = 55\n"));
	assert_int_equal(parse_args(&with_default, &c, 1, argv, 1), 1);
	assert_int_equal(c.count, 55);
	free(missing);
	free(bad);
}

static void test_args_list_flags(void **state)
{
	struct conf c = defaults;
	char *path = write_conf(*state, "[main]\ntags = file1,file2\n");
	char *argv[] = {
		ARG("prog"), ARG("--config"), path, ARG("-t"), ARG("x"), ARG("--tags"), ARG("y"),
		ARG("json"), ARG("-t"), ARG("z"), ARG("--tags"), ARG("0123456789abcdefghij"), NULL,
	};
	struct options_parse p;

	assert_non_null(path);
	options_parse_init(&p, &prog, &c);
	/* The first flag replaces the file's list, the next ones append. */
	assert_int_equal(options_parse_args(&p, 12, argv, 1), 7);
	assert_string_equal(c.tags, "x,y");
	/* Also across a second call, after the subcommand. */
	assert_int_equal(options_parse_flags(&p, 10, argv, 8), 10);
	assert_string_equal(c.tags, "x,y,z");
	assert_int_equal(options_parse_flags(&p, 12, argv, 10), -EINVAL);
	assert_string_equal(c.tags, "x,y,z");
	/* options_parse_args() again starts over from the file. */
	assert_int_equal(options_parse_args(&p, 3, argv, 1), 3);
	assert_string_equal(c.tags, "file1,file2");
	free(path);
}

static void test_args_help_version(void **state)
{
	char *help[] = { ARG("prog"), ARG("--help"), NULL };
	char *version[] = { ARG("prog"), ARG("-V"), NULL };
	struct conf c = defaults;
	struct fixture_capture cap;
	char *out;

	OK(fixture_capture_start(&cap, STDOUT_FILENO, *state));
	assert_int_equal(parse_args(&prog, &c, 2, help, 1), -EAGAIN);
	out = fixture_capture_end(&cap);
	assert_non_null(out);
	assert_non_null(strstr(out, "Usage: test-options [options] THING [options]"));
	assert_non_null(strstr(out, "-c, --count N"));
	assert_non_null(strstr(out, "--long-key N"));
	/* A choice's argument is its names. */
	assert_non_null(strstr(out, "-m, --mode fast|slow|auto"));
	assert_non_null(strstr(out, "[tune] ratio"));
	free(out);

	OK(fixture_capture_start(&cap, STDOUT_FILENO, *state));
	assert_int_equal(parse_args(&prog, &c, 2, version, 1), -EAGAIN);
	out = fixture_capture_end(&cap);
	assert_non_null(out);
	assert_non_null(strstr(out, "test-options "));
	free(out);
	assert_defaults(&c);
}

/* The command line as a program reads it: flags, a subcommand, its flags. */
static void parse_command_line(struct conf *c, int argc, char **argv)
{
	struct options_parse p;
	int next;

	*c = defaults;
	options_parse_init(&p, &prog, c);
	next = options_parse_args(&p, argc, argv, 1);
	assert_true(next > 0 && next < argc);
	assert_int_equal(options_parse_flags(&p, argc, argv, next + 1), argc);
}

/*
 * A reload parses the same command line again, into a fresh copy of the
 * defaults and with the file as it is now: the same flags give the same
 * values, lists included, and nothing carries over from the first parse.
 */
static void test_args_reparse(void **state)
{
	char *path = write_conf(*state, "[main]\ntags = file\ncount = 5\n[tune]\nratio = 0.25\n");
	char *argv[] = {
		ARG("prog"), ARG("--config"), path, ARG("-t"), ARG("a"), ARG("-n"), ARG("cli"),
		ARG("json"), ARG("-t"), ARG("b"), ARG("--tags=c"), NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	struct conf first, again;

	assert_non_null(path);
	parse_command_line(&first, argc, argv);
	parse_command_line(&again, argc, argv);
	assert_string_equal(first.tags, "a,b,c");
	assert_string_equal(first.name, "cli");
	assert_int_equal(first.count, 5);
	assert_true(first.ratio == 0.25);
	assert_string_equal(again.name, first.name);
	assert_int_equal(again.count, first.count);
	assert_true(again.ratio == first.ratio);
	assert_int_equal(again.mode, first.mode);
	assert_string_equal(again.tags, first.tags);
	assert_int_equal(again.long_key_value, first.long_key_value);

	/* The file changed: its new values, and the flags still win. */
	OK(fixture_write(*state, "args.conf", "[main]\ntags = new\nname = file\ncount = 6\n"));
	parse_command_line(&again, argc, argv);
	assert_string_equal(again.tags, "a,b,c");
	assert_string_equal(again.name, "cli");
	assert_int_equal(again.count, 6);
	assert_true(again.ratio == defaults.ratio);
	free(path);
}

/* Two parses at once share nothing: one does not reset the other's lists. */
static void test_parses_independent(void **state)
{
	char *argv[] = { ARG("prog"), ARG("-t"), ARG("a"), ARG("json"), ARG("-t"), ARG("b"), NULL };
	struct conf c1 = defaults, c2 = defaults;
	struct options_parse p1, p2;

	(void)state;
	options_parse_init(&p1, &prog, &c1);
	options_parse_init(&p2, &prog, &c2);
	assert_int_equal(options_parse_args(&p1, 6, argv, 1), 3);
	assert_int_equal(options_parse_args(&p2, 3, argv, 1), 3);
	assert_int_equal(options_parse_flags(&p1, 6, argv, 4), 6);
	assert_string_equal(c1.tags, "a,b");
	assert_string_equal(c2.tags, "a");
	assert_int_equal(options_parse_flags(&p2, 6, argv, 4), 6);
	assert_string_equal(c2.tags, "a,b");
	assert_string_equal(c1.tags, "a,b");
}

/* --- blocks both programs share --------------------------------------- */

/* Two programs' configs, with the shared fields in other places and orders. */
struct agent_like {
	char powercap_root[8];
	double step;
	double timeout;
	unsigned processes;
	char file[40];
	double idle_watts_per_cpu;
	double max_watts_per_cpu;
	char listen[64];
	char web_config[32];
};

struct daemon_like {
	char web_config[32];
	char listen[64];
	int policy;
	double max_watts_per_cpu;
	double idle_watts_per_cpu;
	char file[40];
	double interval;
	double timeout;
	double step;
};

#define OPTIONS_STRUCT struct agent_like
static const struct option_spec agent_like_specs[] = {
	OPT_OUTPUT_STEP(step, 0.01, "seconds between measurements"),
	OPT_OUTPUT_TIMEOUT(timeout, ""),
	OPT_OUTPUT_FILE(file),
	OPT_ESTIMATE(idle_watts_per_cpu, max_watts_per_cpu),
	OPT_PROMETHEUS(listen, web_config),
};
#undef OPTIONS_STRUCT

#define OPTIONS_STRUCT struct daemon_like
static const struct option_spec daemon_like_specs[] = {
	OPT_OUTPUT_STEP(step, 0.05, "exporter: seconds between reports (whole ticks)"),
	OPT_OUTPUT_TIMEOUT(timeout, "exporter: "),
	OPT_OUTPUT_FILE(file),
	OPT_ESTIMATE(idle_watts_per_cpu, max_watts_per_cpu),
	OPT_PROMETHEUS(listen, web_config),
};
#undef OPTIONS_STRUCT

#define NSHARED (sizeof(agent_like_specs) / sizeof(agent_like_specs[0]))

/*
 * A shared block gives the same rows whatever struct it fills: only the
 * offsets differ, and each points at the field of its name. Step and
 * timeout differ where the program says (bound, help).
 */
static void test_shared_blocks(void **state)
{
	static const char *const keys[] = {
		"step", "timeout", "file", "idle_watts_per_cpu", "max_watts_per_cpu", "listen",
		"web_config",
	};
	static const size_t agent_offsets[] = {
		offsetof(struct agent_like, step), offsetof(struct agent_like, timeout),
		offsetof(struct agent_like, file), offsetof(struct agent_like, idle_watts_per_cpu),
		offsetof(struct agent_like, max_watts_per_cpu), offsetof(struct agent_like, listen),
		offsetof(struct agent_like, web_config),
	};
	static const size_t daemon_offsets[] = {
		offsetof(struct daemon_like, step), offsetof(struct daemon_like, timeout),
		offsetof(struct daemon_like, file), offsetof(struct daemon_like, idle_watts_per_cpu),
		offsetof(struct daemon_like, max_watts_per_cpu), offsetof(struct daemon_like, listen),
		offsetof(struct daemon_like, web_config),
	};

	(void)state;
	assert_int_equal(NSHARED, sizeof(daemon_like_specs) / sizeof(daemon_like_specs[0]));
	assert_int_equal(NSHARED, sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < NSHARED; i++) {
		const struct option_spec *a = &agent_like_specs[i], *d = &daemon_like_specs[i];
		bool own_help = !strcmp(a->key, "step") || !strcmp(a->key, "timeout");

		assert_string_equal(a->key, keys[i]);
		assert_string_equal(d->key, keys[i]);
		assert_string_equal(a->section, d->section);
		assert_int_equal(a->short_flag, d->short_flag);
		assert_int_equal(a->type, d->type);
		assert_int_equal(a->size, d->size);
		assert_ptr_equal(a->choices, d->choices);
		if (strcmp(a->key, "step"))
			assert_true(a->min == d->min);
		assert_true(a->max == d->max);
		assert_string_equal(a->arg, d->arg);
		if (!own_help)
			assert_string_equal(a->help, d->help);
		assert_int_equal(a->offset, agent_offsets[i]);
		assert_int_equal(d->offset, daemon_offsets[i]);
	}
	assert_string_equal(agent_like_specs[1].help,
			    "stop after this many seconds (0: run until stopped)");
	assert_string_equal(daemon_like_specs[1].help,
			    "exporter: stop after this many seconds (0: run until stopped)");
	assert_true(agent_like_specs[0].min == 0.01);
	assert_true(daemon_like_specs[0].min == 0.05);
}

/* Both programs take the same values for a shared key, and refuse them alike. */
static void test_shared_blocks_values(void **state)
{
	static const struct {
		const char *value;
		bool ok;
	} cases[] = {
		{ "12.5", true }, { "0", true }, { "10000", true }, { "10000.5", false },
		{ "-1", false }, { "lots", false },
	};
	struct agent_like a = { .idle_watts_per_cpu = 2 };
	struct daemon_like d = { .idle_watts_per_cpu = 2 };
	char why_a[256], why_d[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why_a[0] = why_d[0] = '\0';
		assert_int_equal(options_set(&agent_like_specs[3], &a, cases[i].value, why_a, sizeof(why_a)),
				 cases[i].ok ? 0 : -EINVAL);
		assert_int_equal(options_set(&daemon_like_specs[3], &d, cases[i].value, why_d, sizeof(why_d)),
				 cases[i].ok ? 0 : -EINVAL);
		assert_string_equal(why_a, why_d);
		assert_true(a.idle_watts_per_cpu == d.idle_watts_per_cpu);
	}
	assert_true(a.idle_watts_per_cpu == 10000);
	OK(options_set(&agent_like_specs[2], &a, "out.json", why_a, sizeof(why_a)));
	OK(options_set(&daemon_like_specs[2], &d, "out.json", why_d, sizeof(why_d)));
	assert_string_equal(a.file, "out.json");
	assert_string_equal(d.file, "out.json");
	OK(options_set(&agent_like_specs[5], &a, "[::1]:1", why_a, sizeof(why_a)));
	assert_string_equal(a.listen, "[::1]:1");
	assert_true(a.max_watts_per_cpu == 0 && d.max_watts_per_cpu == 0);
}


struct switches {
	bool on;
	unsigned n;
};

#define OPTIONS_STRUCT struct switches
static const struct option_spec switch_specs[] = {
	OPT_BOOL("main", "containers", 'C', on, "a switch"),
	OPT_UNSIGNED("main", "n", 'n', n, 0, 9, "N", "a number"),
};
#undef OPTIONS_STRUCT

static const struct options_program switch_prog = {
	.name = "test-switch",
	.synopsis = "[options] THING",
	.specs = switch_specs,
	.nspecs = 2,
};

/* A bool flag takes no value; the file says yes or no. */
static void test_bool_flag(void **state)
{
	struct switches c = { 0 };
	struct options_parse p;
	char *argv[] = { ARG("prog"), ARG("--containers"), ARG("-n"), ARG("3"), ARG("json"), NULL };
	char *argv2[] = { ARG("prog"), ARG("-Cn4"), ARG("json"), NULL };
	char why[128];

	(void)state;
	options_parse_init(&p, &switch_prog, &c);
	assert_int_equal(options_parse_flags(&p, 5, argv, 1), 4);
	assert_true(c.on);
	assert_int_equal(c.n, 3);
	c.on = false;
	assert_int_equal(options_parse_flags(&p, 3, argv2, 1), 2);
	assert_true(c.on);
	assert_int_equal(c.n, 4);
	OK(options_set(&switch_specs[0], &c, "no", why, sizeof(why)));
	assert_false(c.on);
	OK(options_set(&switch_specs[0], &c, "true", why, sizeof(why)));
	assert_true(c.on);
	assert_int_equal(options_set(&switch_specs[0], &c, "maybe", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "'maybe' is not yes or no for 'containers'");
	assert_true(c.on);
}

/* A program with an exporter-like scope: rows whose keys start "r_". */
struct scoped {
	char name[16];
	char r_name[16];
	char r_address[32];
	char kinds[32];
};

#define OPTIONS_STRUCT struct scoped
static const struct option_spec scoped_specs[] = {
	OPT_STRING("main", "name", 0, name, "NAME", "the program's name"),
	OPT_STRING("r", "r_name", 0, r_name, "NAME", "r: a name"),
	OPT_STRING("r", "r_address", 0, r_address, "ADDR", "r: an address"),
	OPT_LIST_CHOICES("main", "kinds", 0, kinds, modes, "kinds"),
};
#undef OPTIONS_STRUCT

static const struct options_program scoped_prog = {
	.name = "test-scoped",
	.synopsis = "[options]",
	.specs = scoped_specs,
	.nspecs = sizeof(scoped_specs) / sizeof(scoped_specs[0]),
};

/*
 * In a scope, a row's flag may drop the prefix, unless that would take a
 * flag the program has; out of it, the short form is unknown.
 */
static void test_args_scope(void **state)
{
	struct scoped c = { .name = "" };
	char *argv[] = {
		ARG("prog"), ARG("--address"), ARG("a:1"), ARG("--name"), ARG("prog-name"),
		ARG("--r-name"), ARG("r-name"), NULL,
	};
	struct options_parse p;

	(void)state;
	options_parse_init(&p, &scoped_prog, &c);
	assert_int_equal(options_parse_flags(&p, 7, argv, 1), -EINVAL);
	p.scope = "r_";
	assert_int_equal(options_parse_flags(&p, 7, argv, 1), 7);
	assert_string_equal(c.r_address, "a:1");
	assert_string_equal(c.name, "prog-name");
	assert_string_equal(c.r_name, "r-name");
}

/* A list of choices: each item is checked, from a value or an appending flag. */
static void test_list_choices(void **state)
{
	const struct option_spec *kinds = options_find(&scoped_prog, "main", "kinds");
	struct scoped c = { .name = "" };
	char *argv[] = { ARG("prog"), ARG("--kinds"), ARG("fast"), ARG("--kinds"), ARG("warp"), NULL };
	struct options_parse p;
	char why[256];

	(void)state;
	assert_non_null(kinds);
	OK(options_set(kinds, &c, "fast,slow", why, sizeof(why)));
	assert_string_equal(c.kinds, "fast,slow");
	assert_int_equal(options_set(kinds, &c, "fast,warp", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "'warp' is not a valid 'kinds' (one of fast slow auto)");
	assert_string_equal(c.kinds, "fast,slow");
	options_parse_init(&p, &scoped_prog, &c);
	assert_int_equal(options_parse_flags(&p, 5, argv, 1), -EINVAL);
	assert_string_equal(c.kinds, "fast");
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup_dir, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_bool_flag),
		cmocka_unit_test(test_set_string),
		cmocka_unit_test(test_set_unsigned),
		cmocka_unit_test(test_set_double),
		cmocka_unit_test(test_set_choice),
		cmocka_unit_test(test_set_list),
		T(test_load_good),
		T(test_load_empty_file),
		T(test_load_unknown_section),
		T(test_load_unknown_key),
		T(test_load_bad_value),
		T(test_load_malformed),
		T(test_load_first_problem),
		T(test_load_indented),
		T(test_load_long_line),
		T(test_load_missing),
		T(test_args_override_file),
		T(test_args_config_equals),
		T(test_args_short_flags),
		T(test_args_first_and_rest),
		T(test_args_refused),
		T(test_args_config_problems),
		T(test_args_list_flags),
		T(test_args_help_version),
		T(test_args_reparse),
		cmocka_unit_test(test_parses_independent),
		cmocka_unit_test(test_shared_blocks),
		cmocka_unit_test(test_shared_blocks_values),
		T(test_args_scope),
		cmocka_unit_test(test_list_choices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
