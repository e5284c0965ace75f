// SPDX-License-Identifier: MIT
/* The VM source's own thread. */
#include "host/vmpoll.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

static void *poll_thread(void *arg)
{
	struct vm_poller *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		unsigned long request;
		struct vm_list tmp;
		int ret;

		while (!p->stop && p->asked == p->answered)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stop)
			break;
		request = p->asked;
		pthread_mutex_unlock(&p->lock);
		ret = vm_source_list(p->src, &p->scratch);  /* may be slow */
		pthread_mutex_lock(&p->lock);
		tmp = p->result;
		p->result = p->scratch;
		p->scratch = tmp;
		p->result_ret = ret;
		p->result_new = true;
		p->answered = request;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int vm_poller_start(struct vm_poller *p, struct vm_source *src)
{
	pthread_condattr_t attr;
	int ret;

	memset(p, 0, sizeof(*p));
	p->src = src;
	p->threaded = !src->ops->waits_on_nobody;
	if (!p->threaded)
		return 0;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &attr);
	pthread_condattr_destroy(&attr);
	ret = pthread_create(&p->thread, NULL, poll_thread, p);
	if (ret) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		return -ret;
	}
	return 0;
}

void vm_poller_stop(struct vm_poller *p)
{
	if (!p->threaded)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	vm_list_release(&p->result);
	vm_list_release(&p->scratch);
}

int vm_poller_get(struct vm_poller *p, struct vm_list *out, uint64_t wait_ns)
{
	struct timespec deadline;
	int ret = -EAGAIN;

	if (!p->threaded)
		return vm_source_list(p->src, out);
	deadline = clock_timespec(clock_mono_ns() + wait_ns);
	pthread_mutex_lock(&p->lock);
	/* A request still running is not asked again: it answers for now. */
	if (p->asked == p->answered) {
		p->asked++;
		pthread_cond_broadcast(&p->cond);
	}
	while (p->answered != p->asked)
		if (pthread_cond_timedwait(&p->cond, &p->lock, &deadline) == ETIMEDOUT)
			break;
	if (p->result_new) {
		struct vm_list tmp = *out;

		*out = p->result;
		p->result = tmp;
		p->result_new = false;
		ret = p->result_ret;
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}
