// SPDX-License-Identifier: MIT
/* Tests of the network exporters' bounded queue and its thread (common/outbox.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/outbox.h"

static char *item(int n)
{
	char *s = malloc(16);

	assert_non_null(s);
	snprintf(s, 16, "step %d", n);
	return s;
}

static int never_sent(void *arg, const struct outbox_item *it, char *why, size_t whylen)
{
	(void)arg;
	(void)it;
	(void)why;
	(void)whylen;
	fail_msg("no thread was started");
	return 0;
}

/* Full, the oldest goes, is counted, and the order of the rest holds. */
static void test_drop_oldest(void **state)
{
	struct outbox o;
	struct outbox_item it;
	unsigned long dropped, sent;

	(void)state;
	assert_int_equal(outbox_init(&o, "test", 3, never_sent, NULL), 0);
	for (int i = 1; i <= 5; i++)
		outbox_put(&o, item(i), 7);
	outbox_counts(&o, &dropped, &sent);
	assert_int_equal(dropped, 2);
	assert_int_equal(sent, 0);
	for (int i = 3; i <= 5; i++) {
		char want[16];

		snprintf(want, sizeof(want), "step %d", i);
		assert_true(outbox_take(&o, &it));
		assert_string_equal(it.data, want);
		free(it.data);
	}
	assert_false(outbox_take(&o, &it));
	/* what is left at release is freed (the sanitizers check) */
	outbox_put(&o, item(6), 7);
	outbox_release(&o);
}

struct server {
	pthread_mutex_t lock;
	int up;          /* takes items */
	int calls;
	char seen[64][16];
	int nseen;
};

static int flaky_send(void *arg, const struct outbox_item *it, char *why, size_t whylen)
{
	struct server *s = arg;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	s->calls++;
	if (!s->up) {
		snprintf(why, whylen, "server down");
		ret = -ECONNREFUSED;
	} else if (s->nseen < 64) {
		snprintf(s->seen[s->nseen++], 16, "%s", it->data);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int nseen(struct server *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->nseen;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/*
 * A server down: puts never wait, the queue stays at its size, the oldest
 * are dropped; back up, the rest arrive in order, the failed one first.
 */
static void test_thread_server_down(void **state)
{
	struct server s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct outbox o;
	unsigned long dropped, sent;
	uint64_t t0, worst = 0;

	(void)state;
	assert_int_equal(outbox_init(&o, "test", 4, flaky_send, &s), 0);
	assert_int_equal(outbox_start(&o), 0);
	for (int i = 1; i <= 20; i++) {
		t0 = clock_mono_ns();
		outbox_put(&o, item(i), 7);
		if (clock_mono_ns() - t0 > worst)
			worst = clock_mono_ns() - t0;
	}
	/* a put takes the lock only: far below a tick, however the server is */
	assert_true(worst < 50000000ULL);
	pthread_mutex_lock(&s.lock);
	s.up = 1;
	pthread_mutex_unlock(&s.lock);
	for (int i = 0; i < 200 && nseen(&s) < 4; i++)
		usleep(50000);  /* the backoff is at most OUTBOX_BACKOFF_MAX_S */
	outbox_counts(&o, &dropped, &sent);
	assert_int_equal(nseen(&s), 4);
	assert_int_equal(sent, 4);
	/* 20 put, 4 kept: 16 dropped, whichever the thread held when it failed */
	assert_int_equal(dropped, 16);
	assert_string_equal(s.seen[3], "step 20");
	for (int i = 1; i < 4; i++)
		assert_true(atoi(s.seen[i - 1] + 5) < atoi(s.seen[i] + 5));
	outbox_release(&o);
}

/* At release, what is queued is sent while the server takes it. */
static void test_release_drains(void **state)
{
	struct server s = { .lock = PTHREAD_MUTEX_INITIALIZER, .up = 1 };
	struct outbox o;

	(void)state;
	assert_int_equal(outbox_init(&o, "test", 8, flaky_send, &s), 0);
	assert_int_equal(outbox_start(&o), 0);
	for (int i = 1; i <= 5; i++)
		outbox_put(&o, item(i), 7);
	outbox_release(&o);
	assert_int_equal(s.nseen, 5);
	assert_string_equal(s.seen[4], "step 5");
}

/* A server away at release: the thread stops after one try, promptly. */
static void test_release_server_down(void **state)
{
	struct server s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct outbox o;
	uint64_t t0;

	(void)state;
	assert_int_equal(outbox_init(&o, "test", 8, flaky_send, &s), 0);
	assert_int_equal(outbox_start(&o), 0);
	for (int i = 1; i <= 5; i++)
		outbox_put(&o, item(i), 7);
	usleep(100000);
	t0 = clock_mono_ns();
	outbox_release(&o);
	assert_true(clock_mono_ns() - t0 < 1000000000ULL);
	assert_int_equal(s.nseen, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_oldest),
		cmocka_unit_test(test_thread_server_down),
		cmocka_unit_test(test_release_drains),
		cmocka_unit_test(test_release_server_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
