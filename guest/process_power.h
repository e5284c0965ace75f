/* SPDX-License-Identifier: MIT */
/*
 * Splitting the machine's power between its processes: a process gets the
 * share of the machine's busy CPU time it used, so the processes add up to
 * the machine.
 */
#ifndef VPOWERCAP_PROCESS_POWER_H
#define VPOWERCAP_PROCESS_POWER_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"
#include "report.h"

/**
 * Fill @out with up to @n processes of @t that used CPU in the last
 * interval, by decreasing power, keeping only those whose comm matches
 * @filter when it is not NULL. A process's power is @host_power_w times its
 * CPU time over @dbusy, the machine's busy CPU time; where sampling skew
 * makes the processes' CPU time exceed @dbusy, their sum is the divisor.
 * @out's comm pointers point into @t, valid until its next scan.
 * Returns how many were written.
 */
size_t process_power_top(const struct proc_table *t, uint64_t dbusy, double host_power_w,
			 double interval_s, const regex_t *filter,
			 struct report_process *out, size_t n);

#endif
