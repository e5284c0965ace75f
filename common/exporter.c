// SPDX-License-Identifier: MIT
/* Exporter registry and the JSON helpers the exporters share. */
#include "common/exporter_i.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/utf8_i.h"

const char *const exporter_kind_names[] = {
	[EXPORTER_STDOUT] = "stdout",
	[EXPORTER_JSON] = "json",
	[EXPORTER_PROMETHEUS] = "prometheus",
	[EXPORTER_KIND_COUNT] = NULL,
};

int exporter_kind_of(const char *name)
{
	for (int i = 0; exporter_kind_names[i]; i++)
		if (!strcmp(name, exporter_kind_names[i]))
			return i;
	return -1;
}

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
	e->ops = exporter_backends[kind];
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
