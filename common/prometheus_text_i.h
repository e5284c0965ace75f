/* SPDX-License-Identifier: MIT */
/* The renderer's parts that only its tests call. */
#ifndef VPOWERCAP_PROMETHEUS_TEXT_I_H
#define VPOWERCAP_PROMETHEUS_TEXT_I_H

/**
 * @s as a Prometheus label value, without the quotes: backslash, double
 * quote and newline escaped, bytes that are not UTF-8 replaced by U+FFFD.
 * Returns a malloc'd string, or NULL when out of memory.
 */
char *prometheus_label_value(const char *s);

#endif
