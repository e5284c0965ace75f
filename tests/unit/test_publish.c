// SPDX-License-Identifier: MIT
/*
 * Tests of the snapshot publisher (common/publish.c): its contract one
 * step at a time, then under threads: one publisher, several readers, and
 * snapshots that say whether they were freed or changed while held. Built
 * with ThreadSanitizer too (make tsan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/publish.h"
#include "common/publish_i.h"

#define PUBLISHES 200000
#define READERS 3
#define HELD_MAX 8            /* snapshots one reader may hold at once */
#define SEQ_MAX (PUBLISHES + 1)  /* the last one, published once the readers are done */
#define POISON 0xdeadbeefdeadbeefULL

/*
 * A snapshot that checks itself: its sequence number and the number's
 * complement, both poisoned when it is freed. Whether snapshot N was
 * freed is also kept apart from it, in freed[N], where a reader can look
 * even when the memory has been reused.
 */
struct snap {
	struct published pub;
	uint64_t seq;
	uint64_t check;           /* ~seq */
};

static unsigned long allocs, frees;     /* atomic */
static unsigned char freed[SEQ_MAX + 1];  /* atomic, per sequence number */
static unsigned long double_frees;      /* atomic */

static struct snap *snap_new(uint64_t seq)
{
	struct snap *s = malloc(sizeof(*s));

	assert_non_null(s);
	s->seq = seq;
	s->check = ~seq;
	__atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
	return s;
}

static void snap_free(struct published *pub)
{
	struct snap *s = (struct snap *)pub;

	if (s->seq > SEQ_MAX || __atomic_exchange_n(&freed[s->seq], 1, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&double_frees, 1, __ATOMIC_RELAXED);
	s->seq = POISON;
	s->check = POISON;
	__atomic_add_fetch(&frees, 1, __ATOMIC_RELAXED);
	free(s);
}

static void reset_counts(void)
{
	allocs = frees = double_frees = 0;
	memset(freed, 0, sizeof(freed));
}

static bool is_freed(uint64_t seq)
{
	return __atomic_load_n(&freed[seq], __ATOMIC_SEQ_CST) != 0;
}

/* ---- the contract, one step at a time ------------------------------------ */

static void test_get_current(void **state)
{
	struct publisher p;
	struct snap *a, *b;

	(void)state;
	reset_counts();
	publisher_init(&p, &snap_new(0)->pub, snap_free);
	a = (struct snap *)publisher_get(&p);
	assert_int_equal(a->seq, 0);
	publisher_put(&p, &a->pub);
	publisher_publish(&p, &snap_new(1)->pub);
	b = (struct snap *)publisher_get(&p);
	assert_int_equal(b->seq, 1);
	publisher_put(&p, &b->pub);
	/* nobody held 0 when 1 replaced it: freed at that publish */
	assert_true(is_freed(0));
	assert_int_equal(publisher_retired(&p), 0);
	publisher_release(&p);
	assert_true(is_freed(1));
	assert_int_equal(allocs, 2);
	assert_int_equal(frees, 2);
	assert_int_equal(double_frees, 0);
}

/* A held snapshot outlives the publishes after it, until its last reader lets go. */
static void test_held_across_publishes(void **state)
{
	struct publisher p;
	struct snap *held, *twice, *s;

	(void)state;
	reset_counts();
	publisher_init(&p, &snap_new(0)->pub, snap_free);
	held = (struct snap *)publisher_get(&p);
	twice = (struct snap *)publisher_get(&p);
	assert_ptr_equal(held, twice);
	for (uint64_t seq = 1; seq <= 5; seq++)
		publisher_publish(&p, &snap_new(seq)->pub);
	/* 0 is held; 1 to 4 were let go at once */
	assert_false(is_freed(0));
	for (uint64_t seq = 1; seq <= 4; seq++)
		assert_true(is_freed(seq));
	assert_int_equal(publisher_retired(&p), 1);
	assert_int_equal(held->seq, 0);
	assert_int_equal(held->check, ~(uint64_t)0);

	publisher_put(&p, &held->pub);
	publisher_publish(&p, &snap_new(6)->pub);
	assert_false(is_freed(0));  /* one reference left */
	publisher_put(&p, &twice->pub);
	assert_false(is_freed(0));  /* freed at a publish, not by a reader */
	s = (struct snap *)publisher_get(&p);
	publisher_publish(&p, &snap_new(7)->pub);
	assert_true(is_freed(0));
	assert_false(is_freed(6));  /* s holds it */
	assert_int_equal(publisher_retired(&p), 1);
	publisher_put(&p, &s->pub);

	/* release frees what is retired and what is current */
	publisher_release(&p);
	for (uint64_t seq = 0; seq <= 7; seq++)
		assert_true(is_freed(seq));
	assert_int_equal(allocs, 8);
	assert_int_equal(frees, 8);
	assert_int_equal(double_frees, 0);
}

/* ---- under threads -------------------------------------------------------- */

struct reader {
	pthread_t thread;
	struct publisher *p;
	unsigned hold;            /* snapshots held at once, 1 to HELD_MAX */
	bool *stop;               /* atomic */
	unsigned long gets;
	unsigned long torn;       /* seq and check disagreed */
	unsigned long seen_freed; /* a snapshot held was freed */
	unsigned long changed;    /* a snapshot held changed */
	unsigned long backwards;  /* a get returned an older snapshot than the one before */
};

/* Check snapshot @s, got at @seq: whole, not freed, unchanged. */
static void reader_check(struct reader *r, const struct snap *s, uint64_t seq)
{
	if (seq > SEQ_MAX || s->check != ~seq) {
		r->torn++;
		return;
	}
	if (is_freed(seq))
		r->seen_freed++;
	if (s->seq != seq || s->check != ~seq)
		r->changed++;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct snap *held[HELD_MAX] = { 0 };
	uint64_t seqs[HELD_MAX] = { 0 }, last = 0;
	unsigned slot = 0;

	while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE)) {
		struct snap *s = (struct snap *)publisher_get(r->p);
		uint64_t seq = s->seq;

		r->gets++;
		reader_check(r, s, seq);
		if (seq < last)
			r->backwards++;
		last = seq;
		/* held for a while, across publishes: it takes the oldest one's place */
		if (held[slot]) {
			reader_check(r, held[slot], seqs[slot]);
			publisher_put(r->p, &held[slot]->pub);
		}
		held[slot] = s;
		seqs[slot] = seq;
		slot = (slot + 1) % r->hold;
	}
	for (unsigned i = 0; i < r->hold; i++) {
		if (!held[i])
			continue;
		reader_check(r, held[i], seqs[i]);
		publisher_put(r->p, &held[i]->pub);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct reader readers[READERS];
	struct publisher p;
	bool stop = false;
	unsigned long gets = 0;

	(void)state;
	reset_counts();
	publisher_init(&p, &snap_new(0)->pub, snap_free);
	for (unsigned i = 0; i < READERS; i++) {
		readers[i] = (struct reader){ .p = &p, .stop = &stop,
					      .hold = 1 + i * (HELD_MAX - 1) / (READERS - 1) };
		assert_int_equal(pthread_create(&readers[i].thread, NULL, reader_main, &readers[i]), 0);
	}
	/* This thread is the publisher. */
	for (uint64_t seq = 1; seq <= PUBLISHES; seq++)
		publisher_publish(&p, &snap_new(seq)->pub);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < READERS; i++) {
		struct reader *r = &readers[i];

		assert_int_equal(pthread_join(r->thread, NULL), 0);
		printf("reader %u, holding %u: %lu gets\n", i, r->hold, r->gets);
		assert_int_equal(r->torn, 0);
		assert_int_equal(r->seen_freed, 0);
		assert_int_equal(r->changed, 0);
		assert_int_equal(r->backwards, 0);
		gets += r->gets;
	}
	assert_true(gets > 0);

	/* Every reader let go: one more publish frees everything retired. */
	assert_true(__atomic_load_n(&p.taking, __ATOMIC_SEQ_CST) == 0);
	publisher_publish(&p, &snap_new(SEQ_MAX)->pub);
	assert_int_equal(publisher_retired(&p), 0);
	for (uint64_t seq = 0; seq < SEQ_MAX; seq++)
		if (!is_freed(seq))
			fail_msg("snapshot %llu not freed", (unsigned long long)seq);
	publisher_release(&p);
	assert_true(is_freed(SEQ_MAX));
	/* every snapshot freed, and freed once */
	assert_int_equal(allocs, SEQ_MAX + 1);
	assert_int_equal(frees, SEQ_MAX + 1);
	assert_int_equal(double_frees, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_current),
		cmocka_unit_test(test_held_across_publishes),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
