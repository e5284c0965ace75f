// SPDX-License-Identifier: MIT
/* Tests of the /proc readers and the process table (common/proc.c) on fixture trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/lib/fixture.h"
#include "common/proc_i.h"

#define OK(call) assert_int_equal((call), 0)

static const struct process *find(const struct proc_table *t, pid_t pid)
{
	for (size_t i = 0; i < t->ncur; i++)
		if (t->cur[i].stat.pid == pid)
			return &t->cur[i];
	return NULL;
}

/* The delta of @pid, which must be in the latest scan. */
static uint64_t delta_of(const struct proc_table *t, pid_t pid)
{
	const struct process *p = find(t, pid);

	if (!p)
		fail_msg("pid %d not in the scan", (int)pid);
	return p->delta;
}

static void assert_sorted(const struct proc_table *t)
{
	for (size_t i = 1; i < t->ncur; i++)
		assert_true(t->cur[i - 1].stat.pid < t->cur[i].stat.pid);
}

/* --- /proc/stat -------------------------------------------------------- */

static void test_parse_stat(void **state)
{
	static const char text[] =
		"cpu  10 20 30 400 50 6 7 8 9 10\n"
		"cpu0 5 10 15 200 25 3 3 4 4 5\n"
		"cpu1 5 10 15 200 25 3 4 4 5 5\n"
		"intr 12345 0 0\n"
		"ctxt 999\n"
		"btime 1700000000\n"
		"processes 100\n"
		"procs_running 1\n"
		"procs_blocked 0\n"
		"softirq 1 2 3\n";
	struct cpu_times t;

	(void)state;
	OK(proc_parse_stat(text, &t));
	/* user+nice+system+irq+softirq+steal; guest is already inside user. */
	assert_int_equal(t.busy, 10 + 20 + 30 + 6 + 7 + 8);
	assert_int_equal(t.total, t.busy + 400 + 50);
	assert_int_equal(t.ncpu, 2);
}

static void test_parse_stat_variants(void **state)
{
	struct cpu_times t;

	(void)state;
	/* Old kernels: only user nice system idle. No cpuN lines: one CPU. */
	OK(proc_parse_stat("cpu 1 2 3 4\n", &t));
	assert_int_equal(t.busy, 6);
	assert_int_equal(t.total, 10);
	assert_int_equal(t.ncpu, 1);
	/* No final newline; many CPUs, numbered past 9. */
	{
		char text[4096];
		size_t len = (size_t)snprintf(text, sizeof(text), "cpu  1 1 1 1 1 1 1 1 0 0");

		for (int i = 0; i < 12; i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"\ncpu%d 0 0 0 0 0 0 0 0 0 0", i);
		OK(proc_parse_stat(text, &t));
		assert_int_equal(t.busy, 6);
		assert_int_equal(t.total, 8);
		assert_int_equal(t.ncpu, 12);
	}
	/* Large counters (a long-running big machine). */
	OK(proc_parse_stat("cpu  100000000000 0 0 900000000000 0 0 0 0 0 0\ncpu0 1\n", &t));
	assert_int_equal(t.busy, 100000000000);
	assert_int_equal(t.total, 1000000000000);
	assert_int_equal(t.ncpu, 1);
}

static void test_parse_stat_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"intr 1 2 3\nctxt 4\n",
		"cpu0 1 2 3 4\n",
		"cpu x y z w\n",
		"cpu 1 2 3\n",
		"cpux 1 2 3 4\n",
	};
	struct cpu_times t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proc_parse_stat(bad[i], &t) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i]);
}

static void test_read_stat(void **state)
{
	const char *root = *state;
	struct proc_table table;
	struct cpu_times t;

	OK(fixture_proc_stat_times(root, 4, 1000, 10, 300, 5000, 40, 20, 30, 5));
	OK(proc_table_init(&table, root));
	OK(proc_table_read_stat(&table, &t, NULL, 0));
	assert_int_equal(t.busy, 1000 + 10 + 300 + 20 + 30 + 5);
	assert_int_equal(t.total, t.busy + 5000 + 40);
	assert_int_equal(t.ncpu, 4);
	/* the descriptor kept open reads the file as it is now */
	OK(fixture_proc_stat_times(root, 4, 2000, 10, 300, 6000, 40, 20, 30, 5));
	OK(proc_table_read_stat(&table, &t, NULL, 0));
	assert_int_equal(t.busy, 2000 + 10 + 300 + 20 + 30 + 5);
	assert_int_equal(t.total, t.busy + 6000 + 40);
	proc_table_release(&table);
	assert_true(proc_clock_ticks() > 0);
	assert_int_equal(proc_clock_ticks(), sysconf(_SC_CLK_TCK));
}

/* --- /proc/<pid>/stat -------------------------------------------------- */

/* A real line's layout with @comm, utime 11, stime 22, starttime 333. */
static void pid_line(char *buf, size_t size, const char *head)
{
	snprintf(buf, size, "%s S 1 123 123 0 -1 4194560 100 0 0 0 11 22 0 0 20 0 1 0 333 "
		 "1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n", head);
}

/* Each CPU's busy time by its number; offline CPUs have no line. */
static void test_parse_stat_cpus(void **state)
{
	const char *text = "cpu  30 0 30 100 0 0 0 0 0 0\n"
			   "cpu0 10 0 10 50 0 0 0 0 0 0\n"
			   "cpu2 20 1 20 50 3 4 5 6 0 0\n"
			   "cpu9 1 1 1 1\n"
			   "intr 1 2 3\n";
	uint64_t busy[4];
	struct cpu_times t;

	(void)state;
	OK(proc_parse_stat_cpus(text, &t, busy, 4));
	assert_int_equal(t.busy, 60);
	assert_int_equal(t.ncpu, 3);
	assert_int_equal(busy[0], 20);
	assert_true(busy[1] == PROC_CPU_ABSENT);
	assert_int_equal(busy[2], 20 + 1 + 20 + 4 + 5 + 6);
	assert_true(busy[3] == PROC_CPU_ABSENT);
}

/* The CPU a task last ran on (field 39), and a line that stops short of it. */
static void test_parse_pid_stat_processor(void **state)
{
	struct pid_stat st;
	char line[512];

	(void)state;
	pid_line(line, sizeof(line), "123 (qemu)");
	OK(proc_parse_pid_stat(line, &st));
	assert_int_equal(st.processor, 0);
	OK(proc_parse_pid_stat("7 (x) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 99 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
			       "17 13 0 0\n", &st));
	assert_int_equal(st.processor, 13);
	assert_int_equal(st.cpu, 11);
	OK(proc_parse_pid_stat("7 (x) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 99\n", &st));
	assert_int_equal(st.processor, -1);
	assert_int_equal(st.starttime, 99);
	/* a field past starttime that is not a number ends the line there */
	OK(proc_parse_pid_stat("7 (x) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 99 0 0 0 x 0 0 0 0 0 0 0 0 0 0 0 "
			       "17 13 0 0\n", &st));
	assert_int_equal(st.processor, -1);
	assert_int_equal(st.cpu, 11);
	/* a negative CPU is none */
	OK(proc_parse_pid_stat("7 (x) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 99 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
			       "17 -1 0 0\n", &st));
	assert_int_equal(st.processor, -1);
	/* any whitespace between fields, as sscanf took it */
	OK(proc_parse_pid_stat("7 (x)\tS  1 1 1 0 -1 0 0 0 0 0\t5  6 0 0 20 0 1 0 99", &st));
	assert_int_equal(st.cpu, 11);
	assert_int_equal(st.starttime, 99);
}

static void test_parse_pid_stat(void **state)
{
	struct pid_stat st;
	char line[512];

	(void)state;
	pid_line(line, sizeof(line), "123 (bash)");
	OK(proc_parse_pid_stat(line, &st));
	assert_int_equal(st.pid, 123);
	assert_string_equal(st.comm, "bash");
	assert_int_equal(st.cpu, 33);
	assert_int_equal(st.starttime, 333);

	pid_line(line, sizeof(line), "4567 (Web Content)");
	OK(proc_parse_pid_stat(line, &st));
	assert_int_equal(st.pid, 4567);
	assert_string_equal(st.comm, "Web Content");

	/* comm runs from the first '(' to the last ')'. */
	pid_line(line, sizeof(line), "123 (a) b (c))");
	OK(proc_parse_pid_stat(line, &st));
	assert_string_equal(st.comm, "a) b (c)");
	assert_int_equal(st.cpu, 33);
	assert_int_equal(st.starttime, 333);

	pid_line(line, sizeof(line), "9 ()");
	OK(proc_parse_pid_stat(line, &st));
	assert_string_equal(st.comm, "");

	pid_line(line, sizeof(line), "10 ( ) R 1 ( )");
	OK(proc_parse_pid_stat(line, &st));
	assert_string_equal(st.comm, " ) R 1 ( ");
}

static void test_parse_pid_stat_fields(void **state)
{
	/* A real line from Linux 6.1, with a zombie child's times and a big starttime. */
	static const char line[] =
		"2145 (kworker/u16:3-events_unbound) I 2 0 0 0 -1 69238880 0 0 0 0 "
		"4711 815 9 10 20 0 1 0 123456789012 0 0 18446744073709551615 0 0 0 0 0 0 0 "
		"2147483647 0 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
	struct pid_stat st;

	(void)state;
	OK(proc_parse_pid_stat(line, &st));
	assert_int_equal(st.pid, 2145);
	assert_string_equal(st.comm, "kworker/u16:3-events_unbound");
	/* cutime and cstime (9, 10) are children's, not counted. */
	assert_int_equal(st.cpu, 4711 + 815);
	assert_int_equal(st.starttime, 123456789012);
}

static void test_parse_pid_stat_long_comm(void **state)
{
	char comm[200], head[256], line[512];
	struct pid_stat st;

	(void)state;
	memset(comm, 'x', sizeof(comm) - 1);
	comm[sizeof(comm) - 1] = '\0';
	snprintf(head, sizeof(head), "77 (%s)", comm);
	pid_line(line, sizeof(line), head);
	OK(proc_parse_pid_stat(line, &st));
	assert_int_equal(strlen(st.comm), COMM_MAX - 1);
	assert_int_equal(st.cpu, 33);
}

static void test_parse_pid_stat_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"123",
		"123 (bash",
		"123 bash) S 1",
		"123 )bash( S 1 1 1 0 -1 0 0 0 0 0 11 22 0 0 20 0 1 0 333",
		"abc (bash) S 1 1 1 0 -1 0 0 0 0 0 11 22 0 0 20 0 1 0 333",
		"0 (bash) S 1 1 1 0 -1 0 0 0 0 0 11 22 0 0 20 0 1 0 333",
		"-5 (bash) S 1 1 1 0 -1 0 0 0 0 0 11 22 0 0 20 0 1 0 333",
		"123 (bash) S 1 1 1 0 -1 0 0 0 0 0 11",
		"123 (bash) S 1 1 1 0 -1 0 0 0 0 0 x 22 0 0 20 0 1 0 333",
		"123 (bash) S 1 1 1 0 -1 0 0 0 0 0 11 22 0 0 20 0 1 0",
		"123 (bash)",
		"123 (bash) ",
		"123 (bash) S",
		"123 (bash) S 1 1 1 0 -1 0 0 0 0 0 11 22 0 0 20 0 1 0 333x",
		"123 (bash) S 1 1 1 0 -1 0 0 0 0 0 11x 22 0 0 20 0 1 0 333",
		"123 (bash) S 1 1 1 0 -1 0 0 0 0 0 - 22 0 0 20 0 1 0 333",
	};
	struct pid_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proc_parse_pid_stat(bad[i], &st) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i]);
}

static void test_read_pid_stat(void **state)
{
	const char *root = *state;
	struct pid_stat st;
	int fd;

	OK(fixture_proc_pid(root, 4242, "my (odd) name", 100, 50, 777));
	OK(fixture_write(root, "4243/stat", ""));
	OK(fixture_write(root, "4244/stat", "garbage\n"));
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	OK(proc_read_pid_stat(fd, 4242, &st));
	assert_int_equal(st.pid, 4242);
	assert_string_equal(st.comm, "my (odd) name");
	assert_int_equal(st.cpu, 150);
	assert_int_equal(st.starttime, 777);
	assert_int_equal(proc_read_pid_stat(fd, 4241, &st), -ENOENT);
	assert_int_equal(proc_read_pid_stat(fd, 4243, &st), -ESRCH);
	assert_int_equal(proc_read_pid_stat(fd, 4244, &st), -EINVAL);
	close(fd);
}

/* --- the process table ------------------------------------------------- */

static void test_table_init_missing(void **state)
{
	struct proc_table t;
	char *missing = fixture_path(*state, "no-proc");

	assert_non_null(missing);
	assert_int_equal(proc_table_init(&t, missing), -ENOENT);
	proc_table_release(&t);
	free(missing);
}

static void test_table_deltas(void **state)
{
	const char *root = *state;
	struct proc_table t;

	OK(fixture_proc_stat_times(root, 2, 100, 0, 50, 1000, 0, 0, 0, 0));
	OK(fixture_proc_pid(root, 1, "systemd", 100, 50, 1));
	OK(fixture_proc_pid(root, 42, "worker", 1000, 200, 500));
	OK(fixture_proc_pid(root, 100, "idle one", 7, 3, 900));
	OK(proc_table_init(&t, root));

	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, 3);
	assert_sorted(&t);
	/* Nothing to compare with: every delta is 0. */
	assert_int_equal(delta_of(&t, 1), 0);
	assert_int_equal(delta_of(&t, 42), 0);
	assert_int_equal(delta_of(&t, 100), 0);
	assert_int_equal(find(&t, 42)->stat.cpu, 1200);
	assert_string_equal(find(&t, 100)->stat.comm, "idle one");

	OK(fixture_proc_pid(root, 1, "systemd", 102, 51, 1));
	OK(fixture_proc_pid(root, 42, "worker", 1150, 250, 500));
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, 3);
	assert_int_equal(delta_of(&t, 1), 3);
	assert_int_equal(delta_of(&t, 42), 200);
	assert_int_equal(delta_of(&t, 100), 0);

	/* Deltas are per interval, not since the first scan. */
	OK(fixture_proc_pid(root, 42, "worker", 1160, 250, 500));
	OK(proc_table_scan(&t));
	assert_int_equal(delta_of(&t, 1), 0);
	assert_int_equal(delta_of(&t, 42), 10);
	proc_table_release(&t);
	assert_int_equal(t.procfd, -1);
	assert_null(t.cur);
}

static void test_table_lifecycle(void **state)
{
	const char *root = *state;
	struct proc_table t;

	OK(fixture_proc_stat_times(root, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	OK(fixture_proc_pid(root, 10, "stays", 100, 0, 1000));
	OK(fixture_proc_pid(root, 20, "exits", 100, 0, 2000));
	OK(fixture_proc_pid(root, 30, "reused", 100, 0, 3000));
	OK(proc_table_init(&t, root));
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, 3);

	OK(fixture_proc_pid(root, 10, "stays", 160, 0, 1000));
	OK(fixture_proc_exit(root, 20));
	/* pid 30 exited and a new process got its pid: a different starttime. */
	OK(fixture_proc_pid(root, 30, "newcomer", 5000, 0, 3999));
	OK(fixture_proc_pid(root, 40, "new", 900, 100, 4000));
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, 3);
	assert_sorted(&t);
	assert_int_equal(delta_of(&t, 10), 60);
	assert_null(find(&t, 20));
	assert_int_equal(delta_of(&t, 30), 0);
	assert_string_equal(find(&t, 30)->stat.comm, "newcomer");
	assert_int_equal(delta_of(&t, 40), 0);

	/* From now on both are followed like any other. */
	OK(fixture_proc_pid(root, 30, "newcomer", 5025, 0, 3999));
	OK(fixture_proc_pid(root, 40, "new", 950, 110, 4000));
	OK(proc_table_scan(&t));
	assert_int_equal(delta_of(&t, 30), 25);
	assert_int_equal(delta_of(&t, 40), 60);
	assert_int_equal(delta_of(&t, 10), 0);

	/* A process whose time went backwards (it cannot; still) gives 0, not a wrap. */
	OK(fixture_proc_pid(root, 10, "stays", 150, 0, 1000));
	OK(proc_table_scan(&t));
	assert_int_equal(delta_of(&t, 10), 0);
	proc_table_release(&t);
}

static void test_table_ignores_non_pids(void **state)
{
	static const char *const others[] = {
		"self/stat", "thread-self/stat", "sys/stat", "net/stat", "0/stat",
		"007/stat", "12abc/stat", "-3/stat", "99999999999/stat",
	};
	const char *root = *state;
	struct proc_table t;

	OK(fixture_proc_stat_times(root, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	OK(fixture_write(root, "uptime", "100.00 50.00\n"));
	OK(fixture_write(root, "meminfo", "MemTotal: 1 kB\n"));
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "%s", others[i]);
		*strrchr(rel, '/') = '\0';
		OK(fixture_proc_pid(root, 5, "impostor", 1, 1, 1));  /* a real one to copy */
		{
			char *from = fixture_path(root, "5"), *to = fixture_path(root, rel);

			assert_non_null(from);
			assert_non_null(to);
			OK(rename(from, to));
			free(from);
			free(to);
		}
	}
	OK(fixture_proc_pid(root, 5, "real", 10, 0, 50));
	OK(fixture_write(root, "6", "a file named like a pid\n"));
	OK(proc_table_init(&t, root));
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, 1);
	assert_int_equal(t.cur[0].stat.pid, 5);
	assert_string_equal(t.cur[0].stat.comm, "real");
	proc_table_release(&t);
}

/* A process that exits while being read, or whose stat is unreadable, is skipped quietly. */
static void test_table_skips_unreadable(void **state)
{
	const char *root = *state;
	struct proc_table t;

	OK(fixture_proc_stat_times(root, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	OK(fixture_proc_pid(root, 7, "ok", 10, 0, 50));
	OK(fixture_write(root, "8/stat", ""));
	OK(fixture_write(root, "9/stat", "garbage"));
	OK(fixture_write(root, "11/status", "no stat file\n"));
	OK(proc_table_init(&t, root));
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, 1);
	assert_int_equal(t.cur[0].stat.pid, 7);
	proc_table_release(&t);
}

/* Pids created in no particular order (readdir order is the filesystem's). */
static void test_table_unsorted(void **state)
{
	static const pid_t pids[] = { 3000, 5, 1000000, 20, 777, 1, 65536, 4194304, 300, 21 };
	const size_t n = sizeof(pids) / sizeof(pids[0]);
	const char *root = *state;
	struct proc_table t;

	OK(fixture_proc_stat_times(root, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	for (size_t i = 0; i < n; i++) {
		char comm[32];

		snprintf(comm, sizeof(comm), "p%d", (int)pids[i]);
		OK(fixture_proc_pid(root, pids[i], comm, 1000 * i, 0, (uint64_t)pids[i] * 3));
	}
	OK(proc_table_init(&t, root));
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, n);
	assert_sorted(&t);
	/* Each process used i + 1 ticks: its own delta, whatever the order. */
	for (size_t i = n; i-- > 0; ) {
		char comm[32];

		snprintf(comm, sizeof(comm), "p%d", (int)pids[i]);
		OK(fixture_proc_pid(root, pids[i], comm, 1000 * i + i + 1, 0, (uint64_t)pids[i] * 3));
	}
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, n);
	assert_sorted(&t);
	for (size_t i = 0; i < n; i++) {
		char comm[32];

		snprintf(comm, sizeof(comm), "p%d", (int)pids[i]);
		assert_int_equal(delta_of(&t, pids[i]), i + 1);
		assert_string_equal(find(&t, pids[i])->stat.comm, comm);
	}
	proc_table_release(&t);
}

/* More processes than the table's first allocation, some exiting between scans. */
static void test_table_many(void **state)
{
	const char *root = *state;
	struct proc_table t;
	const int n = 700;

	OK(fixture_proc_stat_times(root, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	for (int pid = 1; pid <= n; pid++)
		OK(fixture_proc_pid(root, pid, "many", 0, 0, (uint64_t)pid));
	OK(proc_table_init(&t, root));
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, (size_t)n);
	for (int pid = 1; pid <= n; pid++) {
		if (pid % 3 == 0)
			OK(fixture_proc_exit(root, pid));
		else
			OK(fixture_proc_pid(root, pid, "many", (uint64_t)pid % 7, 0, (uint64_t)pid));
	}
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, (size_t)(n - n / 3));
	assert_sorted(&t);
	for (size_t i = 0; i < t.ncur; i++)
		assert_int_equal(t.cur[i].delta, (uint64_t)t.cur[i].stat.pid % 7);
	proc_table_release(&t);
}

/* --- cgroups ----------------------------------------------------------- */

/* The real and effective uids of /proc/PID/status, and what is not a Uid line. */
static void test_parse_status_uid(void **state)
{
	uid_t real = 1, eff = 1;

	(void)state;
	OK(proc_parse_status_uid("Name:\tqemu\nUmask:\t0022\nState:\tS\nUid:\t64055\t0\t64055\t64055\n"
				 "Gid:\t108\t108\t108\t108\n", &real, &eff));
	assert_int_equal(real, 64055);
	assert_int_equal(eff, 0);
	OK(proc_parse_status_uid("Uid:\t0\t0\t0\t0\n", &real, &eff));
	assert_int_equal(real, 0);
	assert_int_equal(eff, 0);
	assert_int_equal(proc_parse_status_uid("Name:\tx\nGid:\t0\t0\t0\t0\n", &real, &eff), -EINVAL);
	assert_int_equal(proc_parse_status_uid("NoUid:\t0\t0\n", &real, &eff), -EINVAL);
	assert_int_equal(proc_parse_status_uid("Uid:\t\n", &real, &eff), -EINVAL);
	assert_int_equal(proc_parse_status_uid("Uid:\t5\n", &real, &eff), -EINVAL);
	assert_int_equal(proc_parse_status_uid("Uid:\t-1\t0\t0\t0\n", &real, &eff), -EINVAL);
	assert_int_equal(proc_parse_status_uid("Uid:\t99999999999\t0\t0\t0\n", &real, &eff), -EINVAL);
	assert_int_equal(proc_parse_status_uid("", &real, &eff), -EINVAL);
}

static void test_parse_cgroup(void **state)
{
	char path[64];

	(void)state;
	/* Pure cgroup v2. */
	OK(proc_parse_cgroup("0::/system.slice/nginx.service\n", path, sizeof(path)));
	assert_string_equal(path, "/system.slice/nginx.service");
	/* Hybrid: the name=systemd hierarchy wins over v2 and the controllers. */
	OK(proc_parse_cgroup("12:cpu,cpuacct:/docker/abc\n"
			     "1:name=systemd:/system.slice/docker.service\n"
			     "0::/system.slice/docker.service/x\n", path, sizeof(path)));
	assert_string_equal(path, "/system.slice/docker.service");
	/* v1 without systemd: the cpu controller, however it is combined. */
	OK(proc_parse_cgroup("5:memory:/mem\n4:cpuacct,cpu:/cpu/path\n0::/v2\n", path, sizeof(path)));
	assert_string_equal(path, "/cpu/path");
	OK(proc_parse_cgroup("3:cpuset:/set\n2:cpuacct:/acct\n", path, sizeof(path)));
	assert_string_equal(path, "/acct");
	/* cpuset is not cpu. */
	assert_int_equal(proc_parse_cgroup("3:cpuset:/set\n", path, sizeof(path)), -EINVAL);
	/* A libvirt guest's scope, escapes and all, on a hybrid host. */
	{
		char vm[128];

		OK(proc_parse_cgroup("12:cpu,cpuacct:/machine/qemu-1-web.libvirt-qemu/emulator\n"
				     "1:name=systemd:/machine.slice/machine-qemu\\x2d1\\x2dweb.scope\n"
				     "0::/machine.slice/machine-qemu\\x2d1\\x2dweb.scope\n",
				     vm, sizeof(vm)));
		assert_string_equal(vm, "/machine.slice/machine-qemu\\x2d1\\x2dweb.scope");
	}
	/* A colon inside the path is part of it. */
	OK(proc_parse_cgroup("0::/user.slice/odd:name\n", path, sizeof(path)));
	assert_string_equal(path, "/user.slice/odd:name");
	/* No final newline. */
	OK(proc_parse_cgroup("0::/", path, sizeof(path)));
	assert_string_equal(path, "/");
	assert_int_equal(proc_parse_cgroup("", path, sizeof(path)), -EINVAL);
	assert_int_equal(proc_parse_cgroup("garbage\n", path, sizeof(path)), -EINVAL);
	assert_int_equal(proc_parse_cgroup("0::/a/very/long/path/indeed\n", path, 8), -ENAMETOOLONG);
}

static void test_process_cgroup(void **state)
{
	const char *root = *state;
	struct proc_table t;
	struct process *p;
	const char *cg;

	OK(fixture_proc_stat_times(root, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	OK(fixture_proc_pid(root, 50, "nginx", 10, 0, 5));
	OK(fixture_proc_cgroup(root, 50, "0::/system.slice/nginx.service\n"));
	OK(fixture_proc_pid(root, 51, "ghost", 10, 0, 5));
	OK(proc_table_init(&t, root));
	OK(proc_table_scan(&t));
	p = &t.cur[0];
	assert_int_equal(p->stat.pid, 50);
	assert_null(p->cg.path);
	cg = proc_process_cgroup(&t, p);
	assert_non_null(cg);
	assert_string_equal(cg, "/system.slice/nginx.service");
	/* No cgroup file: NULL, quietly. */
	assert_null(proc_process_cgroup(&t, &t.cur[1]));

	/* Carried over to the next scan without a read. */
	OK(fixture_proc_cgroup(root, 50, "0::/moved.slice/x.scope\n"));
	OK(proc_table_scan(&t));
	p = &t.cur[0];
	assert_non_null(p->cg.path);
	assert_string_equal(p->cg.path, "/system.slice/nginx.service");

	/* Read again after PROC_CGROUP_REFRESH scans at the latest. */
	for (int i = 0; i < PROC_CGROUP_REFRESH; i++) {
		OK(proc_table_scan(&t));
		cg = proc_process_cgroup(&t, &t.cur[0]);
		assert_non_null(cg);
		if (!strcmp(cg, "/moved.slice/x.scope"))
			break;
	}
	assert_string_equal(proc_process_cgroup(&t, &t.cur[0]), "/moved.slice/x.scope");

	/* The process exits: its cgroup is freed with the table (no leak under ASan). */
	OK(fixture_proc_exit(root, 50));
	OK(proc_table_scan(&t));
	assert_int_equal(t.ncur, 1);
	OK(proc_table_scan(&t));
	proc_table_release(&t);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup_dir, fixture_teardown_dir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_stat_variants),
		cmocka_unit_test(test_parse_stat_cpus),
		cmocka_unit_test(test_parse_pid_stat_processor),
		cmocka_unit_test(test_parse_stat_garbage),
		T(test_read_stat),
		cmocka_unit_test(test_parse_pid_stat),
		cmocka_unit_test(test_parse_pid_stat_fields),
		cmocka_unit_test(test_parse_pid_stat_long_comm),
		cmocka_unit_test(test_parse_pid_stat_garbage),
		T(test_read_pid_stat),
		T(test_table_init_missing),
		T(test_table_deltas),
		T(test_table_lifecycle),
		T(test_table_ignores_non_pids),
		T(test_table_skips_unreadable),
		T(test_table_unsorted),
		T(test_table_many),
		cmocka_unit_test(test_parse_status_uid),
		cmocka_unit_test(test_parse_cgroup),
		T(test_process_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
