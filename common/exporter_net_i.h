/* SPDX-License-Identifier: MIT */
/* What the network exporters share: secrets, HTTP requests, the host's name. */
#ifndef VPOWERCAP_EXPORTER_NET_I_H
#define VPOWERCAP_EXPORTER_NET_I_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/exporter.h"
#include "common/outbox.h"

/* An HTTP request's limits: the sending thread waits this long at most. */
#define NET_CONNECT_TIMEOUT_MS 3000L
#define NET_REQUEST_TIMEOUT_MS 10000L

/**
 * A secret for @what ("warp10: token") into @buf: the first line of
 * @path when it is set, else the environment variable @env. A file that
 * others may read is refused (group-readable is warned about: a group of
 * readers is a choice). Returns 1 when found, 0 when neither is set, or
 * -errno after logging.
 */
int net_secret_read(const char *what, const char *path, const char *env, char *buf, size_t size);

/** The machine's host name into @buf ("localhost" when unknown). */
void net_hostname(char *buf, size_t size);

/**
 * A curl handle set up for @url (its TLS certificate checked against
 * @ca_file, or the system's CAs when NULL or "", or not at all when
 * @insecure), with the limits above, no signals and no redirects. NULL
 * after logging.
 */
CURL *net_curl_open(const char *who, const char *url, bool insecure, const char *ca_file);

/**
 * Send @method ("PUT", "POST", "DELETE") with @body (@len bytes; NULL for
 * none) and @headers on @curl. Returns 0 for a 2xx answer, else -EIO
 * (the server said no; its status and first line of answer go to @why)
 * or -ECONNREFUSED (no answer; curl's reason in @why).
 */
int net_request(CURL *curl, const char *method, const char *body, size_t len,
		struct curl_slist *headers, char *why, size_t whylen);

/**
 * Set up @o, @e's outbox, of the configured size (@n's queue), sending
 * with @send(@arg), and start its thread. Returns 0 or -errno after
 * logging; on failure @o is left for outbox_release().
 */
int net_outbox_start(struct exporter *e, struct outbox *o, const char *name,
		     const struct exporter_net_options *n, outbox_send_fn send, void *arg);

/** Queue a step's rendered @text (malloc'd, @len bytes) on @e's outbox; NULL: out of memory. */
void net_outbox_put(struct exporter *e, char *text, size_t len);

#endif
