/* SPDX-License-Identifier: MIT */
/*
 * Basic auth of a request to the Prometheus endpoint (common/prometheus_auth.c).
 * A password not accepted already is checked by the web config's checkers
 * (web_config_check_async); meanwhile the request's connection is
 * suspended, so that it holds no HTTP thread, and the checker resumes it
 * with the answer. The request's context (struct auth_wait) carries that
 * answer to the handler's next call.
 */
#ifndef VPOWERCAP_PROMETHEUS_AUTH_I_H
#define VPOWERCAP_PROMETHEUS_AUTH_I_H

#include <microhttpd.h>

#include "common/web_config.h"

struct auth_wait;

/**
 * Check @conn's name and password against @web, the request's context
 * in *@w (NULL when out of memory: BUSY). Returns OK, DENIED or BUSY at
 * once, or PENDING with @conn suspended until its check is answered.
 */
enum web_auth prometheus_auth_start(struct web_config *web, struct MHD_Connection *conn, struct auth_wait **w);

/** The answer for the request of @w, at its next call: OK, DENIED or BUSY; PENDING never lets it in. */
enum web_auth prometheus_auth_answer(struct auth_wait *w);

void prometheus_auth_free(struct auth_wait *w);

#endif
