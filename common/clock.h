/* SPDX-License-Identifier: MIT */
/*
 * The monotonic clock in nanoseconds, for intervals and deadlines (never a
 * date: report_clock() is that), and sleeping until a deadline on it.
 */
#ifndef VPOWERCAP_CLOCK_H
#define VPOWERCAP_CLOCK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/** CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t clock_mono_ns(void);

/** CLOCK_MONOTONIC now, in seconds. */
static inline double clock_mono_s(void)
{
	return (double)clock_mono_ns() / 1e9;
}

/** @ns as a struct timespec: a time on the monotonic clock, or a timeout. */
static inline struct timespec clock_timespec(uint64_t ns)
{
	return (struct timespec){
		.tv_sec = (time_t)(ns / NSEC_PER_SEC),
		.tv_nsec = (long)(ns % NSEC_PER_SEC),
	};
}

/**
 * How many ticks of @tick_s seconds a run of @span_s seconds lasts: whole
 * ticks, and at least one (a timeout shorter than a tick still stops, after
 * one); 0, no limit, when @span_s is not positive.
 */
static inline unsigned long clock_ticks_for(double span_s, double tick_s)
{
	unsigned long n;

	if (span_s <= 0)
		return 0;
	n = (unsigned long)(span_s / tick_s + 1e-9);
	return n ? n : 1;
}

/**
 * Sleep until @deadline_ns on the monotonic clock. @flags are the @nflags
 * flags set by the caller's signal handlers (stop, reload): a signal
 * interrupts the sleep, and one of them set ends it. Returns true at the
 * deadline, false when a flag is set or the clock cannot sleep.
 */
bool clock_sleep_until(uint64_t deadline_ns, const volatile sig_atomic_t *const flags[], size_t nflags);

#endif
