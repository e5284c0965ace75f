// SPDX-License-Identifier: MIT
/* Exporter registry and the JSON helpers the exporters share. */
#include "common/exporter_i.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/exporter_module_i.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/web_config.h"
#include "common/utf8_i.h"

const char *const exporter_kind_names[] = {
	[EXPORTER_STDOUT] = "stdout",
	[EXPORTER_JSON] = "json",
	[EXPORTER_PROMETHEUS] = "prometheus",
	[EXPORTER_PROMETHEUS_PUSH] = "prometheus-push",
	[EXPORTER_RIEMANN] = "riemann",
	[EXPORTER_WARP10] = "warp10",
	[EXPORTER_KIND_COUNT] = NULL,
};

/* The key prefix of an exporter's own options, which its flags may drop. */
static const char *const exporter_scopes[] = {
	[EXPORTER_PROMETHEUS_PUSH] = "push_",
	[EXPORTER_RIEMANN] = "riemann_",
	[EXPORTER_WARP10] = "warp10_",
	[EXPORTER_KIND_COUNT] = NULL,
};

int exporter_kind_of(const char *name)
{
	for (int i = 0; exporter_kind_names[i]; i++)
		if (!strcmp(name, exporter_kind_names[i]))
			return i;
	return -1;
}

bool exporter_net_options_same(const struct exporter_net_options *a,
			       const struct exporter_net_options *b)
{
	/* field by field: the struct has padding that assignment need not copy */
#define SAME_TEXT(f) (!strcmp(a->f, b->f))
	return a->queue == b->queue && SAME_TEXT(push_url) && SAME_TEXT(push_job) &&
	       SAME_TEXT(push_instance) && SAME_TEXT(push_grouping) && a->push_insecure == b->push_insecure &&
	       SAME_TEXT(push_ca_file) && SAME_TEXT(push_username) && SAME_TEXT(push_password_file) &&
	       a->push_delete == b->push_delete && SAME_TEXT(riemann_address) &&
	       a->riemann_tls == b->riemann_tls && SAME_TEXT(riemann_ca_file) &&
	       SAME_TEXT(riemann_cert_file) && SAME_TEXT(riemann_key_file) && SAME_TEXT(riemann_host) &&
	       SAME_TEXT(riemann_tags) && SAME_TEXT(riemann_attributes) &&
	       a->riemann_ttl == b->riemann_ttl && SAME_TEXT(warp10_url) &&
	       SAME_TEXT(warp10_token_file) && SAME_TEXT(warp10_labels) &&
	       a->warp10_insecure == b->warp10_insecure && SAME_TEXT(warp10_ca_file);
#undef SAME_TEXT
}

bool exporter_list_has(const char *names, enum exporter_kind kind)
{
	const char *name = exporter_kind_names[kind];
	size_t len = strlen(name);

	for (const char *item = names; *item; ) {
		size_t n = strcspn(item, ",");

		if (n == len && !strncmp(item, name, n))
			return true;
		item += n + (item[n] == ',');
	}
	return false;
}

/* The network exporters come from their module (exporter_module_i.h). */
static const struct exporter_ops *const exporter_backends[] = {
	[EXPORTER_STDOUT] = &stdout_exporter_ops,
	[EXPORTER_JSON] = &json_exporter_ops,
	[EXPORTER_PROMETHEUS] = &prometheus_exporter_ops,
};

struct exporter *exporter_open(enum exporter_kind kind, const struct exporter_config *cfg)
{
	struct exporter *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->kind = kind;
	e->ops = (size_t)kind < sizeof(exporter_backends) / sizeof(exporter_backends[0]) &&
		 exporter_backends[kind] ? exporter_backends[kind] : exporter_module_ops(kind);
	if (!e->ops) {
		free(e);
		return NULL;
	}
	e->out = stdout;
	if (e->ops->open && e->ops->open(e, cfg) < 0) {
		free(e);
		return NULL;
	}
	return e;
}

int exporter_reopen(struct exporter *e, const struct exporter_config *cfg)
{
	return e->ops->reopen ? e->ops->reopen(e, cfg) : 0;
}

void exporter_free(struct exporter *e)
{
	if (!e)
		return;
	if (e->ops->close)
		e->ops->close(e);
	if (e->own_out)
		fclose(e->out);
	else
		fflush(e->out);
	free(e);
}

/* Whether @s has an exporter of @kind already. */
static bool exporter_list_has_before(const struct exporter_set *s, int kind)
{
	for (size_t i = 0; i < s->n; i++)
		if ((int)s->members[i]->kind == kind)
			return true;
	return false;
}

/* Each of the comma-separated listen addresses of @list parses. */
static int check_listen(const char *list)
{
	char *copy = strdup(list), *save = NULL;
	int ret = copy ? 0 : log_error(-ENOMEM, "out of memory");
	int n = 0;

	for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; item && ret == 0;
	     item = strtok_r(NULL, ",", &save)) {
		struct listen_address addrs[16];
		int got;

		while (*item == ' ' || *item == '\t')
			item++;
		for (size_t len = strlen(item); len && (item[len - 1] == ' ' || item[len - 1] == '\t'); len--)
			item[len - 1] = '\0';
		if (!*item)
			continue;
		n++;
		got = prometheus_resolve_listen(item, addrs, 16);
		if (got == -ENOENT)
			ret = log_error(-EINVAL, "prometheus: listen address '%s': the name does not resolve", item);
		else if (got < 0)
			ret = log_error(-EINVAL, "prometheus: bad listen address '%s' (want ADDR:PORT, [ADDR]:PORT "
					"for IPv6, NAME:PORT or :PORT, e.g. 127.0.0.1:9811, [::1]:9811, "
					"localhost:9811 or :9811)", item);
	}
	free(copy);
	if (ret == 0 && n == 0)
		ret = log_error(-EINVAL, "prometheus: no listen address in '%s'", list);
	return ret;
}

/*
 * The comma-separated @names: call @fn with each one's kind, in order,
 * until it returns non-zero (returned). An unknown name is -EINVAL, logged;
 * stdout and json together need json's --file (their lines would
 * interleave).
 */
static int each_exporter(const char *names, const struct exporter_config *cfg,
			 int (*fn)(int kind, void *arg), void *arg)
{
	if (exporter_list_has(names, EXPORTER_STDOUT) && exporter_list_has(names, EXPORTER_JSON) &&
	    !(cfg->file && cfg->file[0]))
		return log_error(-EINVAL, "stdout and json would both write to standard output: "
				 "give json a --file");
	for (const char *item = names; *item; ) {
		size_t n = strcspn(item, ",");
		char name[32];
		int kind, ret;

		snprintf(name, sizeof(name), "%.*s", (int)n, item);
		item += n + (item[n] == ',');
		if (!n)
			continue;
		kind = exporter_kind_of(name);
		if (kind < 0)
			return log_error(-EINVAL, "unknown exporter '%s'", name);
		if (fn && (ret = fn(kind, arg)) != 0)
			return ret;
	}
	return 0;
}

int exporter_set_check(const char *names, const struct exporter_config *cfg)
{
	if (each_exporter(names, cfg, NULL, NULL) < 0)
		return -EINVAL;
	if (!exporter_list_has(names, EXPORTER_PROMETHEUS))
		return 0;
	if (cfg->listen && cfg->listen[0] && check_listen(cfg->listen) < 0)
		return -EINVAL;
	if (cfg->web_config && cfg->web_config[0]) {
		struct web_config wc;
		int ret = web_config_load(&wc, cfg->web_config);

		if (ret < 0)
			return -EINVAL;
		web_config_release(&wc);
	}
	return 0;
}

struct set_open {
	struct exporter_set *s;
	const struct exporter_config *cfg;
};

static int open_one(int kind, void *arg)
{
	struct set_open *o = arg;

	if (exporter_list_has_before(o->s, kind))
		return 0;
	o->s->members[o->s->n] = exporter_open(kind, o->cfg);
	if (!o->s->members[o->s->n])
		return -EINVAL;
	o->s->n++;
	return 0;
}

int exporter_set_open(struct exporter_set *s, const char *names, const struct exporter_config *cfg)
{
	struct set_open o = { .s = s, .cfg = cfg };
	int ret;

	memset(s, 0, sizeof(*s));
	ret = each_exporter(names, cfg, open_one, &o);
	if (ret < 0)
		exporter_set_release(s);
	return ret;
}

int exporter_set_write(struct exporter_set *s, const struct report *r)
{
	struct report with = *r;
	int ret = 0;

	with.exporters = s->counts;
	with.nexporters = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct exporter *e = s->members[i];
		struct report_exporter *c = &s->counts[with.nexporters];

		if (!e->outbox)
			continue;
		c->name = e->ops->name;
		outbox_counts(e->outbox, &c->dropped, &c->sent);
		with.nexporters++;
	}
	for (size_t i = 0; i < s->n; i++) {
		int one = exporter_write(s->members[i], &with);

		if (one < 0 && ret == 0)
			ret = one;
	}
	return ret;
}

int exporter_set_reopen(struct exporter_set *s, const struct exporter_config *cfg)
{
	int ret = 0;

	for (size_t i = 0; i < s->n; i++) {
		int one = exporter_reopen(s->members[i], cfg);

		if (one < 0 && ret == 0)
			ret = one;
	}
	return ret;
}

void exporter_set_release(struct exporter_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		exporter_free(s->members[i]);
	s->n = 0;
}

int exporter_parse_args(struct options_parse *p, int argc, char **argv, int at,
			char *names, size_t size)
{
	size_t len = 0;

	while (at < argc) {
		int kind = exporter_kind_of(argv[at]), next;
		size_t n = strlen(argv[at]);

		if (kind < 0) {
			char list[128];
			size_t l = 0;

			for (int i = 0; exporter_kind_names[i] && l < sizeof(list); i++)
				l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "",
						      exporter_kind_names[i]);
			return log_error(-EINVAL, "unknown exporter '%s' (%s)", argv[at], list);
		}
		if (len && exporter_list_has(names, kind))
			return log_error(-EINVAL, "exporter '%s' named twice", argv[at]);
		if (len + 1 + n >= size)
			return log_error(-EINVAL, "too many exporters");
		if (len)
			names[len++] = ',';
		memcpy(names + len, argv[at], n + 1);
		len += n;
		p->scope = exporter_scopes[kind];
		next = options_parse_flags(p, argc, argv, at + 1);
		p->scope = NULL;
		if (next == -EAGAIN)
			return 1;
		if (next < 0)
			return -EINVAL;
		at = next;
	}
	return 0;
}

void json_write_string(FILE *out, const char *s)
{
	putc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n = utf8_sequence_len(p);

		/* JSON is UTF-8: a byte that is not (a name from /proc) becomes U+FFFD */
		if (n == 0) {
			fputs(UTF8_REPLACEMENT, out);
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, out);
			p += n - 1;
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				putc(*p, out);
		}
	}
	putc('"', out);
}

void json_write_number(FILE *out, double v, int decimals)
{
	if (isfinite(v))
		fprintf(out, "%.*f", decimals, v);
	else
		fputs("null", out);
}
