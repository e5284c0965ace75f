/* SPDX-License-Identifier: MIT */
/*
 * Logging to standard error, with a helper that returns its error code so a
 * failing call site stays one line, and a rate limiter for failures that
 * would otherwise repeat every tick.
 */
#ifndef VPOWERCAP_LOG_H
#define VPOWERCAP_LOG_H

#include <stdbool.h>
#include <time.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/** Messages above this level are dropped (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);

/**
 * Prefix every message with @name (the program's name). Called at start:
 * it also checks whether standard error is the journal (JOURNAL_STREAM),
 * where each line then starts with its priority, "<3>" for an error.
 */
void log_set_program(const char *name);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Log an error and return @code, so callers can `return log_error(...)`. */
int log_error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/*
 * A complaint is a condition that may persist for many ticks. The first
 * occurrence is logged at once, repeats are logged with growing intervals
 * (doubling, capped at one day), and the return to normal is logged once.
 */
struct complaint {
	time_t last;      /* when it was last logged, 0 when not complaining */
	unsigned interval;/* seconds until the next repeat may be logged */
	unsigned long suppressed;
};

#define COMPLAINT_INIT { 0, 0, 0 }

void complain(struct complaint *c, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Log @fmt at info level if @c was complaining, and reset it. */
void complaint_release(struct complaint *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline bool complaint_active(const struct complaint *c)
{
	return c->last != 0;
}

#endif
