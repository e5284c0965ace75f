// SPDX-License-Identifier: MIT
/* The monotonic clock, and sleeping until a deadline on it. */
#include "common/clock.h"

#include <errno.h>

uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static bool any_set(const volatile sig_atomic_t *const flags[], size_t nflags)
{
	for (size_t i = 0; i < nflags; i++)
		if (*flags[i])
			return true;
	return false;
}

bool clock_sleep_until(uint64_t deadline_ns, const volatile sig_atomic_t *const flags[], size_t nflags)
{
	struct timespec ts = clock_timespec(deadline_ns);

	while (!any_set(flags, nflags)) {
		int ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

		/* a signal that came as the sleep ended counts too */
		if (ret == 0)
			return !any_set(flags, nflags);
		if (ret != EINTR)
			return false;
	}
	return false;
}
