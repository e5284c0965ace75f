/* SPDX-License-Identifier: MIT */
/*
 * Asking the VM source from a thread of its own, so that a slow source
 * (libvirtd busy probing, a domain starting) never holds a tick up. Each
 * tick asks for a fresh listing and waits for it a short while; when it is
 * late the tick goes on with the last one, and the late listing is used by
 * the next tick. A source that waits on no other process (the proc
 * source: reads of /proc) needs no thread, nor the two wake-ups a tick
 * that hand-off costs: the tick lists it itself.
 */
#ifndef VPOWERCAP_VMPOLL_H
#define VPOWERCAP_VMPOLL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/vmsource.h"

struct vm_poller {
	struct vm_source *src;
	bool threaded;                  /* the source is asked from the thread */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long asked, answered;  /* request numbers */
	bool stop;
	struct vm_list result;          /* the latest listing, under lock */
	int result_ret;
	bool result_new;
	struct vm_list scratch;         /* the thread's own */
};

/** Start polling @src. Returns 0 or -errno. */
int vm_poller_start(struct vm_poller *p, struct vm_source *src);

/** Stop the thread and free the lists. */
void vm_poller_stop(struct vm_poller *p);

/**
 * Ask for a listing and wait for it at most @wait_ns. Swaps the newest
 * listing into @out and returns its status (0, or the source's -errno),
 * or returns -EAGAIN with @out untouched when none came since the last call.
 */
int vm_poller_get(struct vm_poller *p, struct vm_list *out, uint64_t wait_ns);

#endif
