// SPDX-License-Identifier: MIT
/*
 * Tests of the VMs' labels (host/vmlabels.c): the allowlist's checks, the
 * book's filtering and cleaning of values, what a sweep forgets and keeps,
 * the label file merged under a source's labels, and the file's errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/vmlabels.h"

#define U1 "aaaaaaaa-0000-0000-0000-000000000001"
#define U2 "aaaaaaaa-0000-0000-0000-000000000002"

static void test_allowlist(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(vm_labels_check_allow("", why, sizeof(why)), 0);
	assert_int_equal(vm_labels_check_allow("project, project_id ,flavor,_x9", why, sizeof(why)), 0);
	assert_int_equal(vm_labels_check_allow("project,9lives", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "'9lives' is not a label name"));
	assert_int_equal(vm_labels_check_allow("__name__", why, sizeof(why)), -EINVAL);
	assert_int_equal(vm_labels_check_allow("team-a", why, sizeof(why)), -EINVAL);
	assert_int_equal(vm_labels_check_allow("project,instance", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "'instance' is a label the metrics or Prometheus already set"));
	assert_int_equal(vm_labels_check_allow("domain", why, sizeof(why)), -EINVAL);
	assert_int_equal(vm_labels_check_allow("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "more than 16"));
}

static const char *value_of(const struct vm_labels *l, const char *name)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (!strcmp(l->labels[i].name, name))
			return l->labels[i].value;
	return NULL;
}

/* Only allowed names pass, sorted, values made valid UTF-8, bounded. */
static void test_put_get(void **state)
{
	struct vm_label_book *b = vm_label_book_new("project, tenant,team");
	struct vm_label_set set = { 0 };
	const struct vm_labels *l;
	char long_value[400];

	(void)state;
	assert_non_null(b);
	assert_true(vm_label_book_allows(b, "tenant"));
	assert_false(vm_label_book_allows(b, "secret"));
	memset(long_value, 'x', sizeof(long_value) - 4);
	memcpy(long_value + sizeof(long_value) - 130 - 4, "\xc3\xa9", 2);  /* é across the cut */
	long_value[sizeof(long_value) - 4] = '\0';
	assert_int_equal(vm_label_set_add(&set, "tenant", "acme\tcorp\xff"), 0);
	assert_int_equal(vm_label_set_add(&set, "secret", "s3"), 0);
	assert_int_equal(vm_label_set_add(&set, "project", "p1"), 0);
	assert_int_equal(vm_label_set_add(&set, "project", "p2"), 0);   /* the first wins */
	assert_int_equal(vm_label_set_add(&set, "team", long_value), 0);
	assert_false(vm_label_book_keep(b, U1));
	assert_int_equal(vm_label_book_put(b, U1, &set), 0);
	vm_label_set_release(&set);
	l = vm_label_book_get(b, U1);
	assert_non_null(l);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->labels[0].name, "project");
	assert_string_equal(l->labels[1].name, "team");
	assert_string_equal(l->labels[2].name, "tenant");
	assert_string_equal(value_of(l, "project"), "p1");
	assert_string_equal(value_of(l, "tenant"), "acme corp\xef\xbf\xbd");
	assert_true(strlen(value_of(l, "team")) < VM_LABEL_VALUE_MAX);
	assert_true(strlen(value_of(l, "team")) >= VM_LABEL_VALUE_MAX - 4);
	assert_null(value_of(l, "secret"));
	assert_null(vm_label_book_get(b, U2));
	vm_label_book_free(b);
	/* the reader's reference outlives the book */
	assert_string_equal(value_of(l, "project"), "p1");
	vm_labels_put(l);
}

/* A VM not kept since the last sweep is forgotten; one put with no labels is known. */
static void test_sweep(void **state)
{
	struct vm_label_book *b = vm_label_book_new("project");
	struct vm_label_set set = { 0 }, none = { 0 };
	const struct vm_labels *l;

	(void)state;
	assert_int_equal(vm_label_set_add(&set, "project", "p1"), 0);
	assert_int_equal(vm_label_book_put(b, U1, &set), 0);
	assert_int_equal(vm_label_book_put(b, U2, &none), 0);
	vm_label_book_sweep(b);
	assert_true(vm_label_book_keep(b, U1));
	assert_true(vm_label_book_keep(b, U2));  /* no labels, but read: not read again */
	assert_null(vm_label_book_get(b, U2));
	vm_label_book_sweep(b);
	l = vm_label_book_get(b, U1);
	assert_string_equal(value_of(l, "project"), "p1");
	/* U1 changes while a reader holds its old labels */
	vm_label_set_release(&set);
	assert_int_equal(vm_label_set_add(&set, "project", "q1"), 0);
	assert_int_equal(vm_label_book_put(b, U1, &set), 0);
	assert_string_equal(value_of(l, "project"), "p1");
	vm_labels_put(l);
	l = vm_label_book_get(b, U1);
	assert_string_equal(value_of(l, "project"), "q1");
	vm_labels_put(l);
	/* gone from a listing: forgotten at the sweep after */
	vm_label_book_sweep(b);
	vm_label_book_sweep(b);
	assert_null(vm_label_book_get(b, U1));
	assert_false(vm_label_book_keep(b, U1));
	vm_label_set_release(&set);
	vm_label_book_free(b);
}

static char *write_file(const char *text)
{
	char *path = strdup("/tmp/test_vmlabels.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* The file's labels stay through sweeps, under the source's of the same name. */
static void test_file(void **state)
{
	struct vm_label_book *b = vm_label_book_new("project,tenant,proxmox_vmid");
	struct vm_label_set set = { 0 };
	char *path = write_file("# labels\n[AAAAAAAA-0000-0000-0000-000000000001]\nproject = acme\ntenant = t1\n"
				"other = x\n\n[" U2 "]\nproject = globex\n");
	const struct vm_labels *l;

	(void)state;
	assert_int_equal(vm_label_book_load(b, path), 0);
	assert_false(vm_label_book_keep(b, U1));  /* the source has not put its own */
	l = vm_label_book_get(b, U1);
	assert_int_equal(l->n, 2);
	assert_string_equal(value_of(l, "project"), "acme");
	vm_labels_put(l);
	assert_int_equal(vm_label_set_add(&set, "tenant", "from-source"), 0);
	assert_int_equal(vm_label_set_add(&set, "proxmox_vmid", "101"), 0);
	assert_int_equal(vm_label_book_put(b, U1, &set), 0);
	vm_label_set_release(&set);
	l = vm_label_book_get(b, U1);
	assert_int_equal(l->n, 3);
	assert_string_equal(value_of(l, "tenant"), "from-source");
	assert_string_equal(value_of(l, "project"), "acme");
	assert_string_equal(value_of(l, "proxmox_vmid"), "101");
	vm_labels_put(l);
	vm_label_book_sweep(b);
	vm_label_book_sweep(b);
	l = vm_label_book_get(b, U1);
	assert_int_equal(l->n, 2);
	assert_string_equal(value_of(l, "tenant"), "t1");
	vm_labels_put(l);
	l = vm_label_book_get(b, U2);
	assert_string_equal(value_of(l, "project"), "globex");
	vm_labels_put(l);
	unlink(path);
	free(path);
	vm_label_book_free(b);
}

/* What vm_label_book_load() of @path says on stderr, in @out. */
static int load_saying(struct vm_label_book *b, const char *path, char *out, size_t size)
{
	FILE *tmp = tmpfile();
	int saved = dup(2), ret;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	ret = vm_label_book_load(b, path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return ret;
}

static void test_file_errors(void **state)
{
	static const char *const bad[] = {
		"project = acme\n",                                  /* outside a section */
		"[" U1 "]\nproject = a\nno equals sign\n",           /* not name = value */
		"[" U1 "]\n9x = a\n",                                /* not a label name */
		"[" U1 U1 "]\nproject = a\n",                        /* not a UUID */
		/* a value longer than a line may be: that line, not a piece of it parsed as the next */
		"[" U1 "]\nproject = a\n# a comment\nteam = "
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"\nlast = b\n",
	};
	static const int lines[] = { 1, 3, 2, 2, 4 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vm_label_book *b = vm_label_book_new("project");
		char *path = write_file(bad[i]), where[300], said[1024];

		snprintf(where, sizeof(where), "%s:%d: ", path, lines[i]);
		assert_int_equal(load_saying(b, path, said, sizeof(said)), -EINVAL);
		if (!strstr(said, where))
			fail_msg("case %zu: '%s' does not say '%s'", i, said, where);
		if (i == 4 && !strstr(said, "line longer than"))
			fail_msg("case %zu: '%s' does not say the line is too long", i, said);
		unlink(path);
		free(path);
		vm_label_book_free(b);
	}
	{
		struct vm_label_book *b = vm_label_book_new("project");

		char said[1024];

		assert_int_equal(load_saying(b, "/nonexistent/labels.conf", said, sizeof(said)), -ENOENT);
		assert_non_null(strstr(said, "cannot read '/nonexistent/labels.conf'"));
		vm_label_book_free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
