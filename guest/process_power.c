// SPDX-License-Identifier: MIT
/* Per-process power from CPU time shares. */
#include "process_power.h"

#include <string.h>

#include "proc.h"

size_t process_power_top(const struct proc_table *t, uint64_t dbusy, double host_power_w,
			 double interval_s, const regex_t *filter,
			 struct report_process *out, size_t n)
{
	uint64_t sum = 0, divisor;
	size_t count = 0;
	double hz = (double)proc_clock_ticks();

	for (size_t i = 0; i < t->ncur; i++)
		sum += t->cur[i].delta;
	divisor = sum > dbusy ? sum : dbusy;
	if (!divisor || !n)
		return 0;

	for (size_t i = 0; i < t->ncur; i++) {
		const struct process *p = &t->cur[i];
		size_t at;

		if (!p->delta)
			continue;
		if (filter && regexec(filter, p->stat.comm, 0, NULL, 0) != 0)
			continue;
		struct report_process rp = {
			.pid = p->stat.pid,
			.comm = p->stat.comm,
			.cpu_percent = interval_s > 0 ? 100.0 * (double)p->delta / hz / interval_s : 0,
			.power_w = host_power_w * (double)p->delta / (double)divisor,
		};

		/* Insertion into the top n, by CPU time (power follows it); n is small. */
		at = count < n ? count : n;
		while (at > 0 && out[at - 1].cpu_percent < rp.cpu_percent)
			at--;
		if (at >= n)
			continue;
		memmove(&out[at + 1], &out[at], (count < n ? count - at : n - 1 - at) * sizeof(*out));
		out[at] = rp;
		if (count < n)
			count++;
	}
	return count;
}
