/* SPDX-License-Identifier: MIT */
/*
 * What the network exporters send, as text: the Pushgateway's URL of a
 * group, Warp 10's Geo Time Series lines. Pure, so that it is tested apart
 * from any server.
 */
#ifndef VPOWERCAP_NET_FORMAT_H
#define VPOWERCAP_NET_FORMAT_H

#include <stdio.h>

#include "common/report.h"

/**
 * The Pushgateway URL of the group @job, @instance and the "LABEL=VALUE,..."
 * of @grouping (NULL or "" for none), below @base ("http://gw:9091", a path
 * allowed, a trailing slash or not): BASE/metrics/job/JOB/instance/INSTANCE/LABEL/VALUE.
 * A value holding '/' or empty is written LABEL@base64/BASE64URL (an empty one
 * "="), others percent-encoded. Returns a malloc'd string, or NULL with
 * the reason in @why (a label name that is not [a-zA-Z_][a-zA-Z0-9_]*, a
 * pair without '=', job or instance as a grouping label, no job).
 */
char *push_group_url(const char *base, const char *job, const char *instance,
		     const char *grouping, char *why, size_t whylen);

/** @in (@len bytes) as unpadded-or-padded base64url (RFC 4648 section 5), with padding, to @out. */
void base64url_write(FILE *out, const unsigned char *in, size_t len);

/**
 * @s percent-encoded to @out: every byte but A-Z a-z 0-9 '-' '.' '_' '~'
 * as %XX, as Warp 10 reads class names, label names and values.
 */
void percent_write(FILE *out, const char *s);

/**
 * The report @r as Warp 10 Geo Time Series input lines, one per series:
 * "TS// NAME{LABEL=VALUE,...} VALUE" with TS in microseconds, values as
 * doubles, names and labels percent-encoded, and the "LABEL=VALUE,..." of
 * @labels (NULL or "") on every series. Series whose value is not finite
 * are left out. Returns 0, or -ENOMEM; the text goes to a malloc'd *@text
 * of *@len bytes, which the caller frees.
 */
int gts_render(const struct report *r, const char *labels, char **text, size_t *len);

/**
 * Check "LABEL=VALUE,..." @pairs: each has a name before its '='. Returns
 * 0, or -EINVAL with the reason in @why.
 */
int label_pairs_check(const char *pairs, char *why, size_t whylen);

#endif
