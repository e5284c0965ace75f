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
#include <string.h>
#include <sys/stat.h>
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
