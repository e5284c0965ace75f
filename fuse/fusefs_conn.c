// SPDX-License-Identifier: MIT
/*
 * The FUSE connection's workers, its FUSE_INIT kept for a next server,
 * and taking a connection over (fuse/fusefs.h, fuse/fusefs_i.h).
 */
#include "fuse/fusefs_i.h"

#include <errno.h>
#include <linux/fuse.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* Keep the kernel's FUSE_INIT, for a server that takes the connection over. */
static void note_init(struct fusefs *fs, const struct fuse_buf *buf)
{
	const struct fuse_in_header *in = buf->mem;

	if (buf->size < sizeof(*in) || in->opcode != FUSE_INIT || buf->size > FUSEFS_INIT_MAX)
		return;
	pthread_mutex_lock(&fs->init_lock);
	if (!fs->init_len) {
		memcpy(fs->init, buf->mem, buf->size);
		fs->init_len = buf->size;
	}
	pthread_mutex_unlock(&fs->init_lock);
}

static void on_wake(int sig)
{
	(void)sig;  /* only to cut a worker's read short */
}

/*
 * A worker: reads requests and answers them, until the connection ends
 * (unmounted) or the server hands it over. A worker blocked in its read is
 * cut short by SIGUSR2 (no request is taken then); one that took a request
 * answers it first.
 */
static void *worker(void *arg)
{
	struct fusefs *fs = arg;
	struct fuse_buf buf = { 0 };
	sigset_t wake;

	sigemptyset(&wake);
	sigaddset(&wake, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	while (!__atomic_load_n(&fs->draining, __ATOMIC_ACQUIRE) && !fuse_session_exited(fs->se)) {
		int res = fuse_session_receive_buf(fs->se, &buf);

		if (res == -EINTR)
			continue;
		if (res <= 0)
			break;
		if (!fs->init_len)
			note_init(fs, &buf);
		fuse_session_process_buf(fs->se, &buf);
	}
	free(buf.mem);
	return NULL;
}

/* As many workers as CPUs this process may run on, within bounds (fusefs_i.h). */
static size_t workers_wanted(void)
{
	cpu_set_t set;
	long n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < WORKERS_MIN ? WORKERS_MIN : n > WORKERS_MAX ? WORKERS_MAX : (size_t)n;
}

int start_workers(struct fusefs *fs)
{
	struct sigaction sa = { .sa_handler = on_wake };  /* no SA_RESTART: a read ends with EINTR */
	size_t want = workers_wanted();

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	for (; fs->nworkers < want; fs->nworkers++)
		if (pthread_create(&fs->workers[fs->nworkers], NULL, worker, fs) != 0)
			break;
	return fs->nworkers ? 0 : -EAGAIN;
}

/* Stop the workers: each ends once its request, if any, is answered. */
void stop_workers(struct fusefs *fs)
{
	__atomic_store_n(&fs->draining, true, __ATOMIC_RELEASE);
	for (size_t i = 0; i < fs->nworkers; i++) {
		/* a worker between its check and its read misses one wake: wake it again */
		while (pthread_kill(fs->workers[i], SIGUSR2) == 0) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 20 * 1000 * 1000;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			if (pthread_timedjoin_np(fs->workers[i], NULL, &until) == 0)
				break;
		}
	}
	fs->nworkers = 0;
}

int fusefs_connection(struct fusefs *fs, struct fusefs_takeover *out)
{
	int ret = -EAGAIN;

	pthread_mutex_lock(&fs->init_lock);
	if (fs->init_len) {
		*out = (struct fusefs_takeover){ .fd = fs->fd, .init = fs->init, .init_len = fs->init_len };
		ret = 0;
	}
	pthread_mutex_unlock(&fs->init_lock);
	return ret;
}

void fusefs_serve(struct fusefs *fs)
{
	if (fs && fs->running && !fs->nworkers && start_workers(fs) < 0)
		log_error(-EAGAIN, "cannot start a thread to answer requests at '%s'", fs->mountpoint);
}

bool fusefs_serving(const struct fusefs *fs)
{
	return fs && fs->nworkers;
}

/* A mount's FUSE_INIT, which the kernel sends as it mounts: there within 5 s. */
int wait_init(struct fusefs *fs)
{
	for (int i = 0; i < 500; i++) {
		size_t len;

		pthread_mutex_lock(&fs->init_lock);
		len = fs->init_len;
		pthread_mutex_unlock(&fs->init_lock);
		if (len)
			return 0;
		usleep(10000);
	}
	return log_error(-ETIMEDOUT, "the kernel sent no FUSE_INIT for '%s' within 5 s", fs->mountpoint);
}

void fusefs_hand_over(struct fusefs *fs)
{
	if (!fs || !fs->running)
		return;
	stop_workers(fs);
	fs->running = false;
	log_info("stopped taking requests at '%s': the next server takes them", fs->mountpoint);
}

bool fusefs_resend_refused(const struct fusefs *fs)
{
	return fs && fs->resend_refused;
}

/* A unique no request of the kernel's has (its ids grow from 0, by 2). */
#define REPLAY_UNIQUE 0x7ffffffffffffff0ull

#ifndef FUSE_NOTIFY_RESEND
#define FUSE_NOTIFY_RESEND 7  /* Linux 6.9 */
#endif

/*
 * Take connection @take over: the session reads and writes its descriptor
 * (libfuse takes "/dev/fd/N" as a connection already mounted), is told the
 * kernel's FUSE_INIT again (its answer goes to no request of the kernel's,
 * which drops it), and the kernel is asked to send again what a dead
 * server had read but not answered.
 */
int take_over(struct fusefs *fs, const struct fusefs_takeover *take)
{
	unsigned char init[FUSEFS_INIT_MAX];
	struct fuse_in_header *in = (struct fuse_in_header *)init;
	struct fuse_out_header resend = { .len = sizeof(resend), .error = FUSE_NOTIFY_RESEND };
	struct fuse_buf buf = { .mem = init, .size = take->init_len };
	char dev[32];

	if (take->init_len < sizeof(*in) + sizeof(struct fuse_init_in) || take->init_len > sizeof(init) ||
	    ((const struct fuse_in_header *)take->init)->opcode != FUSE_INIT)
		return log_error(-EINVAL, "the connection to take over comes without its FUSE_INIT");
	snprintf(dev, sizeof(dev), "/dev/fd/%d", take->fd);
	if (fuse_session_mount(fs->se, dev) != 0)
		return log_error(-EBADF, "cannot take the FUSE connection (descriptor %d) over", take->fd);
	fs->fd = take->fd;
	memcpy(init, take->init, take->init_len);
	in->unique = REPLAY_UNIQUE;
	fuse_session_process_buf(fs->se, &buf);
	memcpy(fs->init, take->init, take->init_len);
	fs->init_len = take->init_len;
	if (write(fs->fd, &resend, sizeof(resend)) != (ssize_t)sizeof(resend)) {
		fs->resend_refused = true;
		log_warning("this kernel does not send again the requests a dead server had read (FUSE_NOTIFY_RESEND, "
			    "Linux 6.9): their readers wait until interrupted");
	}
	return 0;
}

