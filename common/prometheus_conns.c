// SPDX-License-Identifier: MIT
/* The Prometheus exporter's client connections: see prometheus_conns_i.h. */
#include "common/prometheus_conns_i.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"

#define REAPER_SLACK_MS 250        /* deadlines this close together are reaped in one wake-up */

static const uint64_t state_limit_ns[] = {
	[CONN_NEW] = HTTP_REQUEST_TIMEOUT_S * 1000000000ULL,
	[CONN_KEPT_ALIVE] = HTTP_KEEPALIVE_S * 1000000000ULL,
	[CONN_BUSY] = HTTP_DEADLINE_S * 1000000000ULL,
};

/* Connection @c's state changed (lock held): the reaper wakes in time for its deadline. */
static void reaper_sooner(struct http_conns *cs, const struct http_conn *c)
{
	uint64_t deadline = c->since_ns + state_limit_ns[c->state];

	if (!cs->reaper_wakes_ns || deadline < cs->reaper_wakes_ns)
		pthread_cond_signal(&cs->wake);
}

/*
 * Shut down @c; the server sees the end of the stream and closes it. A
 * connection is unlinked, under the lock (held here), before its
 * descriptor is closed, so this never touches a descriptor that was reused.
 */
static void conn_cut(struct http_conns *cs, struct http_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->cut = true;
	cs->nlive--;
}

/*
 * Past HTTP_CONNECTIONS, drop connections that wait for a request down to
 * the cap: new ones that never sent one first, then kept-alive ones (a
 * scraper between scrapes), oldest first in each; the newest (a scraper
 * just connected) goes last. Connections being answered are left to their
 * deadline. Called with the lock held.
 */
static void conn_evict(struct http_conns *cs)
{
	static const enum http_conn_state order[] = { CONN_NEW, CONN_KEPT_ALIVE };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		for (struct http_conn *c = cs->list.prev; c != &cs->list && cs->nlive > HTTP_CONNECTIONS;
		     c = c->prev)
			if (!c->cut && c->state == order[i]) {
				conn_cut(cs, c);
				if (cs->evicted++ % 1000 == 0)
					log_debug("prometheus: over %d connections: the oldest idle ones are "
						  "dropped (%lu so far)", HTTP_CONNECTIONS, cs->evicted);
			}
}

struct http_conn *http_conns_opened(struct http_conns *cs, int fd)
{
	struct http_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->state = CONN_NEW;
	c->since_ns = clock_mono_ns();
	pthread_mutex_lock(&cs->lock);
	c->next = cs->list.next;
	c->prev = &cs->list;
	c->next->prev = c;
	cs->list.next = c;
	cs->nlive++;
	reaper_sooner(cs, c);
	conn_evict(cs);
	pthread_mutex_unlock(&cs->lock);
	return c;
}

void http_conns_closed(struct http_conns *cs, struct http_conn *c)
{
	pthread_mutex_lock(&cs->lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	if (!c->cut)
		cs->nlive--;
	pthread_mutex_unlock(&cs->lock);
	free(c);
}

void http_conns_enter(struct http_conns *cs, struct http_conn *c, enum http_conn_state state)
{
	pthread_mutex_lock(&cs->lock);
	if (c->state != state) {
		c->state = state;
		c->since_ns = clock_mono_ns();
		reaper_sooner(cs, c);
	}
	pthread_mutex_unlock(&cs->lock);
}

/*
 * The reaper shuts down every connection that has been in its state too
 * long: new without a whole request for HTTP_REQUEST_TIMEOUT_S, kept alive
 * without one for HTTP_KEEPALIVE_S, being answered for HTTP_DEADLINE_S. It
 * sleeps until the next deadline (a little after, to reap those close to
 * it in the same wake-up), and without one while no connection is open:
 * an idle exporter costs no wake-up.
 */
static void *reaper_main(void *arg)
{
	struct http_conns *cs = arg;

	pthread_mutex_lock(&cs->lock);
	while (!cs->stopping) {
		uint64_t now = clock_mono_ns(), next = 0;

		for (struct http_conn *c = cs->list.next; c != &cs->list; c = c->next) {
			uint64_t deadline = c->since_ns + state_limit_ns[c->state];

			if (c->cut)
				continue;
			if (now > deadline)
				conn_cut(cs, c);
			else if (!next || deadline < next)
				next = deadline;
		}
		cs->reaper_wakes_ns = next ? next + REAPER_SLACK_MS * 1000000ULL : 0;
		if (next) {
			struct timespec ts = clock_timespec(cs->reaper_wakes_ns);

			pthread_cond_timedwait(&cs->wake, &cs->lock, &ts);
		} else {
			pthread_cond_wait(&cs->wake, &cs->lock);
		}
	}
	pthread_mutex_unlock(&cs->lock);
	return NULL;
}

void http_conns_init(struct http_conns *cs)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&cs->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->wake, &ca);
	pthread_condattr_destroy(&ca);
	cs->list.next = cs->list.prev = &cs->list;
}

int http_conns_start_reaper(struct http_conns *cs)
{
	int ret = -pthread_create(&cs->reaper, NULL, reaper_main, cs);

	cs->reaper_started = ret == 0;
	return ret;
}

void http_conns_stop_reaper(struct http_conns *cs)
{
	if (!cs->reaper_started)
		return;
	pthread_mutex_lock(&cs->lock);
	cs->stopping = true;
	pthread_cond_signal(&cs->wake);
	pthread_mutex_unlock(&cs->lock);
	pthread_join(cs->reaper, NULL);
	cs->reaper_started = false;
}

void http_conns_release(struct http_conns *cs)
{
	pthread_cond_destroy(&cs->wake);
	pthread_mutex_destroy(&cs->lock);
}
