// SPDX-License-Identifier: MIT
/* Logging to standard error and rate-limited complaints. */
#include "common/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum log_level max_level = LOG_LEVEL_INFO;
static const char *program = "vpowercap";
static bool to_journal;

/* syslog's priorities, which journald reads from a "<N>" at a line's start. */
static const char *const journal_prefixes[] = {
	[LOG_LEVEL_ERROR] = "<3>",
	[LOG_LEVEL_WARNING] = "<4>",
	[LOG_LEVEL_INFO] = "<6>",
	[LOG_LEVEL_DEBUG] = "<7>",
};

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

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connects to
 * the journal; standard error is that stream when they match (not when a
 * service's output was sent elsewhere, nor in a child whose stderr was).
 */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_set_program(const char *name)
{
	program = name;
	to_journal = stderr_is_journal();
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
	fprintf(stderr, "%s%s: %s: %s%s\n", to_journal ? journal_prefixes[level] : "", program,
		level_names[level], shown, suffix);
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
