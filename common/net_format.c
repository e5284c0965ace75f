// SPDX-License-Identifier: MIT
/* The network exporters' texts: Pushgateway group URLs, Warp 10 GTS lines. */
#include "common/net_format.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/series.h"

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

void percent_write(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p))
			putc(*p, out);
		else
			fprintf(out, "%%%02X", *p);
	}
}

void base64url_write(FILE *out, const unsigned char *in, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (unsigned)in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		putc(alphabet[(v >> 18) & 63], out);
		putc(alphabet[(v >> 12) & 63], out);
		putc(n > 1 ? alphabet[(v >> 6) & 63] : '=', out);
		putc(n > 2 ? alphabet[v & 63] : '=', out);
	}
}

static bool label_name_ok(const char *s, size_t n)
{
	if (!n || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* "/NAME/VALUE" of one grouping label. */
static void push_pair(FILE *out, const char *name, size_t namelen, const char *value, size_t len)
{
	fprintf(out, "/%.*s", (int)namelen, name);
	if (!len || memchr(value, '/', len)) {
		fputs("@base64/", out);
		if (len)
			base64url_write(out, (const unsigned char *)value, len);
		else
			putc('=', out);
		return;
	}
	putc('/', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (unreserved(c))
			putc(c, out);
		else
			fprintf(out, "%%%02X", c);
	}
}

int label_pairs_check(const char *pairs, char *why, size_t whylen)
{
	for (const char *item = pairs ? pairs : ""; *item; ) {
		size_t n = strcspn(item, ",");
		const char *eq = memchr(item, '=', n);

		if (n && (!eq || !label_name_ok(item, (size_t)(eq - item)))) {
			snprintf(why, whylen, "'%.*s' is not LABEL=VALUE with a label name of "
				 "letters, digits and '_'", (int)n, item);
			return -EINVAL;
		}
		item += n + (item[n] == ',');
	}
	return 0;
}

char *push_group_url(const char *base, const char *job, const char *instance,
		     const char *grouping, char *why, size_t whylen)
{
	size_t baselen = strlen(base), size = 0;
	char *text = NULL;
	FILE *out;

	if (!job || !job[0]) {
		snprintf(why, whylen, "the job name is empty");
		return NULL;
	}
	if (label_pairs_check(grouping, why, whylen) < 0)
		return NULL;
	out = open_memstream(&text, &size);
	if (!out) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	while (baselen && base[baselen - 1] == '/')
		baselen--;
	fprintf(out, "%.*s/metrics", (int)baselen, base);
	push_pair(out, "job", 3, job, strlen(job));
	push_pair(out, "instance", 8, instance ? instance : "", instance ? strlen(instance) : 0);
	for (const char *item = grouping ? grouping : ""; *item; ) {
		size_t n = strcspn(item, ",");
		const char *eq = memchr(item, '=', n);

		if (n) {
			size_t namelen = (size_t)(eq - item);

			if ((namelen == 3 && !strncmp(item, "job", 3)) ||
			    (namelen == 8 && !strncmp(item, "instance", 8))) {
				fclose(out);
				free(text);
				snprintf(why, whylen, "'%.*s' is a grouping label of its own (push_job, push_instance)",
					 (int)namelen, item);
				return NULL;
			}
			push_pair(out, item, namelen, eq + 1, n - namelen - 1);
		}
		item += n + (item[n] == ',');
	}
	if (fclose(out) != 0) {
		free(text);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	return text;
}

struct gts {
	FILE *out;
	long long ts_us;
	const char *labels;
};

static int gts_line(void *arg, const struct series *s)
{
	struct gts *g = arg;
	bool first = true;

	if (!isfinite(s->value))
		return 0;
	fprintf(g->out, "%lld// ", g->ts_us);
	percent_write(g->out, s->name);
	putc('{', g->out);
	for (size_t i = 0; i < s->nlabels; i++) {
		fputs(first ? "" : ",", g->out);
		percent_write(g->out, s->labels[i].name);
		putc('=', g->out);
		percent_write(g->out, s->labels[i].value);
		first = false;
	}
	for (const char *item = g->labels ? g->labels : ""; *item; ) {
		size_t n = strcspn(item, ","), namelen;
		const char *eq = memchr(item, '=', n);
		char name[128], value[512];

		if (n && eq) {
			namelen = (size_t)(eq - item);
			snprintf(name, sizeof(name), "%.*s", (int)namelen, item);
			snprintf(value, sizeof(value), "%.*s", (int)(n - namelen - 1), eq + 1);
			fputs(first ? "" : ",", g->out);
			percent_write(g->out, name);
			putc('=', g->out);
			percent_write(g->out, value);
			first = false;
		}
		item += n + (item[n] == ',');
	}
	/* a '.' makes it a double for Warp 10, whatever the value */
	fprintf(g->out, "} %.6f\n", s->value);
	return 0;
}

int gts_render(const struct report *r, const char *labels, char **text, size_t *len)
{
	struct gts g = { .ts_us = llround(r->timestamp * 1e6), .labels = labels };

	*text = NULL;
	g.out = open_memstream(text, len);
	if (!g.out)
		return -ENOMEM;
	report_series(r, gts_line, &g);
	if (fclose(g.out) != 0 || !*text) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}
