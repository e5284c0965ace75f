// SPDX-License-Identifier: MIT
/*
 * Tests of the tree server's open file handles (fuse/fusefs_handles.c): a
 * handle's state outlives its release while a call still uses it (the
 * kernel sends a release while a read of a killed reader is being
 * answered), is freed exactly once, and a handle of a slot given to
 * another file since, or of another server, finds no state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuse/fusefs_i.h"

struct state {
	int in_use;      /* atomic: calls using it now */
	int released;    /* atomic */
	bool bad;        /* released while in use */
};

static void release(void *p)
{
	struct state *st = p;

	if (__atomic_load_n(&st->in_use, __ATOMIC_SEQ_CST))
		st->bad = true;
	__atomic_add_fetch(&st->released, 1, __ATOMIC_SEQ_CST);
}

static void test_release_waits_for_calls(void **unused)
{
	struct handles h = { 0 };
	struct state st = { 0 };
	uint64_t fh;

	(void)unused;
	handles_init(&h);
	fh = handle_put(&h, &st, release);
	assert_true(fh != 0);
	assert_ptr_equal(handle_get(&h, fh), &st);
	assert_ptr_equal(handle_get(&h, fh), &st);
	handle_drop(&h, fh);
	assert_int_equal(st.released, 0);        /* two calls still use it */
	assert_null(handle_get(&h, fh));         /* released: no new call takes it */
	handle_drop(&h, fh);                     /* a second release changes nothing */
	handle_unget(&h, fh);
	assert_int_equal(st.released, 0);
	handle_unget(&h, fh);
	assert_int_equal(st.released, 1);
	handle_unget(&h, fh);                    /* one too many: nothing to give back */
	assert_int_equal(st.released, 1);
	handles_release(&h);
	assert_int_equal(st.released, 1);
}

static void test_stale_and_foreign(void **unused)
{
	struct handles h = { 0 };
	struct state a = { 0 }, b = { 0 };
	uint64_t fa, fb;

	(void)unused;
	handles_init(&h);
	fa = handle_put(&h, &a, release);
	handle_drop(&h, fa);
	assert_int_equal(a.released, 1);
	fb = handle_put(&h, &b, release);
	assert_true((fb & ((1u << HANDLE_SLOT_BITS) - 1)) == (fa & ((1u << HANDLE_SLOT_BITS) - 1)));  /* same slot */
	assert_true(fb != fa);
	assert_null(handle_get(&h, fa));         /* the slot's file before */
	handle_drop(&h, fa);
	assert_int_equal(b.released, 0);
	assert_ptr_equal(handle_get(&h, fb), &b);
	handle_unget(&h, fb);
	assert_null(handle_get(&h, fb ^ (1ull << 40)));  /* another server's instance */
	assert_null(handle_get(&h, 0));
	handles_release(&h);                     /* b still open: freed with the table */
	assert_int_equal(b.released, 1);
}

struct race {
	struct handles *h;
	uint64_t fh;
	struct state *st;
	int gets;
};

static void *caller(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 20000; i++) {
		struct state *st = handle_get(r->h, r->fh);

		if (!st)
			break;
		__atomic_add_fetch(&st->in_use, 1, __ATOMIC_SEQ_CST);
		r->gets++;
		__atomic_sub_fetch(&st->in_use, 1, __ATOMIC_SEQ_CST);
		handle_unget(r->h, r->fh);
	}
	return NULL;
}

/* Four threads read a handle as it is released: freed once, never in use. */
static void test_release_during_reads(void **unused)
{
	struct handles h = { 0 };

	(void)unused;
	handles_init(&h);
	for (int round = 0; round < 50; round++) {
		struct state st = { 0 };
		struct race r[4];
		pthread_t t[4];
		uint64_t fh = handle_put(&h, &st, release);

		for (int k = 0; k < 4; k++) {
			r[k] = (struct race){ .h = &h, .fh = fh, .st = &st };
			assert_int_equal(pthread_create(&t[k], NULL, caller, &r[k]), 0);
		}
		handle_drop(&h, fh);
		for (int k = 0; k < 4; k++)
			pthread_join(t[k], NULL);
		assert_int_equal(st.released, 1);
		assert_false(st.bad);
	}
	handles_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_waits_for_calls),
		cmocka_unit_test(test_stale_and_foreign),
		cmocka_unit_test(test_release_during_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
