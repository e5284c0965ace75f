/* SPDX-License-Identifier: MIT */
/*
 * A report copied whole into one allocation: every array and string it
 * points to comes with it, so that it outlives the step that made it (the
 * Prometheus exporter keeps the latest one until a scrape renders it).
 */
#ifndef VPOWERCAP_REPORT_COPY_H
#define VPOWERCAP_REPORT_COPY_H

#include "common/report.h"

/** A copy of @r that free() releases whole; NULL when out of memory. */
struct report *report_copy(const struct report *r);

#endif
