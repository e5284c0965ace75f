// SPDX-License-Identifier: MIT
/*
 * Tests of the channel's frames (common/channel.c) and of the guest's tree
 * kept from them (guest/channel_tree.c): encoding and decoding, frames
 * cut, damaged or hostile, and counters that never go back when the
 * sender changes (a migration, a host whose counters restarted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/channel.h"
#include "guest/channel_tree.h"

#define RANGE UINT64_C(262143328850)

static struct channel_frame frame(const char *host, uint64_t epoch, uint64_t pkg, uint64_t dram)
{
	struct channel_frame f = { .epoch = epoch, .time_ms = 1700000000000, .nzones = 2 };

	snprintf(f.host, sizeof(f.host), "%s", host);
	f.zones[0] = (struct channel_zone){ "intel-rapl:0", "package-0", RANGE, pkg };
	f.zones[1] = (struct channel_zone){ "intel-rapl:0:0", "dram", RANGE, dram };
	return f;
}

/* Feed @len bytes of @buf to @r in pieces of @piece; count what comes out. */
static int feed(struct channel_reader *r, const char *buf, size_t len, size_t piece, struct channel_frame *last,
		int *refused)
{
	int frames = 0;

	for (size_t off = 0; off < len;) {
		size_t room, n;
		char *space = channel_reader_space(r, &room);
		struct channel_frame f;
		char why[160];
		int ret;

		n = len - off < piece ? len - off : piece;
		n = n < room ? n : room;
		memcpy(space, buf + off, n);
		channel_reader_add(r, n);
		off += n;
		while ((ret = channel_reader_next(r, &f, why, sizeof(why))) != 0) {
			if (ret > 0) {
				frames++;
				*last = f;
			} else {
				(*refused)++;
			}
		}
	}
	return frames;
}

static void test_round_trip(void **state)
{
	struct channel_frame f = frame("host-a.example", 42, 123456, RANGE), g;
	char buf[CHANNEL_FRAME_MAX];
	static struct channel_reader r;
	int n, refused = 0;

	(void)state;
	n = channel_encode(&f, buf, sizeof(buf));
	assert_true(n > 0);
	assert_memory_equal(buf, "VPC1 ", 5);
	/* byte by byte, and whole */
	assert_int_equal(feed(&r, buf, (size_t)n, 1, &g, &refused), 1);
	assert_int_equal(refused, 0);
	assert_string_equal(g.host, "host-a.example");
	assert_int_equal(g.epoch, 42);
	assert_int_equal(g.time_ms, f.time_ms);
	assert_int_equal(g.nzones, 2);
	assert_string_equal(g.zones[1].id, "intel-rapl:0:0");
	assert_string_equal(g.zones[1].name, "dram");
	assert_int_equal(g.zones[0].energy_uj, 123456);
	assert_int_equal(g.zones[1].energy_uj, RANGE);
	assert_int_equal(g.zones[1].max_energy_range_uj, RANGE);
	assert_int_equal(r.frames, 1);
	assert_int_equal(r.len, 0);
}

static void test_encode_refuses(void **state)
{
	char buf[CHANNEL_FRAME_MAX];
	struct channel_frame f;

	(void)state;
	f = frame("bad host", 1, 1, 1);
	assert_int_equal(channel_encode(&f, buf, sizeof(buf)), -EINVAL);
	f = frame("h", 1, RANGE + 1, 1);
	assert_int_equal(channel_encode(&f, buf, sizeof(buf)), -EINVAL);
	f = frame("h", 1, 1, 1);
	memcpy(&f.zones[0], &f.zones[1], sizeof(f.zones[0]));  /* a subzone with no parent */
	assert_int_equal(channel_encode(&f, buf, sizeof(buf)), -EINVAL);
	f = frame("h", 1, 1, 1);
	assert_int_equal(channel_encode(&f, buf, 20), -ENOSPC);
}

/*
 * The tree server's frames (one layout, many counters) are the frames of
 * channel_encode(), byte for byte, and they decode; a counter beyond its
 * zone's range is refused there too.
 */
static void test_encoder_many_frames(void **state)
{
	struct channel_frame f = frame("host-a", 7, 0, 0), g;
	struct channel_encoder e;
	char a[CHANNEL_FRAME_MAX], b[CHANNEL_FRAME_MAX];
	static struct channel_reader r;
	const uint64_t values[][2] = { { 0, 0 }, { 9, 10 }, { 123456789, RANGE }, { RANGE, 1 } };
	int refused = 0;

	(void)state;
	assert_int_equal(channel_encoder_init(&e, &f), 0);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		int n, m;

		f.time_ms = 1700000000000 + i;
		f.zones[0].energy_uj = values[i][0];
		f.zones[1].energy_uj = values[i][1];
		n = channel_encode(&f, a, sizeof(a));
		m = channel_encoder_frame(&e, f.time_ms, values[i], b, sizeof(b));
		assert_true(n > 0);
		assert_int_equal(m, n);
		assert_memory_equal(a, b, (size_t)n);
		assert_int_equal(feed(&r, b, (size_t)m, 7, &g, &refused), 1);
		assert_int_equal(g.zones[0].energy_uj, values[i][0]);
		assert_int_equal(g.zones[1].energy_uj, values[i][1]);
		assert_int_equal(g.time_ms, f.time_ms);
	}
	assert_int_equal(refused, 0);
	assert_int_equal(channel_encoder_frame(&e, 1, (uint64_t[]){ RANGE + 1, 0 }, b, sizeof(b)), -EINVAL);
	assert_int_equal(channel_encoder_frame(&e, 1, (uint64_t[]){ 1, 1 }, b, 40), -ENOSPC);
	f = frame("bad host", 1, 0, 0);
	assert_int_equal(channel_encoder_init(&e, &f), -EINVAL);
}

/* A reader that starts in the middle of a frame skips to the next one. */
static void test_resync_mid_frame(void **state)
{
	struct channel_frame a = frame("h", 1, 10, 20), b = frame("h", 1, 30, 40), g;
	char buf[2 * CHANNEL_FRAME_MAX];
	static struct channel_reader r;
	int n, m, refused = 0;

	(void)state;
	n = channel_encode(&a, buf, sizeof(buf));
	m = channel_encode(&b, buf + n, sizeof(buf) - (size_t)n);
	for (int cut = 1; cut < n; cut++) {
		memset(&r, 0, sizeof(r));
		refused = 0;
		assert_int_equal(feed(&r, buf + cut, (size_t)(n - cut + m), 7, &g, &refused), 1);
		assert_int_equal(g.zones[0].energy_uj, 30);
	}
}

/* Damaged frames are refused whole and counted; the next one is taken. */
static void test_damaged_refused(void **state)
{
	struct channel_frame a = frame("h", 1, 10, 20), b = frame("h", 1, 30, 40), g;
	char buf[2 * CHANNEL_FRAME_MAX];
	static struct channel_reader r;
	int n, m, refused;

	(void)state;
	n = channel_encode(&a, buf, sizeof(buf));
	m = channel_encode(&b, buf + n, sizeof(buf) - (size_t)n);
	for (int at = 0; at < n; at++) {
		char saved = buf[at];

		buf[at] = buf[at] == '7' ? '8' : '7';
		memset(&r, 0, sizeof(r));
		refused = 0;
		g = (struct channel_frame){ 0 };
		int frames = feed(&r, buf, (size_t)(n + m), 64, &g, &refused);
		/* the damaged one never comes out; the next one always does */
		assert_true(frames >= 1);
		assert_int_equal(g.zones[0].energy_uj, 30);
		assert_int_equal(frames, 1);
		buf[at] = saved;
	}
}

/* Payloads that are well framed but unsound are refused with a reason. */
static void test_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"host h\nepoch 1\n",                                         /* no time */
		"host h\nepoch 1\ntime 1\nzone intel-rapl:0 package-0 10 11\n", /* beyond range */
		"host h\nepoch 1\ntime 1\nzone intel-rapl:0:1 dram 10 1\n",  /* no parent */
		"host h\nepoch 1\ntime 1\nzone intel-rapl:0 p 0 1\nzone intel-rapl:0 p 0 1\n", /* twice */
		"host h\nepoch 01\ntime 1\n",                                /* leading zero */
		"host h\nepoch 18446744073709551616\ntime 1\n",              /* overflow */
		"host h\nepoch 1\ntime 1\nzone ../x p 0 1\n",                /* a path */
		"host h\nepoch 1\ntime 1\nzone intel-rapl:0 ../p 0 1\n",
		"host h\nepoch 1\ntime 1\nzone intel-rapl:0 p 0 1 \n",       /* trailing space */
		"host h\nhost h\nepoch 1\ntime 1\n",
		"host h\nepoch 1\ntime 1\nfoo\n",
		"host h\nepoch 1\ntime 1",                                   /* no end of line */
		"host h/x\nepoch 1\ntime 1\n",
		"host h\nepoch 1\ntime 1\nzone intel-rapl:123456789 p 0 1\n",
	};
	struct channel_frame f;
	char why[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(channel_parse(bad[i], strlen(bad[i]), &f, why, sizeof(why)), -EINVAL);
		assert_true(why[0] != '\0');
	}
	assert_int_equal(channel_parse("host h\nepoch 0\ntime 0\n", 22, &f, why, sizeof(why)), 0);
	assert_int_equal(f.nzones, 0);
}

/* Garbage of any kind never stops the reader nor overflows it. */
static void test_garbage(void **state)
{
	static struct channel_reader r;
	struct channel_frame g, a = frame("h", 9, 5, 6);
	char buf[20000];
	int refused = 0, n;

	(void)state;
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i % 97 == 0 ? 'V' : rand());
	memcpy(buf + 100, "VPC1 4096 00000000\n", 19);
	assert_int_equal(feed(&r, buf, sizeof(buf), 333, &g, &refused), 0);
	n = channel_encode(&a, buf, sizeof(buf));
	assert_int_equal(feed(&r, buf, (size_t)n, 333, &g, &refused), 1);
	assert_int_equal(g.epoch, 9);
	assert_true(r.skipped > 0);
}

static char *tree_dir(void)
{
	char tmpl[] = "/tmp/vpowercap-test-channel.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static uint64_t read_value(const char *dir, const char *rel)
{
	char path[4096];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu", &v), 1);
	fclose(f);
	return v;
}

static void remove_tree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The tree's layout and values, and a wrap that the guest sees as one. */
static void test_tree_layout_and_wrap(void **state)
{
	static struct channel_tree t;
	char *dir = tree_dir(), link[4200], target[256];
	struct channel_frame f = frame("a", 1, 1000, 50);
	struct stat st;
	ssize_t n;

	(void)state;
	assert_int_equal(channel_tree_open(&t, dir), 0);
	assert_int_equal(channel_tree_apply(&t, &f), 0);
	assert_int_equal(read_value(dir, "intel-rapl:0/energy_uj"), 1000);
	assert_int_equal(read_value(dir, "intel-rapl/intel-rapl:0/intel-rapl:0:0/energy_uj"), 50);
	assert_int_equal(read_value(dir, "intel-rapl/intel-rapl:0/max_energy_range_uj"), RANGE);
	assert_int_equal(read_value(dir, "intel-rapl/enabled"), 1);
	snprintf(link, sizeof(link), "%s/intel-rapl:0:0", dir);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "intel-rapl/intel-rapl:0/intel-rapl:0:0");
	snprintf(link, sizeof(link), "%s/intel-rapl/intel-rapl:0/energy_uj", dir);
	assert_int_equal(stat(link, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	/* the host's counter wraps: the guest's moves on by the same amount */
	f = frame("a", 1, RANGE - 10, 60);
	assert_int_equal(channel_tree_apply(&t, &f), 0);
	f = frame("a", 1, 5, 70);
	assert_int_equal(channel_tree_apply(&t, &f), 0);
	assert_int_equal(read_value(dir, "intel-rapl:0/energy_uj"), 5);  /* RANGE - 10, then 15 on */
	assert_int_equal(read_value(dir, "intel-rapl:0:0/energy_uj"), 70);
	remove_tree(dir);
	free(dir);
}

/* Another host (a migration) or another epoch: no step back, no phantom. */
static void test_tree_sender_changes(void **state)
{
	static struct channel_tree t;
	char *dir = tree_dir();
	struct channel_frame f;

	(void)state;
	assert_int_equal(channel_tree_open(&t, dir), 0);
	f = frame("src", 1, 1000000, 500);
	channel_tree_apply(&t, &f);
	f = frame("src", 1, 1000400, 520);
	channel_tree_apply(&t, &f);
	/* the destination's counters for this VM start low */
	f = frame("dst", 7, 500, 3);
	channel_tree_apply(&t, &f);
	assert_int_equal(t.zones[0].energy_uj, 1000400);
	assert_int_equal(t.zones[1].energy_uj, 520);
	f = frame("dst", 7, 800, 13);
	channel_tree_apply(&t, &f);
	assert_int_equal(read_value(dir, "intel-rapl:0/energy_uj"), 1000700);
	assert_int_equal(read_value(dir, "intel-rapl:0:0/energy_uj"), 530);
	/* back to the source, whose counters went on meanwhile */
	f = frame("src", 1, 9000000, 900);
	channel_tree_apply(&t, &f);
	f = frame("src", 1, 9000100, 901);
	channel_tree_apply(&t, &f);
	assert_int_equal(t.zones[0].energy_uj, 1000800);
	/* the same host with its counters reset: a new epoch */
	f = frame("src", 2, 0, 0);
	channel_tree_apply(&t, &f);
	f = frame("src", 2, 50, 1);
	channel_tree_apply(&t, &f);
	assert_int_equal(t.zones[0].energy_uj, 1000850);
	assert_int_equal(t.senders, 3);
	remove_tree(dir);
	free(dir);
}

/* A host lacking a zone leaves it standing; new zones never appear. */
static void test_tree_layout_kept(void **state)
{
	static struct channel_tree t;
	char *dir = tree_dir(), path[4200];
	struct channel_frame f = frame("two-sockets", 1, 100, 10);

	(void)state;
	f.zones[2] = (struct channel_zone){ "intel-rapl:1", "package-1", RANGE, 300 };
	f.nzones = 3;
	assert_int_equal(channel_tree_open(&t, dir), 0);
	channel_tree_apply(&t, &f);
	f.zones[2].energy_uj = 400;
	f.zones[0].energy_uj = 150;
	channel_tree_apply(&t, &f);
	assert_int_equal(read_value(dir, "intel-rapl:1/energy_uj"), 400);
	/* an AMD host: package and core only */
	f = frame("amd", 1, 7, 0);
	snprintf(f.zones[1].name, sizeof(f.zones[1].name), "core");
	channel_tree_apply(&t, &f);
	f.zones[0].energy_uj = 17;
	f.zones[1].energy_uj = 5;
	channel_tree_apply(&t, &f);
	assert_int_equal(read_value(dir, "intel-rapl:0/energy_uj"), 160);
	assert_int_equal(read_value(dir, "intel-rapl:0:0/energy_uj"), 10);  /* dram stands still */
	assert_int_equal(read_value(dir, "intel-rapl:1/energy_uj"), 400);
	snprintf(path, sizeof(path), "%s/intel-rapl:0:0/name", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(t.nzones, 3);
	remove_tree(dir);
	free(dir);
}

/* A restarted reader goes on from the values left in the tree. */
static void test_tree_read_back(void **state)
{
	static struct channel_tree t, u;
	char *dir = tree_dir();
	struct channel_frame f = frame("a", 1, 1000, 50);

	(void)state;
	assert_int_equal(channel_tree_open(&t, dir), 0);
	channel_tree_apply(&t, &f);
	f = frame("a", 1, 2000, 60);
	channel_tree_apply(&t, &f);
	assert_int_equal(channel_tree_open(&u, dir), 0);
	assert_int_equal(u.nzones, 2);
	assert_string_equal(u.zones[1].name, "dram");
	/* the host's counters went back (a reset its epoch did not say): none */
	f = frame("a", 1, 10, 1);
	channel_tree_apply(&u, &f);
	f = frame("a", 1, 20, 2);
	channel_tree_apply(&u, &f);
	assert_int_equal(read_value(dir, "intel-rapl:0/energy_uj"), 2010);
	assert_int_equal(read_value(dir, "intel-rapl:0:0/energy_uj"), 61);
	remove_tree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_encoder_many_frames),
		cmocka_unit_test(test_resync_mid_frame),
		cmocka_unit_test(test_damaged_refused),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_tree_layout_and_wrap),
		cmocka_unit_test(test_tree_sender_changes),
		cmocka_unit_test(test_tree_layout_kept),
		cmocka_unit_test(test_tree_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
