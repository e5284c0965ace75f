// SPDX-License-Identifier: MIT
/* The bounded queue of a network exporter and its sending thread. */
#include "common/outbox.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

int outbox_init(struct outbox *o, const char *name, size_t capacity, outbox_send_fn send, void *arg)
{
	pthread_condattr_t ca;

	memset(o, 0, sizeof(*o));
	o->items = calloc(capacity ? capacity : 1, sizeof(*o->items));
	if (!o->items)
		return -ENOMEM;
	o->capacity = capacity ? capacity : 1;
	o->name = name;
	o->send = send;
	o->arg = arg;
	o->down = (struct complaint)COMPLAINT_INIT;
	pthread_mutex_init(&o->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->wake, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void outbox_put(struct outbox *o, char *data, size_t len)
{
	char *old = NULL;
	unsigned long dropped = 0;

	pthread_mutex_lock(&o->lock);
	if (o->count == o->capacity) {
		old = o->items[o->head].data;
		o->head = (o->head + 1) % o->capacity;
		o->count--;
		dropped = ++o->dropped;
	}
	o->items[(o->head + o->count) % o->capacity] = (struct outbox_item){ data, len };
	o->count++;
	pthread_cond_signal(&o->wake);
	pthread_mutex_unlock(&o->lock);
	free(old);
	/* once, then every thousandth: the down complaint says the rest */
	if (dropped == 1 || (dropped && dropped % 1000 == 0))
		log_warning("%s: queue full (%zu steps): the oldest step dropped, %lu so far",
			    o->name, o->capacity, dropped);
}

bool outbox_take(struct outbox *o, struct outbox_item *item)
{
	bool any;

	pthread_mutex_lock(&o->lock);
	any = o->count > 0;
	if (any) {
		*item = o->items[o->head];
		o->head = (o->head + 1) % o->capacity;
		o->count--;
	}
	pthread_mutex_unlock(&o->lock);
	return any;
}

/* Put @item back first in line, unless newer steps filled its place. */
static void put_back(struct outbox *o, struct outbox_item *item)
{
	pthread_mutex_lock(&o->lock);
	if (o->count < o->capacity) {
		o->head = (o->head + o->capacity - 1) % o->capacity;
		o->items[o->head] = *item;
		o->count++;
		item->data = NULL;
	} else {
		o->dropped++;
	}
	pthread_mutex_unlock(&o->lock);
	free(item->data);
}

void outbox_counts(struct outbox *o, unsigned long *dropped, unsigned long *sent)
{
	pthread_mutex_lock(&o->lock);
	*dropped = o->dropped;
	*sent = o->sent;
	pthread_mutex_unlock(&o->lock);
}

static void *outbox_main(void *arg)
{
	struct outbox *o = arg;
	double backoff = 0;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		struct outbox_item item;
		char why[256] = "";
		int ret;

		while (!o->count && !o->stopping)
			pthread_cond_wait(&o->wake, &o->lock);
		if (!o->count)
			break;  /* stopping, all sent */
		pthread_mutex_unlock(&o->lock);
		outbox_take(o, &item);
		ret = o->send(o->arg, &item, why, sizeof(why));
		if (ret == 0) {
			free(item.data);
			complaint_release(&o->down, "%s: the server takes steps again", o->name);
			backoff = 0;
			pthread_mutex_lock(&o->lock);
			o->sent++;
			continue;
		}
		complain(&o->down, LOG_LEVEL_WARNING, "%s: cannot send: %s; steps wait in the queue "
			 "(%zu at most, the oldest dropped)", o->name, why[0] ? why : strerror(-ret),
			 o->capacity);
		put_back(o, &item);
		pthread_mutex_lock(&o->lock);
		if (o->stopping)
			break;  /* what is left is not sent */
		backoff = backoff ? backoff * 2 : OUTBOX_BACKOFF_FIRST_S;
		if (backoff > OUTBOX_BACKOFF_MAX_S)
			backoff = OUTBOX_BACKOFF_MAX_S;
		{
			struct timespec ts = clock_timespec(clock_mono_ns() + (uint64_t)(backoff * 1e9));

			while (!o->stopping && pthread_cond_timedwait(&o->wake, &o->lock, &ts) != ETIMEDOUT)
				;
		}
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

int outbox_start(struct outbox *o)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&o->thread, NULL, outbox_main, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0)
		return log_error(ret, "%s: cannot start a thread: %s", o->name, strerror(-ret));
	o->started = true;
	return 0;
}

void outbox_release(struct outbox *o)
{
	struct outbox_item item;

	if (!o->items)
		return;
	if (o->started) {
		pthread_mutex_lock(&o->lock);
		o->stopping = true;
		pthread_cond_signal(&o->wake);
		pthread_mutex_unlock(&o->lock);
		pthread_join(o->thread, NULL);
	}
	while (outbox_take(o, &item))
		free(item.data);
	free(o->items);
	o->items = NULL;
	pthread_cond_destroy(&o->wake);
	pthread_mutex_destroy(&o->lock);
}
