/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus exporter's client connections, tracked to enforce the
 * timeouts and the cap (common/prometheus_conns.c). libmicrohttpd's idle
 * timeout closes a silent connection, but not one that trickles a byte
 * now and then (slowloris) or reads its answer as slowly: a reaper thread
 * shuts down every connection that has been in its state too long, and
 * past HTTP_CONNECTIONS the connections that wait for a request make room
 * for a new one.
 */
#ifndef VPOWERCAP_PROMETHEUS_CONNS_I_H
#define VPOWERCAP_PROMETHEUS_CONNS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define HTTP_CONNECTIONS 256        /* open connections in all, past which idle ones are dropped */
#define HTTP_REQUEST_TIMEOUT_S 2    /* a new connection's request line and headers arrive within this */
#define HTTP_KEEPALIVE_S 30         /* a kept-alive connection's next request arrives within this */
#define HTTP_DEADLINE_S 10          /* a request is answered within this */

/*
 * A connection's state says which timeout runs: a new connection waits for
 * its first request, a kept-alive one for its next, a busy one is being
 * answered.
 */
enum http_conn_state { CONN_NEW, CONN_KEPT_ALIVE, CONN_BUSY };

struct http_conn {
	struct http_conn *prev, *next;  /* newest first */
	int fd;
	enum http_conn_state state;
	uint64_t since_ns;   /* entered its state */
	bool cut;            /* shut down, waiting for the server to close it */
};

struct http_conns {
	pthread_mutex_t lock;
	pthread_cond_t wake;           /* the reaper's sleep, cut short to stop or for a sooner deadline */
	uint64_t reaper_wakes_ns;      /* when the reaper wakes next; 0: when woken */
	struct http_conn list;         /* list head */
	unsigned int nlive;            /* tracked and not cut */
	unsigned long evicted;         /* dropped to make room, for the log */
	pthread_t reaper;
	bool reaper_started, stopping;
};

void http_conns_init(struct http_conns *cs);

/** Start the reaper. Returns 0 or -errno. */
int http_conns_start_reaper(struct http_conns *cs);

/** Stop the reaper, before the servers stop. */
void http_conns_stop_reaper(struct http_conns *cs);

/** Once the servers are stopped (no connection left). */
void http_conns_release(struct http_conns *cs);

/** Connection @fd opened: tracked (NULL when out of memory: the idle timeout still applies). */
struct http_conn *http_conns_opened(struct http_conns *cs, int fd);

/** Connection @c closed (the server closes its descriptor after): untracked and freed. */
void http_conns_closed(struct http_conns *cs, struct http_conn *c);

/** Move @c to @state, its timeout starting now. */
void http_conns_enter(struct http_conns *cs, struct http_conn *c, enum http_conn_state state);

#endif
