// SPDX-License-Identifier: MIT
/*
 * Tests of the web config (common/web_config.c): a good file with relative
 * and absolute PEM files, passwords accepted, remembered and refused, and
 * bad files refused.
 */
#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/web_config.h"

static char dir[] = "/tmp/test_web_config.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int load(struct web_config *wc, const char *text)
{
	char path[PATH_MAX];

	write_file("web.conf", text);
	snprintf(path, sizeof(path), "%s/web.conf", dir);
	return web_config_load(wc, path);
}

/* A sha512-crypt hash of @password; static storage. */
static const char *hash_of(const char *password)
{
	static struct crypt_data data;
	const char *salt = crypt_gensalt_rn("$6$", 0, NULL, 0, data.setting, sizeof(data.setting));

	assert_non_null(salt);
	return crypt_r(password, salt, &data);
}

/* A bcrypt hash of @password at @cost, into @out. */
static void bcrypt_of(const char *password, unsigned long cost, char *out, size_t size)
{
	struct crypt_data data;
	const char *salt = crypt_gensalt_rn("$2b$", cost, NULL, 0, data.setting, sizeof(data.setting));

	assert_non_null(salt);
	assert_non_null(crypt_r(password, salt, &data));
	snprintf(out, size, "%s", data.output);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The median of 3 wrong-password checks of @user, in seconds. */
static double wrong_check_s(struct web_config *wc, const char *user)
{
	double t[3];

	for (int i = 0; i < 3; i++) {
		double start = now_s();

		assert_int_equal(web_config_check(wc, user, "wrong"), WEB_AUTH_DENIED);
		t[i] = now_s() - start;
	}
	return t[0] > t[1] ? (t[1] > t[2] ? t[1] : t[0] > t[2] ? t[2] : t[0])
			   : (t[0] > t[2] ? t[0] : t[1] > t[2] ? t[2] : t[1]);
}

/*
 * A wrong password costs as long whatever the name, known or not, though
 * the users' hashes differ in cost 64-fold: every check runs every hash.
 * (Before, an unknown name was checked against the first user's hash
 * only, and a cheap user's wrong password answered 64 times sooner.)
 */
static void test_time_tells_no_name(void **state)
{
	struct web_config wc;
	char cheap[400], dear[400], text[1024];
	double t_cheap, t_dear, t_unknown;

	(void)state;
	bcrypt_of("one", 4, cheap, sizeof(cheap));
	bcrypt_of("two", 10, dear, sizeof(dear));
	snprintf(text, sizeof(text), "[basic_auth_users]\ncheap = %s\ndear = %s\n", cheap, dear);
	assert_int_equal(load(&wc, text), 0);
	assert_int_equal(web_config_check(&wc, "cheap", "one"), WEB_AUTH_OK);
	t_cheap = wrong_check_s(&wc, "cheap");
	t_dear = wrong_check_s(&wc, "dear");
	t_unknown = wrong_check_s(&wc, "nobody-of-that-name");
	/* each within a factor 4 of the others, where the hashes alone differ 64-fold */
	if (t_cheap * 4 < t_dear || t_cheap * 4 < t_unknown || t_unknown * 4 < t_dear || t_dear * 4 < t_unknown)
		fail_msg("wrong passwords take %.1f ms (cheap), %.1f ms (dear), %.1f ms (unknown name)",
			 t_cheap * 1e3, t_dear * 1e3, t_unknown * 1e3);
	web_config_release(&wc);
}

struct answers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ok, denied, total;
};

static void on_answer(void *arg, enum web_auth answer)
{
	struct answers *a = arg;

	pthread_mutex_lock(&a->lock);
	a->ok += answer == WEB_AUTH_OK;
	a->denied += answer == WEB_AUTH_DENIED;
	a->total++;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

/*
 * Checks queued behind a flood of wrong passwords are all answered, the
 * right one among them OK and then known at once; a queue stopped
 * answers what waits, DENIED, and takes no more.
 */
static void test_async_checks(void **state)
{
	struct answers a = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 };
	struct web_config wc;
	char text[512];
	int pending = 0;

	(void)state;
	snprintf(text, sizeof(text), "[basic_auth_users]\nscraper = %s\n", hash_of("right one"));
	assert_int_equal(load(&wc, text), 0);
	for (int i = 0; i < 40; i++)
		pending += web_config_check_async(&wc, "scraper", "wrong", on_answer, &a) == WEB_AUTH_PENDING;
	pending += web_config_check_async(&wc, "scraper", "right one", on_answer, &a) == WEB_AUTH_PENDING;
	assert_int_equal(pending, 41);
	pthread_mutex_lock(&a.lock);
	while (a.total < 41)
		pthread_cond_wait(&a.cond, &a.lock);
	pthread_mutex_unlock(&a.lock);
	assert_int_equal(a.ok, 1);
	assert_int_equal(a.denied, 40);
	assert_true(web_config_accepted(&wc, "scraper", "right one"));
	assert_int_equal(web_config_check_async(&wc, "scraper", "right one", on_answer, &a), WEB_AUTH_OK);
	for (int i = 0; i < 200; i++)
		web_config_check_async(&wc, "scraper", "wrong", on_answer, &a);
	web_config_stop_checks(&wc);
	pthread_mutex_lock(&a.lock);
	assert_int_equal(a.total, 41 + 200);  /* every queued one answered, none after */
	pthread_mutex_unlock(&a.lock);
	assert_int_equal(web_config_check_async(&wc, "scraper", "wrong", on_answer, &a), WEB_AUTH_BUSY);
	web_config_release(&wc);
}

static void test_good(void **state)
{
	struct web_config wc;
	char text[PATH_MAX + 1024], abs_key[PATH_MAX];

	(void)state;
	write_file("tls.crt", "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
	write_file("tls.key", "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n");
	snprintf(abs_key, sizeof(abs_key), "%s/tls.key", dir);
	/* a key any user may read is refused; the owner's alone is taken */
	chmod(abs_key, 0644);
	snprintf(text, sizeof(text), "[tls_server_config]\ncert_file = tls.crt\nkey_file = tls.key\n");
	assert_int_equal(load(&wc, text), -EINVAL);
	chmod(abs_key, 0600);
	snprintf(text, sizeof(text), "# comment\n; another\n\n[tls_server_config]\n  cert_file = tls.crt\n"
		 "key_file=%s\n[basic_auth_users]\nscraper = %s\n", abs_key, hash_of("right one"));
	assert_int_equal(load(&wc, text), 0);
	assert_non_null(strstr(wc.tls_cert, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(wc.tls_key, "BEGIN PRIVATE KEY"));
	assert_int_equal(wc.nusers, 1);
	assert_int_equal(web_config_check(&wc, "scraper", "right one"), WEB_AUTH_OK);
	assert_non_null(wc.users[0].accepted);
	assert_int_equal(web_config_check(&wc, "scraper", "right one"), WEB_AUTH_OK);
	assert_int_equal(web_config_check(&wc, "scraper", "right on"), WEB_AUTH_DENIED);
	assert_int_equal(web_config_check(&wc, "scraper", "right one!"), WEB_AUTH_DENIED);
	assert_int_equal(web_config_check(&wc, "scraper", ""), WEB_AUTH_DENIED);
	assert_int_equal(web_config_check(&wc, "other", "right one"), WEB_AUTH_DENIED);
	web_config_release(&wc);
	assert_null(wc.users);

	/* basic auth alone */
	snprintf(text, sizeof(text), "[basic_auth_users]\na = %s\n", hash_of("x"));
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "b = %s\n", hash_of("y"));
	assert_int_equal(load(&wc, text), 0);
	assert_null(wc.tls_cert);
	assert_int_equal(web_config_check(&wc, "b", "y"), WEB_AUTH_OK);
	assert_int_equal(web_config_check(&wc, "a", "y"), WEB_AUTH_DENIED);
	web_config_release(&wc);
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"cert_file = tls.crt\n",                                  /* outside a section */
		"[tls]\n",                                                /* unknown section */
		"[tls_server_config]\ncert = tls.crt\n",                  /* unknown key */
		"[tls_server_config]\ncert_file = tls.crt\n",             /* no key */
		"[tls_server_config]\ncert_file = none.crt\nkey_file = tls.key\n",
		"[tls_server_config]\ncert_file = web.conf\nkey_file = tls.key\n", /* not PEM */
		"[basic_auth_users]\nscraper = plain\n",
		"[basic_auth_users]\nscraper = $6$\n",
		"[basic_auth_users]\na:b = $6$abc$def\n",
		"[basic_auth_users]\n = $6$abc$def\n",
		"words\n",
		/* nothing to protect the endpoint with: it would be served openly */
		"",
		"# only a comment\n; and another\n",
		"[basic_auth_users]\n",
		"[tls_server_config]\n[basic_auth_users]\n# nobody\n",
		/* a FIFO as a certificate: refused, not waited on */
		"[tls_server_config]\ncert_file = fifo.crt\nkey_file = tls.key\n",
	};
	struct web_config wc;

	(void)state;
	{
		char fifo[PATH_MAX];

		snprintf(fifo, sizeof(fifo), "%s/fifo.crt", dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load(&wc, bad[i]) != -EINVAL)
			fail_msg("taken: '%s'", bad[i]);
		assert_null(wc.users);
		assert_null(wc.tls_cert);
	}
	assert_int_equal(web_config_load(&wc, "/nonexistent/web.conf"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_time_tells_no_name),
		cmocka_unit_test(test_async_checks),
	};
	char cmd[PATH_MAX + 16];
	int ret;

	if (!mkdtemp(dir))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ret = 1;
	return ret;
}
