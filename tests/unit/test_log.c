// SPDX-License-Identifier: MIT
/*
 * Tests of logging (common/log.c): levels, and complaints: the first one
 * logged at once, repeats held back for a growing interval and counted,
 * the return to normal logged once. What is logged is read back from
 * standard error; time is moved by setting back when a complaint was last
 * logged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "tests/lib/fixture.h"

#define COMPLAINT_MAX_INTERVAL (24 * 3600)

static struct fixture_capture capture;

static void capture_start(void **state)
{
	assert_int_equal(fixture_capture_start(&capture, STDERR_FILENO, *state), 0);
}

/* What was logged since capture_start(), compared whole with @want. */
static void capture_check(const char *want)
{
	char *text = fixture_capture_end(&capture);

	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
}

static int setup(void **state)
{
	log_set_program("test");
	log_set_level(LOG_LEVEL_INFO);
	return fixture_setup_dir(state);
}

/* Standard error is the journal when JOURNAL_STREAM names it: priorities. */
static void test_journal_priorities(void **state)
{
	struct stat st;
	char stream[64];

	capture_start(state);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", stream, 1);
	log_set_program("test");
	log_error(-1, "bad");
	log_warning("careful");
	log_info("hello");
	/* another stream's: not ours */
	snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", stream, 1);
	log_set_program("test");
	log_info("plain");
	unsetenv("JOURNAL_STREAM");
	log_set_program("test");
	capture_check("<3>test: error: bad\n"
		      "<4>test: warning: careful\n"
		      "<6>test: info: hello\n"
		      "test: info: plain\n");
}

static void test_levels(void **state)
{
	capture_start(state);
	log_info("hello %s", "there");
	log_debug("not shown");
	log_warning("careful");
	assert_int_equal(log_error(-5, "failed '%s'", "x"), -5);
	capture_check("test: info: hello there\n"
		      "test: warning: careful\n"
		      "test: error: failed 'x'\n");

	log_set_level(LOG_LEVEL_DEBUG);
	capture_start(state);
	log_debug("now shown");
	capture_check("test: debug: now shown\n");

	log_set_level(LOG_LEVEL_ERROR);
	capture_start(state);
	log_warning("dropped");
	log_info("dropped");
	log_msg(LOG_LEVEL_ERROR, "kept");
	capture_check("test: error: kept\n");
}

/* A control character in a message (a name from a guest or a hook) is shown, not obeyed. */
static void test_control_characters_escaped(void **state)
{
	capture_start(state);
	log_warning("domain '%s' started", "evil\nvpowercapd: error: forged\r\x1b[2J\x7f");
	log_info("caf\xc3\xa9 and tabs\tstay readable");
	capture_check("test: warning: domain 'evil\\x0avpowercapd: error: forged\\x0d\\x1b[2J\\x7f' started\n"
		      "test: info: caf\xc3\xa9 and tabs\\x09stay readable\n");
}

static void test_complaint_first_logged(void **state)
{
	struct complaint c = COMPLAINT_INIT;

	assert_false(complaint_active(&c));
	capture_start(state);
	complain(&c, LOG_LEVEL_WARNING, "zone '%s' unreadable", "intel-rapl:0");
	capture_check("test: warning: zone 'intel-rapl:0' unreadable\n");
	assert_true(complaint_active(&c));
	assert_int_equal(c.interval, 60);
	assert_int_equal(c.suppressed, 0);

	/* complaints are counted apart: another one is logged too */
	{
		struct complaint other = COMPLAINT_INIT;

		capture_start(state);
		complain(&other, LOG_LEVEL_ERROR, "vm '%s' vanished", "web");
		capture_check("test: error: vm 'web' vanished\n");
	}
}

#define UNREADABLE "test: warning: zone 'intel-rapl:0' unreadable"

/* Complain of @c again, @ago seconds after it was last logged: @want is logged. */
static void complain_after(void **state, struct complaint *c, time_t ago, const char *want)
{
	if (ago >= 0)
		c->last = time(NULL) - ago;
	capture_start(state);
	complain(c, LOG_LEVEL_WARNING, "zone '%s' unreadable", "intel-rapl:0");
	capture_check(want);
}

static void test_complaint_repeats_held_back(void **state)
{
	struct complaint c = COMPLAINT_INIT;

	complain_after(state, &c, -1, UNREADABLE "\n");
	for (int i = 0; i < 5; i++)
		complain_after(state, &c, -1, "");
	assert_int_equal(c.suppressed, 5);

	/* half the interval later: still held back */
	complain_after(state, &c, 30, "");
	assert_int_equal(c.suppressed, 6);

	/* the interval passed: logged, with what was held back, and the next wait doubles */
	complain_after(state, &c, 60, UNREADABLE " (6 more since last report)\n");
	assert_int_equal(c.suppressed, 0);
	assert_int_equal(c.interval, 120);
	complain_after(state, &c, 60, "");
	complain_after(state, &c, 120, UNREADABLE " (1 more since last report)\n");
	assert_int_equal(c.interval, 240);

	/* nothing held back since: no count */
	complain_after(state, &c, 240, UNREADABLE "\n");
}

/* The interval doubles up to a day and then stops growing. */
static void test_complaint_interval_capped(void **state)
{
	struct complaint c = COMPLAINT_INIT;
	unsigned last = 0;
	int lines = 0;
	char *text;

	capture_start(state);
	complain(&c, LOG_LEVEL_WARNING, "down");
	for (int i = 0; i < 30; i++) {
		last = c.interval;
		c.last = time(NULL) - (time_t)c.interval;
		complain(&c, LOG_LEVEL_WARNING, "down");
		assert_true(c.interval >= last);
	}
	/* each repeat waited out its interval: every one logged, none held back */
	text = fixture_capture_end(&capture);
	assert_non_null(text);
	for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
		assert_int_equal(strncmp(line, "test: warning: down\n", 20), 0);
		lines++;
	}
	free(text);
	assert_int_equal(lines, 31);
	assert_int_equal(c.interval, last);
	assert_true(c.interval >= COMPLAINT_MAX_INTERVAL);
	assert_true(c.interval < 2 * COMPLAINT_MAX_INTERVAL);
}

static void test_complaint_release_logged_once(void **state)
{
	struct complaint c = COMPLAINT_INIT;

	capture_start(state);
	complain(&c, LOG_LEVEL_WARNING, "source away");
	complain(&c, LOG_LEVEL_WARNING, "source away");
	capture_check("test: warning: source away\n");
	capture_start(state);
	complaint_release(&c, "source back after %d ticks", 2);
	complaint_release(&c, "source back after %d ticks", 3);
	capture_check("test: info: source back after 2 ticks\n");
	assert_false(complaint_active(&c));
	assert_int_equal(c.suppressed, 0);

	/* a new complaint starts afresh: at once, nothing held back, the shortest wait */
	capture_start(state);
	complain(&c, LOG_LEVEL_WARNING, "source away");
	capture_check("test: warning: source away\n");
	assert_int_equal(c.interval, 60);
}

static void test_release_without_complaint(void **state)
{
	struct complaint c = COMPLAINT_INIT;

	capture_start(state);
	complaint_release(&c, "all is well");
	capture_check("");
	assert_false(complaint_active(&c));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_levels),
		T(test_control_characters_escaped),
		T(test_journal_priorities),
		T(test_complaint_first_logged),
		T(test_complaint_repeats_held_back),
		T(test_complaint_interval_capped),
		T(test_complaint_release_logged_once),
		T(test_release_without_complaint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
