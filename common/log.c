// SPDX-License-Identifier: MIT
/* Logging to standard error and rate-limited complaints. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level max_level = LOG_LEVEL_INFO;
static const char *program = "vpowercap";

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	max_level = level;
}

void log_set_program(const char *name)
{
	program = name;
}

static void log_va(enum log_level level, const char *suffix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void log_va(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	if (level > max_level)
		return;
	/* One fprintf per line keeps lines from interleaving between threads. */
	char line[1024], shown[4 * sizeof(line)];
	size_t n = 0;

	vsnprintf(line, sizeof(line), fmt, ap);
	/* Names from guests and hooks may hold anything: one line each, as text. */
	for (const unsigned char *c = (const unsigned char *)line; *c; c++) {
		if (*c < ' ' || *c == 0x7f)
			n += (size_t)snprintf(shown + n, sizeof(shown) - n, "\\x%02x", *c);
		else
			shown[n++] = (char)*c;
	}
	shown[n] = '\0';
	fprintf(stderr, "%s: %s: %s%s\n", program, level_names[level], shown, suffix);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, "", fmt, ap);
	va_end(ap);
}

int log_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(LOG_LEVEL_ERROR, "", fmt, ap);
	va_end(ap);
	return code;
}

#define COMPLAINT_MAX_INTERVAL (24 * 3600)

void complain(struct complaint *c, enum log_level level, const char *fmt, ...)
{
	time_t now = time(NULL);
	char suffix[64] = "";
	va_list ap;

	if (c->last != 0 && now - c->last < (time_t)c->interval) {
		c->suppressed++;
		return;
	}
	if (c->last == 0)
		c->interval = 60;
	else if (c->interval < COMPLAINT_MAX_INTERVAL)
		c->interval *= 2;
	if (c->suppressed)
		snprintf(suffix, sizeof(suffix), " (%lu more since last report)", c->suppressed);
	c->last = now;
	c->suppressed = 0;
	va_start(ap, fmt);
	log_va(level, suffix, fmt, ap);
	va_end(ap);
}

void complaint_release(struct complaint *c, const char *fmt, ...)
{
	va_list ap;

	if (c->last == 0)
		return;
	c->last = 0;
	c->interval = 0;
	c->suppressed = 0;
	va_start(ap, fmt);
	log_va(LOG_LEVEL_INFO, "", fmt, ap);
	va_end(ap);
}
