// SPDX-License-Identifier: MIT
/* INI files (inih) and command-line flags from one table of option specs. */
#include "common/options.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/version.h"

#define FLAG_MAX 64
/* a default as text: a path at most */
#define PATH_MAX_TEXT 4096

const char *const options_no_yes[] = { "no", "yes", NULL };

void options_parse_init(struct options_parse *p, const struct options_program *prog,
			void *target)
{
	*p = (struct options_parse){ .prog = prog, .target = target };
}

/* Each item of the list @value is one of @spec's choices. */
static int list_check(const struct option_spec *spec, const char *value, char *why, size_t whylen)
{
	for (const char *item = value; *item; ) {
		size_t n = strcspn(item, ","), len;
		bool found = false;

		for (int i = 0; spec->choices[i] && !found; i++)
			found = strlen(spec->choices[i]) == n && !strncmp(spec->choices[i], item, n);
		if (!found && n) {
			len = (size_t)snprintf(why, whylen, "'%.*s' is not a valid '%s' (one of", (int)n, item, spec->key);
			for (int i = 0; spec->choices[i] && len < whylen; i++)
				len += (size_t)snprintf(why + len, whylen - len, " %s", spec->choices[i]);
			if (len < whylen)
				snprintf(why + len, whylen - len, ")");
			return -EINVAL;
		}
		item += n + (item[n] == ',');
	}
	return 0;
}

/* Append ",@value" to the list option @spec in @target. */
static int list_append(const struct option_spec *spec, void *target, const char *value,
		       char *why, size_t whylen)
{
	char *p = (char *)target + spec->offset;
	size_t len = strlen(p);

	if (!len)
		return options_set(spec, target, value, why, whylen);
	if (spec->choices && list_check(spec, value, why, whylen) < 0)
		return -EINVAL;
	if (len + 1 + strlen(value) >= spec->size) {
		snprintf(why, whylen, "values of '%s' are too long together (at most %zu bytes)",
			 spec->key, spec->size - 1);
		return -EINVAL;
	}
	p[len] = ',';
	strcpy(p + len + 1, value);
	return 0;
}

int options_set(const struct option_spec *spec, void *target, const char *value,
		char *why, size_t whylen)
{
	char *p = (char *)target + spec->offset;
	char *end;

	switch (spec->type) {
	case OPTION_LIST:
		if (spec->choices && list_check(spec, value, why, whylen) < 0)
			return -EINVAL;
		/* fall through */
	case OPTION_STRING:
		if (strlen(value) >= spec->size) {
			snprintf(why, whylen, "value of '%s' is too long (at most %zu bytes)",
				 spec->key, spec->size - 1);
			return -EINVAL;
		}
		strcpy(p, value);
		return 0;
	case OPTION_UNSIGNED:
	case OPTION_DOUBLE: {
		double v;

		errno = 0;
		v = strtod(value, &end);
		if (errno || end == value || *end != '\0' || isnan(v) ||
		    (spec->type == OPTION_UNSIGNED && v != floor(v))) {
			snprintf(why, whylen, "'%s' is not %s for '%s'", value,
				 spec->type == OPTION_UNSIGNED ? "a whole number" : "a number", spec->key);
			return -EINVAL;
		}
		if (v < spec->min || v > spec->max) {
			snprintf(why, whylen, "'%s' is out of range for '%s' (%g to %g)", value,
				 spec->key, spec->min, spec->max);
			return -EINVAL;
		}
		if (spec->type == OPTION_UNSIGNED)
			*(unsigned *)p = (unsigned)v;
		else
			*(double *)p = v;
		return 0;
	}
	case OPTION_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1")) {
			*(bool *)p = true;
			return 0;
		}
		if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0")) {
			*(bool *)p = false;
			return 0;
		}
		snprintf(why, whylen, "'%s' is not yes or no for '%s'", value, spec->key);
		return -EINVAL;
	case OPTION_CHOICE:
		for (int i = 0; spec->choices[i]; i++)
			if (!strcmp(spec->choices[i], value)) {
				*(int *)p = i;
				return 0;
			}
		{
			size_t len = (size_t)snprintf(why, whylen, "'%s' is not a valid '%s' (one of", value, spec->key);

			for (int i = 0; spec->choices[i] && len < whylen; i++)
				len += (size_t)snprintf(why + len, whylen - len, " %s", spec->choices[i]);
			if (len < whylen)
				snprintf(why + len, whylen - len, ")");
		}
		return -EINVAL;
	}
	snprintf(why, whylen, "internal: bad option type");
	return -EINVAL;
}

const struct option_spec *options_find(const struct options_program *prog,
				       const char *section, const char *key)
{
	for (size_t i = 0; i < prog->nspecs; i++)
		if (!strcmp(prog->specs[i].section, section) && !strcmp(prog->specs[i].key, key))
			return &prog->specs[i];
	return NULL;
}

struct ini_load {
	const struct options_program *prog;
	void *target;
	struct ini_reader r;
};

char *ini_reader_line(char *str, int num, void *stream)
{
	struct ini_reader *r = stream;
	ssize_t len = getline(&r->buf, &r->bufsize, r->file);
	const char *start;

	if (len < 0 || r->error_line)
		return NULL;
	r->line++;
	while (len > 0 && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r'))
		r->buf[--len] = '\0';
	start = r->buf + strspn(r->buf, " \t");
	if (strlen(start) + 2 > (size_t)num) {
		snprintf(r->why, sizeof(r->why), "line longer than %d characters", num - 2);
		r->error_line = r->line;
		return NULL;
	}
	snprintf(str, (size_t)num, "%s\n", start);
	return str;
}

int ini_reader_parse(struct ini_reader *r, const char *path, ini_handler handler, void *user)
{
	int ret;

	r->file = fopen(path, "re");
	if (!r->file)
		return -errno;
	ret = ini_parse_stream(ini_reader_line, r, handler, user);
	if (ret == 0 && ferror(r->file))
		ret = -EIO;
	fclose(r->file);
	r->file = NULL;
	free(r->buf);
	r->buf = NULL;
	if (ret < 0)
		return ret == -1 ? -ENOMEM : ret;
	if (r->error_line && (ret == 0 || (unsigned)ret >= r->error_line))
		return (int)r->error_line;
	if (ret > 0) {
		snprintf(r->why, sizeof(r->why), "%s", "");
		r->error_line = (unsigned)ret;
	}
	return ret;
}

void ini_reader_refuse(struct ini_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->error_line)
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	r->error_line = r->line;
}

static int set_from_file(void *user, const char *section, const char *key, const char *value)
{
	struct ini_load *ld = user;
	const struct option_spec *spec;
	bool known_section = false;
	char why[256];

	if (ld->r.error_line)
		return 1;
	for (size_t i = 0; i < ld->prog->nspecs; i++)
		known_section |= !strcmp(ld->prog->specs[i].section, section);
	if (!known_section)
		ini_reader_refuse(&ld->r, "unknown section [%s]", section);
	else if (!(spec = options_find(ld->prog, section, key)))
		ini_reader_refuse(&ld->r, "unknown key '%s' in section [%s]", key, section);
	else if (options_set(spec, ld->target, value, why, sizeof(why)) < 0)
		ini_reader_refuse(&ld->r, "%s", why);
	else
		return 1;
	return 0;
}

int options_load_file(const struct options_program *prog, void *target, const char *path)
{
	struct ini_load ld = { .prog = prog, .target = target };
	int ret = ini_reader_parse(&ld.r, path, set_from_file, &ld);

	if (ret == -ENOENT)
		return -ENOENT;
	if (ret < 0)
		return log_error(-EINVAL, "config '%s': cannot be read: %s", path, strerror(-ret));
	if (ret == 0)
		return 0;
	return log_error(-EINVAL, "%s:%d: %s", path, ret,
			 ld.r.why[0] ? ld.r.why : "not a '[section]', 'key = value' or comment line");
}

static void flag_name(const char *key, char *buf)
{
	size_t i;

	for (i = 0; key[i] && i < FLAG_MAX - 1; i++)
		buf[i] = key[i] == '_' ? '-' : key[i];
	buf[i] = '\0';
}

/* Whether @name is one of the first @n flag names, or a flag every program has. */
static bool flag_taken(char (*names)[FLAG_MAX], size_t n, const char *name)
{
	static const char *const common[] = { "config", "help", "version", "verbose", "quiet", "help-man" };

	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (!strcmp(common[i], name))
			return true;
	return false;
}

enum { FLAG_CONFIG = 1000, FLAG_HELP, FLAG_VERSION, FLAG_VERBOSE, FLAG_QUIET, FLAG_HELP_MAN, FLAG_SPEC };

int options_parse_tail(struct options_parse *p, int argc, char **argv, int first)
{
	int next = options_parse_flags(p, argc, argv, first);

	if (next == -EAGAIN)
		return 1;
	if (next < 0)
		return -EINVAL;
	if (next < argc)
		return log_error(-EINVAL, "unexpected argument '%s' (see --help)", argv[next]);
	return 0;
}

int options_parse_flags(struct options_parse *p, int argc, char **argv, int first)
{
	const struct options_program *prog = p->prog;
	struct option longopts[2 * OPTIONS_MAX + 7];
	char names[2 * OPTIONS_MAX][FLAG_MAX];
	size_t nlong = prog->nspecs;
	char shortopts[2 * OPTIONS_MAX + 8];
	size_t ns = 0;
	int c;

	if (prog->nspecs > OPTIONS_MAX)
		return log_error(-EINVAL, "internal: too many options");

	shortopts[ns++] = '+';
	shortopts[ns++] = ':';
	for (size_t i = 0; i < prog->nspecs; i++) {
		flag_name(prog->specs[i].key, names[i]);
		bool flag_only = prog->specs[i].type == OPTION_BOOL;

		longopts[i] = (struct option){ names[i], flag_only ? no_argument : required_argument,
					       NULL, FLAG_SPEC + (int)i };
		if (prog->specs[i].short_flag) {
			shortopts[ns++] = prog->specs[i].short_flag;
			if (!flag_only)
				shortopts[ns++] = ':';
		}
	}
	/*
	 * In a scope, its rows' flags without the prefix too, unless the
	 * program has a flag of that name: the program's keeps its meaning
	 * (getopt would take the first exact match, silently).
	 */
	for (size_t i = 0; p->scope && i < prog->nspecs; i++) {
		size_t n = strlen(p->scope);

		if (strncmp(prog->specs[i].key, p->scope, n) || !prog->specs[i].key[n])
			continue;
		flag_name(prog->specs[i].key + n, names[nlong]);
		if (flag_taken(names, nlong, names[nlong]))
			continue;
		longopts[nlong] = (struct option){ names[nlong], required_argument, NULL, FLAG_SPEC + (int)i };
		nlong++;
	}
	memcpy(shortopts + ns, "hVvq", 5);
	longopts[nlong + 0] = (struct option){ "config", required_argument, NULL, FLAG_CONFIG };
	longopts[nlong + 1] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[nlong + 2] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[nlong + 3] = (struct option){ "verbose", no_argument, NULL, 'v' };
	longopts[nlong + 4] = (struct option){ "quiet", no_argument, NULL, 'q' };
	longopts[nlong + 5] = (struct option){ "help-man", required_argument, NULL, FLAG_HELP_MAN };
	longopts[nlong + 6] = (struct option){ NULL, 0, NULL, 0 };

	/* getopt counts from argv[0]: hand it the slice with a dummy name. */
	optind = 0;
	opterr = 0;
	argv += first - 1;
	argc -= first - 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct option_spec *spec = NULL;
		char why[256];

		switch (c) {
		case FLAG_CONFIG:
			continue;  /* loaded before any flag */
		case 'h':
			options_usage(prog);
			return -EAGAIN;
		case 'V':
			printf("%s %s\n", prog->name, VPOWERCAP_VERSION);
			return -EAGAIN;
		case FLAG_HELP_MAN:
			if (options_man(prog, optarg) < 0)
				return log_error(-EINVAL, "--help-man: no manual section '%s' (5 or 8)", optarg);
			return -EAGAIN;
		case 'v':
			log_set_level(LOG_LEVEL_DEBUG);
			continue;
		case 'q':
			log_set_level(LOG_LEVEL_WARNING);
			continue;
		case ':':
			return log_error(-EINVAL, "option '%s' needs a value (see --help)", argv[optind - 1]);
		case '?':
			return log_error(-EINVAL, "unknown option '%s' (see --help)", argv[optind - 1]);
		default:
			break;
		}
		if (c >= FLAG_SPEC) {
			spec = &prog->specs[c - FLAG_SPEC];
		} else {
			for (size_t i = 0; i < prog->nspecs; i++)
				if (prog->specs[i].short_flag == c)
					spec = &prog->specs[i];
		}
		if (!spec)
			return log_error(-EINVAL, "unknown option '%s' (see --help)", argv[optind - 1]);
		if (spec->type == OPTION_LIST && p->list_flagged[spec - prog->specs]) {
			if (list_append(spec, p->target, optarg, why, sizeof(why)) < 0)
				return log_error(-EINVAL, "%s", why);
			continue;
		}
		if (options_set(spec, p->target, spec->type == OPTION_BOOL ? "yes" : optarg, why,
				sizeof(why)) < 0)
			return log_error(-EINVAL, "%s", why);
		if (spec->type == OPTION_LIST)
			p->list_flagged[spec - prog->specs] = true;
	}
	return optind + first - 1;
}

int options_parse_args(struct options_parse *p, int argc, char **argv, int first)
{
	const struct options_program *prog = p->prog;
	const char *config = NULL;
	int ret;

	/* A new parse: the file's lists are replaced by the first flag again. */
	memset(p->list_flagged, 0, sizeof(p->list_flagged));
	/* --config comes first whatever its place, so that flags override it. */
	for (int i = first; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			config = argv[i] + 9;
	}
	if (config) {
		ret = options_load_file(prog, p->target, config);
		if (ret == -ENOENT)
			return log_error(-EINVAL, "config '%s' does not exist", config);
		if (ret < 0)
			return ret;
	} else if (prog->default_config) {
		ret = options_load_file(prog, p->target, prog->default_config);
		if (ret < 0 && ret != -ENOENT)
			return ret;
	}
	return options_parse_flags(p, argc, argv, first);
}

/* The argument's name in --help: a choice's is its names, "a|b|c". */
static const char *arg_name(const struct option_spec *s, char *buf, size_t size)
{
	size_t len = 0;

	if (s->type == OPTION_BOOL)
		return "";
	if (s->arg || !s->choices)
		return s->arg ? s->arg : "VALUE";
	buf[0] = '\0';
	for (int i = 0; s->choices[i] && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "|" : "", s->choices[i]);
	return buf;
}

/* @spec's value in @target as text, as the config file would hold it. */
static void value_text(const struct option_spec *s, const void *target, char *buf, size_t size)
{
	const char *v = (const char *)target + s->offset;

	switch (s->type) {
	case OPTION_STRING:
	case OPTION_LIST:
		snprintf(buf, size, "%s", v);
		break;
	case OPTION_UNSIGNED:
		snprintf(buf, size, "%u", *(const unsigned *)(const void *)v);
		break;
	case OPTION_DOUBLE:
		snprintf(buf, size, "%g", *(const double *)(const void *)v);
		break;
	case OPTION_BOOL:
		snprintf(buf, size, "%s", *(const bool *)(const void *)v ? "yes" : "no");
		break;
	case OPTION_CHOICE: {
		int i = *(const int *)(const void *)v;

		snprintf(buf, size, "%s", i >= 0 ? s->choices[i] : "");
		break;
	}
	}
}

/* The default of @s in @buf; false when it has none to show (empty). */
static bool default_text(const struct options_program *prog, const struct option_spec *s,
			 char *buf, size_t size)
{
	if (!prog->defaults)
		return false;
	value_text(s, prog->defaults, buf, size);
	return buf[0] != '\0';
}

/* The options every program has, apart from its table's. */
static const struct {
	const char *flags, *roff, *help;
} common_flags[] = {
	{ "    --config FILE", "\\fB\\-\\-config\\fR \\fIFILE\\fR",
	  "read FILE instead of the default config" },
	{ "-v, --verbose", "\\fB\\-v\\fR, \\fB\\-\\-verbose\\fR", "log debug messages" },
	{ "-q, --quiet", "\\fB\\-q\\fR, \\fB\\-\\-quiet\\fR", "log warnings and errors only" },
	{ "-h, --help", "\\fB\\-h\\fR, \\fB\\-\\-help\\fR", "show this help" },
	{ "-V, --version", "\\fB\\-V\\fR, \\fB\\-\\-version\\fR", "show the version" },
};

void options_usage(const struct options_program *prog)
{
	printf("Usage: %s %s\n\nOptions (flag, or key in [section] of %s):\n",
	       prog->name, prog->synopsis, prog->default_config ? prog->default_config : "the config file");
	for (size_t i = 0; i < prog->nspecs; i++) {
		const struct option_spec *s = &prog->specs[i];
		char flag[FLAG_MAX], left[128], choices[96], def[PATH_MAX_TEXT];
		const char *arg = arg_name(s, choices, sizeof(choices));

		flag_name(s->key, flag);
		if (s->short_flag)
			snprintf(left, sizeof(left), "-%c, --%s %s", s->short_flag, flag, arg);
		else
			snprintf(left, sizeof(left), "    --%s %s", flag, arg);
		printf("  %-34s %s", left, s->help);
		if (default_text(prog, s, def, sizeof(def)))
			printf(" (default: %s)", def);
		printf(" [%s] %s\n", s->section, s->key);
	}
	for (size_t i = 0; i < sizeof(common_flags) / sizeof(common_flags[0]); i++)
		printf("  %-34s %s\n", common_flags[i].flags, common_flags[i].help);
}

/* @text for roff: hyphens as \-, backslashes as \e. */
static void roff_put(const char *text)
{
	for (; *text; text++) {
		if (*text == '-')
			fputs("\\-", stdout);
		else if (*text == '\\')
			fputs("\\e", stdout);
		else
			putchar(*text);
	}
}

/* The argument in roff: italic, or a choice's names in bold. */
static void roff_arg(const struct option_spec *s, bool as_flag)
{
	char choices[96];

	if (s->type == OPTION_BOOL) {
		if (!as_flag)
			fputs("\\fByes\\fR|\\fBno\\fR", stdout);
		return;
	}
	if (s->arg || !s->choices) {
		fputs("\\fI", stdout);
		roff_put(arg_name(s, choices, sizeof(choices)));
		fputs("\\fR", stdout);
		return;
	}
	for (int i = 0; s->choices[i]; i++) {
		fputs(i ? "|\\fB" : "\\fB", stdout);
		roff_put(s->choices[i]);
		fputs("\\fR", stdout);
	}
}

/* The help, the default and the other name of one option, in roff. */
static void roff_body(const struct options_program *prog, const struct option_spec *s,
		      bool as_flag)
{
	char flag[FLAG_MAX], def[PATH_MAX_TEXT];

	roff_put(s->help);
	fputs(".\n", stdout);
	if (default_text(prog, s, def, sizeof(def))) {
		fputs("Default: \\fB", stdout);
		roff_put(def);
		fputs("\\fR.\n", stdout);
	}
	if (as_flag) {
		printf("Config: \\fB%s\\fR in \\fB[%s]\\fR.\n", s->key, s->section);
	} else {
		flag_name(s->key, flag);
		fputs("Flag: \\fB\\-\\-", stdout);
		roff_put(flag);
		fputs("\\fR", stdout);
		if (s->short_flag)
			printf(" or \\fB\\-%c\\fR", s->short_flag);
		fputs(".\n", stdout);
	}
}

int options_man(const struct options_program *prog, const char *section)
{
	const char *last = NULL;
	char flag[FLAG_MAX];

	if (strcmp(section, "8") && strcmp(section, "5"))
		return -EINVAL;
	for (size_t i = 0; i < prog->nspecs; i++) {
		const struct option_spec *s = &prog->specs[i];

		if (section[0] == '5' && (!last || strcmp(last, s->section))) {
			printf(".SS [%s]\n", s->section);
			last = s->section;
		}
		fputs(".TP\n", stdout);
		if (section[0] == '8') {
			if (s->short_flag)
				printf("\\fB\\-%c\\fR, ", s->short_flag);
			flag_name(s->key, flag);
			fputs("\\fB\\-\\-", stdout);
			roff_put(flag);
			fputs("\\fR ", stdout);
		} else {
			printf("\\fB%s\\fR = ", s->key);
		}
		roff_arg(s, section[0] == '8');
		putchar('\n');
		roff_body(prog, s, section[0] == '8');
	}
	if (section[0] == '8') {
		for (size_t i = 0; i < sizeof(common_flags) / sizeof(common_flags[0]); i++)
			printf(".TP\n%s\n%s.\n", common_flags[i].roff, common_flags[i].help);
	}
	return 0;
}
