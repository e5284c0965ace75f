// SPDX-License-Identifier: MIT
/*
 * Tests of the board (fuse/board.c): the daemon's values seen through the
 * server's mapping as they are written, a snapshot reading its first rows
 * from it, and the boards the server refuses: of another shape, smaller
 * than their shape, or not sealed (a file that could shrink under the
 * mapping and fault the server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "fuse/board.h"
#include "fuse/tree.h"

static void test_values_through_the_mapping(void **state)
{
	struct board daemon, *server;
	uint64_t row0[3] = { 10, 20, 30 }, row1[3] = { 11, 21, 31 }, written;
	char why[160];
	int fd;

	(void)state;
	assert_int_equal(board_create(&daemon, &fd, 0xabc, 3, 2), 0);
	board_put_row(&daemon, 0, row0);
	server = board_map(fd, 0xabc, 3, 2, why, sizeof(why));
	close(fd);
	assert_non_null(server);
	assert_int_equal(board_ticks(server, &written), 0);
	assert_int_equal(board_value(server, 0, 2), 30);
	/* written after the server mapped it: seen there at once */
	board_put_row(&daemon, 1, row1);
	board_ticked(&daemon, 12345);
	assert_int_equal(board_value(server, 1, 0), 11);
	assert_int_equal(board_ticks(server, &written), 1);
	assert_int_equal(written, 12345);
	/* the daemon's end goes; the server's mapping keeps the last values */
	board_unmap(&daemon);
	assert_int_equal(board_value(server, 1, 2), 31);
	board_put(server);
}

static void test_snapshot_reads_its_rows(void **state)
{
	struct tree_snapshot *s = tree_snapshot_new(2, 3), *copy;
	struct board daemon, *server;
	uint64_t row[2] = { 500, 600 };
	const struct tree_vm *a, *c;
	char why[160];
	int fd;

	(void)state;
	assert_non_null(s);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0", "package-0", 1000), 0);
	assert_int_equal(tree_snapshot_add_zone(s, "intel-rapl:0:0", "core", 1000), 0);
	tree_snapshot_add_vm(s, "a", "00000000-0000-0000-0000-00000000000a")[1] = 7;
	tree_snapshot_add_vm(s, "b", "00000000-0000-0000-0000-00000000000b")[0] = 8;
	/* a third VM past the board's rows (a placeholder): its own values */
	tree_snapshot_add_vm(s, "c", "00000000-0000-0000-0000-00000000000c")[0] = 9;
	tree_snapshot_finish(s);
	a = tree_find_vm(s, "a", 1);
	c = tree_find_vm(s, "c", 1);
	assert_int_equal(tree_vm_value(s, a, 1), 7);
	assert_int_equal(board_create(&daemon, &fd, 0x1, 2, 2), 0);
	server = board_map(fd, 0x1, 2, 2, why, sizeof(why));
	close(fd);
	assert_non_null(server);
	board_put_row(&daemon, a->row, row);
	tree_snapshot_attach_board(s, server);
	board_put(server);  /* the snapshot holds it */
	assert_int_equal(tree_vm_value(s, a, 0), 500);
	assert_int_equal(tree_vm_value(s, a, 1), 600);
	assert_int_equal(tree_vm_value(s, c, 0), 9);
	/* a snapshot of the same shape reads the same board */
	copy = tree_snapshot_same_shape(s);
	assert_non_null(copy);
	tree_snapshot_free(s);
	row[0] = 501;
	board_put_row(&daemon, a->row, row);
	assert_int_equal(tree_vm_value(copy, tree_find_vm(copy, "a", 1), 0), 501);
	tree_snapshot_free(copy);
	board_unmap(&daemon);
}

static void test_refused_boards(void **state)
{
	struct board daemon;
	char why[160];
	int fd, plain;

	(void)state;
	assert_int_equal(board_create(&daemon, &fd, 0x5, 4, 10), 0);
	/* another shape, other counts */
	assert_null(board_map(fd, 0x6, 4, 10, why, sizeof(why)));
	assert_non_null(strstr(why, "shape"));
	assert_null(board_map(fd, 0x5, 4, 9, why, sizeof(why)));
	/* more VMs than it has room for */
	assert_null(board_map(fd, 0x5, 4, 11, why, sizeof(why)));
	assert_non_null(strstr(why, "smaller"));
	close(fd);
	board_unmap(&daemon);

	/* a memfd of the right size, not sealed: it could shrink under the mapping */
	plain = memfd_create("not-sealed", MFD_CLOEXEC);
	assert_true(plain >= 0);
	assert_int_equal(ftruncate(plain, 4096), 0);
	assert_null(board_map(plain, 0x5, 1, 1, why, sizeof(why)));
	assert_non_null(strstr(why, "sealed"));
	close(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_through_the_mapping),
		cmocka_unit_test(test_snapshot_reads_its_rows),
		cmocka_unit_test(test_refused_boards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
