// SPDX-License-Identifier: MIT
/* Tests of per-process power from CPU shares (guest/process_power.c) on a fixture /proc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/lib/fixture.h"
#include "guest/process_power.h"

#define OK(call) assert_int_equal((call), 0)
#define EPS 1e-9
/* cmocka 1.1.5 has no assert_double_equal. */
#define assert_near(a, b, eps)                                                        \
	do {                                                                          \
		double a_ = (a), b_ = (b);                                            \
		if (!(fabs(a_ - b_) <= (eps)))                                        \
			fail_msg("%s is %.12g, expected %.12g", #a, a_, b_);          \
	} while (0)

struct world {
	char *dir;
	struct proc_table t;
};

/* A process of the fixture: pid, comm, and CPU ticks over the interval. */
struct fproc {
	pid_t pid;
	const char *comm;
	uint64_t delta;
};

/* web 50, db 30, worker 1 20, sleeper 0, cron 0 (new): 100 ticks in all. */
static const struct fproc base[] = {
	{ 10, "web", 50 },
	{ 20, "db", 30 },
	{ 30, "sleeper", 0 },
	{ 40, "worker 1", 20 },
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	w->dir = fixture_tmpdir();
	if (!w->dir) {
		free(w);
		return -1;
	}
	w->t.procfd = -1;
	w->t.statfd = -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	int ret = fixture_rmtree(w->dir);

	proc_table_release(&w->t);
	free(w->dir);
	free(w);
	return ret == 0 ? 0 : -1;
}

/* Two scans of @n processes, which used @p[i].delta ticks in between. */
static void two_scans(struct world *w, const struct fproc *p, size_t n)
{
	OK(fixture_proc_stat_times(w->dir, 2, 0, 0, 0, 0, 0, 0, 0, 0));
	for (size_t i = 0; i < n; i++)
		OK(fixture_proc_pid(w->dir, p[i].pid, p[i].comm, 1000, 500, (uint64_t)p[i].pid * 10));
	OK(proc_table_init(&w->t, w->dir));
	OK(proc_table_scan(&w->t));
	for (size_t i = 0; i < n; i++)
		OK(fixture_proc_pid(w->dir, p[i].pid, p[i].comm, 1000 + p[i].delta / 2,
				    500 + p[i].delta - p[i].delta / 2, (uint64_t)p[i].pid * 10));
	OK(proc_table_scan(&w->t));
}

static double sum_power(const struct report_process *out, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += out[i].power_w;
	return sum;
}

static void test_proportional(void **state)
{
	struct world *w = *state;
	struct report_process out[8];
	double hz = (double)proc_clock_ticks();
	size_t n;

	two_scans(w, base, 4);
	n = process_power_top(&w->t, 100, 50.0, 2.0, NULL, out, 8);
	/* Only those that used CPU, by decreasing power. */
	assert_int_equal(n, 3);
	assert_int_equal(out[0].pid, 10);
	assert_string_equal(out[0].comm, "web");
	assert_int_equal(out[1].pid, 20);
	assert_int_equal(out[2].pid, 40);
	assert_string_equal(out[2].comm, "worker 1");
	assert_near(out[0].power_w, 25.0, EPS);
	assert_near(out[1].power_w, 15.0, EPS);
	assert_near(out[2].power_w, 10.0, EPS);
	/* CPU percent of one CPU: ticks over the interval. */
	assert_near(out[0].cpu_percent, 100.0 * 50 / hz / 2.0, EPS);
	assert_near(out[2].cpu_percent, 100.0 * 20 / hz / 2.0, EPS);
	/* The processes used all the busy time: they add up to the machine. */
	assert_near(sum_power(out, n), 50.0, EPS);
	for (size_t i = 0; i < n; i++)
		assert_near(out[i].energy_j, 0, 0);
}

/* The machine was busier than its processes (kernel threads that exited): the rest is no one's. */
static void test_busy_beyond_processes(void **state)
{
	struct world *w = *state;
	struct report_process out[8];
	size_t n;

	two_scans(w, base, 4);
	n = process_power_top(&w->t, 200, 50.0, 1.0, NULL, out, 8);
	assert_int_equal(n, 3);
	assert_near(out[0].power_w, 12.5, EPS);
	assert_near(out[1].power_w, 7.5, EPS);
	assert_near(out[2].power_w, 5.0, EPS);
	assert_near(sum_power(out, n), 25.0, EPS);
}

/* Sampling skew: the processes' 100 ticks exceed the machine's 80; their sum divides. */
static void test_processes_beyond_busy(void **state)
{
	struct world *w = *state;
	struct report_process out[8];
	size_t n;

	two_scans(w, base, 4);
	n = process_power_top(&w->t, 80, 40.0, 1.0, NULL, out, 8);
	assert_int_equal(n, 3);
	assert_near(out[0].power_w, 20.0, EPS);
	assert_near(out[1].power_w, 12.0, EPS);
	assert_near(out[2].power_w, 8.0, EPS);
	/* Never more than the machine. */
	assert_near(sum_power(out, n), 40.0, EPS);
}

/* test_top_n's four biggest CPU users, in order. */
static void assert_top_four(const struct report_process *out, size_t n)
{
	static const pid_t want[] = { 5, 2, 10, 8 };

	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(out[i].pid, want[i]);
}

static void test_top_n(void **state)
{
	static const struct fproc many[] = {
		{ 1, "a", 5 }, { 2, "b", 70 }, { 3, "c", 1 }, { 4, "d", 30 }, { 5, "e", 90 },
		{ 6, "f", 0 }, { 7, "g", 12 }, { 8, "h", 44 }, { 9, "i", 2 }, { 10, "j", 61 },
	};
	struct world *w = *state;
	struct report_process out[4];
	size_t n;

	two_scans(w, many, 10);
	/* 315 ticks in all; host 63 W: 0.2 W a tick. */
	n = process_power_top(&w->t, 315, 63.0, 1.0, NULL, out, 4);
	assert_top_four(out, n);
	assert_near(out[0].power_w, 18.0, EPS);
	assert_near(out[3].power_w, 8.8, EPS);

	n = process_power_top(&w->t, 315, 63.0, 1.0, NULL, out, 1);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].pid, 5);

	/* Room for all: everyone who used CPU, in order. */
	{
		struct report_process all[16];

		n = process_power_top(&w->t, 315, 63.0, 1.0, NULL, all, 16);
		assert_int_equal(n, 9);
		for (size_t i = 1; i < n; i++)
			assert_true(all[i - 1].power_w >= all[i].power_w);
		assert_int_equal(all[8].pid, 3);
		assert_near(sum_power(all, n), 63.0, 1e-9);
	}
	/* n = 0: nothing written. */
	assert_int_equal(process_power_top(&w->t, 315, 63.0, 1.0, NULL, out, 0), 0);

	/* No usable interval, no power: still the biggest CPU users, in order. */
	n = process_power_top(&w->t, 315, 0.0, 0.0, NULL, out, 4);
	assert_top_four(out, n);
	assert_near(out[0].power_w, 0.0, EPS);
}

static void test_regex_filter(void **state)
{
	struct world *w = *state;
	struct report_process out[8];
	regex_t re;
	size_t n;

	two_scans(w, base, 4);
	assert_int_equal(regcomp(&re, "^w", REG_EXTENDED | REG_NOSUB), 0);
	n = process_power_top(&w->t, 100, 50.0, 1.0, &re, out, 8);
	regfree(&re);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].comm, "web");
	assert_string_equal(out[1].comm, "worker 1");
	/* Filtered processes keep their share of the whole, not of the filtered set. */
	assert_near(out[0].power_w, 25.0, EPS);
	assert_near(out[1].power_w, 10.0, EPS);

	assert_int_equal(regcomp(&re, "^(db|sleeper)$", REG_EXTENDED | REG_NOSUB), 0);
	n = process_power_top(&w->t, 100, 50.0, 1.0, &re, out, 8);
	regfree(&re);
	/* sleeper matches but used no CPU. */
	assert_int_equal(n, 1);
	assert_int_equal(out[0].pid, 20);

	assert_int_equal(regcomp(&re, "nomatch", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(process_power_top(&w->t, 100, 50.0, 1.0, &re, out, 8), 0);
	regfree(&re);

	/* A space in the comm is just a character. */
	assert_int_equal(regcomp(&re, "r 1$", REG_EXTENDED | REG_NOSUB), 0);
	n = process_power_top(&w->t, 100, 50.0, 1.0, &re, out, 8);
	regfree(&re);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].pid, 40);
}

static void test_nothing_to_share(void **state)
{
	static const struct fproc idle[] = { { 10, "web", 0 }, { 20, "db", 0 } };
	struct world *w = *state;
	struct report_process out[4];

	two_scans(w, idle, 2);
	assert_int_equal(process_power_top(&w->t, 0, 50.0, 1.0, NULL, out, 4), 0);
	/* Busy machine, idle processes: still no one to show. */
	assert_int_equal(process_power_top(&w->t, 100, 50.0, 1.0, NULL, out, 4), 0);
}

static void test_first_scan(void **state)
{
	struct world *w = *state;
	struct report_process out[4];

	OK(fixture_proc_stat_times(w->dir, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	OK(fixture_proc_pid(w->dir, 10, "web", 1000, 500, 10));
	OK(proc_table_init(&w->t, w->dir));
	OK(proc_table_scan(&w->t));
	/* Nothing to compare with yet: no process has a delta. */
	assert_int_equal(process_power_top(&w->t, 100, 50.0, 1.0, NULL, out, 4), 0);
}

/* An empty table (no /proc entries at all). */
static void test_no_processes(void **state)
{
	struct world *w = *state;
	struct report_process out[4];

	OK(fixture_proc_stat_times(w->dir, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	OK(proc_table_init(&w->t, w->dir));
	OK(proc_table_scan(&w->t));
	OK(proc_table_scan(&w->t));
	assert_int_equal(w->t.ncur, 0);
	assert_int_equal(process_power_top(&w->t, 0, 50.0, 1.0, NULL, out, 4), 0);
	assert_int_equal(process_power_top(&w->t, 100, 50.0, 1.0, NULL, out, 4), 0);
}

/* --- energy accumulators ----------------------------------------------- */

static const struct process_energy *tracked(const struct process_energy_table *pe, pid_t pid)
{
	for (size_t i = 0; i < pe->n; i++)
		if (pe->e[i].pid == pid)
			return &pe->e[i];
	return NULL;
}

static void test_energy_accumulates(void **state)
{
	struct world *w = *state;
	struct process_energy_table pe = { 0 };
	struct report_process out[2];
	size_t n;

	two_scans(w, base, 4);
	/* 100 ticks, 2 J: 20 mJ a tick. Top 2: web 50 (1 J), db 30 (0.6 J). */
	n = process_power_top(&w->t, 100, 2.0, 1.0, NULL, out, 2);
	assert_int_equal(n, 2);
	OK(process_energy_update(&pe, &w->t, 100, 2000000, out, n));
	assert_near(out[0].energy_j, 1.0, EPS);
	assert_near(out[1].energy_j, 0.6, EPS);
	assert_null(tracked(&pe, 40));  /* never in the top 2 */

	/* Next interval: web 10 ticks, db 40, worker 1 50 (100 ticks, 2 J again). */
	OK(fixture_proc_pid(w->dir, 10, "web", 1025, 535, 100));
	OK(fixture_proc_pid(w->dir, 20, "db", 1035, 535, 200));
	OK(fixture_proc_pid(w->dir, 40, "worker 1", 1035, 535, 400));
	OK(proc_table_scan(&w->t));
	n = process_power_top(&w->t, 100, 2.0, 1.0, NULL, out, 2);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].pid, 40);
	assert_int_equal(out[1].pid, 20);
	OK(process_energy_update(&pe, &w->t, 100, 2000000, out, n));
	/* New in the top: counted from its first interval there. */
	assert_near(out[0].energy_j, 1.0, EPS);
	/* Continued: 0.6 J + 0.8 J. */
	assert_near(out[1].energy_j, 1.4, EPS);
	/* Out of the top but alive: still counted, 1 J + 0.2 J. */
	assert_non_null(tracked(&pe, 10));
	assert_int_equal(tracked(&pe, 10)->energy_uj, 1200000);

	/* web exits; db's pid is reused: both forgotten. */
	OK(fixture_proc_exit(w->dir, 10));
	OK(fixture_proc_pid(w->dir, 20, "db2", 0, 0, 999999));
	OK(fixture_proc_pid(w->dir, 40, "worker 1", 1085, 535, 400));
	OK(proc_table_scan(&w->t));
	n = process_power_top(&w->t, 50, 1.0, 1.0, NULL, out, 2);
	assert_int_equal(n, 1);
	OK(process_energy_update(&pe, &w->t, 50, 1000000, out, n));
	assert_null(tracked(&pe, 10));
	assert_null(tracked(&pe, 20));
	assert_near(out[0].energy_j, 2.0, EPS);
	process_energy_release(&pe);
	assert_null(pe.e);
	assert_int_equal(pe.n, 0);
}

/*
 * The table holds at most 4 N + 16 processes; when full, the one longest out
 * of the top N is forgotten, and one that comes back while still held
 * continues its count.
 */
static void test_energy_bounded(void **state)
{
	enum { NPROC = 30, CAP = 4 * 1 + 16 };
	struct world *w = *state;
	struct process_energy_table pe = { 0 };
	struct report_process out[1];
	uint64_t cpu[NPROC + 1] = { 0 };

	OK(fixture_proc_stat_times(w->dir, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	for (pid_t pid = 1; pid <= NPROC; pid++)
		OK(fixture_proc_pid(w->dir, pid, "p", 0, 0, (uint64_t)pid));
	OK(proc_table_init(&w->t, w->dir));
	OK(proc_table_scan(&w->t));
	/* Interval k: pid top[k] uses 100 ticks, every other 1; 1 mJ a tick. */
	static const pid_t top[] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
		21, 22, 23, 24, 25, 6, 1,
	};
	for (size_t k = 0; k < sizeof(top) / sizeof(top[0]); k++) {
		size_t n;

		for (pid_t pid = 1; pid <= NPROC; pid++) {
			cpu[pid] += pid == top[k] ? 100 : 1;
			OK(fixture_proc_pid(w->dir, pid, "p", cpu[pid], 0, (uint64_t)pid));
		}
		OK(proc_table_scan(&w->t));
		n = process_power_top(&w->t, 129, 0.129, 1.0, NULL, out, 1);
		assert_int_equal(n, 1);
		assert_int_equal(out[0].pid, top[k]);
		OK(process_energy_update(&pe, &w->t, 129, 129000, out, n));
		assert_true(pe.n <= CAP);
		assert_true(pe.cap <= CAP);
		if (k == 24) {
			/* Full: 1 to 5 were forgotten to make room for 21 to 25. */
			assert_int_equal(pe.n, CAP);
			for (pid_t pid = 1; pid <= 5; pid++)
				assert_null(tracked(&pe, pid));
			for (pid_t pid = 6; pid <= 25; pid++)
				assert_non_null(tracked(&pe, pid));
			/* 100 ticks in its interval, 1 in each of the 19 after. */
			assert_int_equal(tracked(&pe, 6)->energy_uj, 100000 + 19 * 1000);
			assert_near(out[0].energy_j, 0.1, EPS);
		}
	}
	/* pid 6 came back while held: its count went on. */
	assert_int_equal(tracked(&pe, 6)->energy_uj, 100000 + 19 * 1000 + 100000 + 1000);
	/* pid 1 had been forgotten: counted afresh. */
	assert_near(out[0].energy_j, 0.1, EPS);
	/* To make room for it, the one longest out of the top (7) went. */
	assert_null(tracked(&pe, 7));
	assert_non_null(tracked(&pe, 8));
	process_energy_release(&pe);
}

/* --- cgroups ------------------------------------------------------------ */

static void test_cgroups(void **state)
{
	struct world *w = *state;
	struct cgroup_scratch scratch = { 0 };
	struct report_cgroup out[4];
	size_t n;

	OK(fixture_proc_cgroup(w->dir, 10, "0::/system.slice/nginx.service\n"));
	OK(fixture_proc_cgroup(w->dir, 20, "0::/system.slice/postgresql.service\n"));
	OK(fixture_proc_cgroup(w->dir, 30, "0::/system.slice/nginx.service\n"));
	OK(fixture_proc_cgroup(w->dir, 40, "0::/system.slice/nginx.service\n"));
	two_scans(w, base, 4);
	n = process_power_cgroups(&w->t, 100, 50.0, &scratch, out, 4);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].path, "/system.slice/nginx.service");
	assert_near(out[0].power_w, 35.0, EPS);
	assert_string_equal(out[1].path, "/system.slice/postgresql.service");
	assert_near(out[1].power_w, 15.0, EPS);
	n = process_power_cgroups(&w->t, 100, 50.0, &scratch, out, 1);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].path, "/system.slice/nginx.service");
	assert_int_equal(process_power_cgroups(&w->t, 0, 50.0, &scratch, out, 0), 0);
	cgroup_scratch_release(&scratch);
	assert_null(scratch.sums);
}

/* --- containers and pods ---------------------------------------------- */

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"
#define POD "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8d1e7c52_3b4a_4f6e_9a0b_1c2d3e4f5a6b.slice"

static void test_containers(void **state)
{
	struct world *w = *state;
	struct container_sums cs = { 0 };
	struct container_name known[1] = { { .id = D1, .name = "web" } };
	struct container_names names = { .v = known, .n = 1 };
	struct process_select sel = { .containers = true, .names = &names };
	struct report_process out[8];
	struct report r = { 0 };
	regex_t re;
	size_t n;

	/* web and worker 1 share a container, db has one of its own in the same pod */
	OK(fixture_proc_cgroup(w->dir, 10, "0::" POD "/cri-containerd-" D1 ".scope\n"));
	OK(fixture_proc_cgroup(w->dir, 20, "0::" POD "/cri-containerd-" D2 ".scope\n"));
	OK(fixture_proc_cgroup(w->dir, 30, "0::/system.slice/docker-" D3 ".scope\n"));
	OK(fixture_proc_cgroup(w->dir, 40, "1:name=systemd:" POD "/cri-containerd-" D1 ".scope\n0::/\n"));
	two_scans(w, base, 4);
	w->t.want_labels = true;

	n = process_power_select(&w->t, 100, 50.0, 1.0, &sel, out, 8);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].pid, 10);
	assert_string_equal(out[0].container->id, D1);
	assert_string_equal(out[0].container_name, "web");
	assert_int_equal(out[1].pid, 20);
	assert_string_equal(out[1].container->id, D2);
	assert_null(out[1].container_name);
	assert_string_equal(out[1].container->pod_uid, "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b");

	OK(process_power_containers(&w->t, 100, 50.0, 1000000, &sel, &cs, &r));
	assert_true(r.containers);
	/* the sleeper's container used no CPU: not there */
	assert_int_equal(r.ncontainers, 2);
	assert_string_equal(r.container_list[0].labels->id, D1);
	assert_string_equal(r.container_list[0].name, "web");
	assert_int_equal(r.container_list[0].nprocesses, 2);
	assert_near(r.container_list[0].power_w, 35.0, EPS);
	assert_string_equal(r.container_list[1].labels->id, D2);
	assert_near(r.container_list[1].power_w, 15.0, EPS);
	assert_int_equal(r.npods, 1);
	assert_string_equal(r.pods[0].uid, "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b");
	assert_string_equal(r.pods[0].qos, "burstable");
	assert_int_equal(r.pods[0].ncontainers, 2);
	assert_near(r.pods[0].power_w, 50.0, EPS);
	/* energy: the interval's 1 J shared the same way, counted on */
	assert_near(r.container_list[0].energy_j, 0.7, EPS);
	assert_near(r.container_list[1].energy_j, 0.3, EPS);
	assert_near(r.pods[0].energy_j, 1.0, EPS);
	OK(process_power_containers(&w->t, 100, 50.0, 2000000, &sel, &cs, &r));
	assert_near(r.container_list[0].energy_j, 0.7 + 1.4, EPS);
	assert_near(r.pods[0].energy_j, 3.0, EPS);

	/* by name */
	OK(regcomp(&re, "^web$", REG_EXTENDED | REG_NOSUB));
	sel.container = &re;
	n = process_power_select(&w->t, 100, 50.0, 1.0, &sel, out, 8);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].pid, 10);
	assert_int_equal(out[1].pid, 40);
	OK(process_power_containers(&w->t, 100, 50.0, 0, &sel, &cs, &r));
	assert_int_equal(r.ncontainers, 1);
	assert_int_equal(r.npods, 1);
	assert_near(r.pods[0].power_w, 35.0, EPS);
	assert_int_equal(r.pods[0].ncontainers, 1);
	regfree(&re);
	/* by id, names unknown */
	OK(regcomp(&re, "^2", REG_EXTENDED | REG_NOSUB));
	sel.names = NULL;
	n = process_power_select(&w->t, 100, 50.0, 1.0, &sel, out, 8);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].pid, 20);
	regfree(&re);
	container_sums_release(&cs);
	assert_null(cs.containers);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_proportional),
		T(test_busy_beyond_processes),
		T(test_processes_beyond_busy),
		T(test_top_n),
		T(test_regex_filter),
		T(test_nothing_to_share),
		T(test_first_scan),
		T(test_no_processes),
		T(test_energy_accumulates),
		T(test_energy_bounded),
		T(test_cgroups),
		T(test_containers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
