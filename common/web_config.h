// SPDX-License-Identifier: MIT
/*
 * The Prometheus endpoint's web configuration, as node_exporter's
 * --web.config.file in a small INI file: TLS (certificate and key) and
 * HTTP basic-auth users with crypt(3) password hashes.
 */
#ifndef VPOWERCAP_WEB_CONFIG_H
#define VPOWERCAP_WEB_CONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name;
	char *hash;      /* crypt(3): bcrypt "$2b$", sha512-crypt "$6$", yescrypt "$y$" */
	char *accepted;  /* the last password that matched hash, under lock; or NULL */
};

struct web_config {
	char *tls_cert;      /* PEM, read from cert_file; NULL: plain HTTP */
	char *tls_key;       /* PEM, read from key_file */
	struct web_user *users;
	size_t nusers;       /* 0: no authentication */
	pthread_mutex_t lock;       /* the users' accepted passwords */
	pthread_mutex_t crypt_lock; /* one crypt(3) at a time */
};

enum web_auth { WEB_AUTH_OK, WEB_AUTH_DENIED, WEB_AUTH_BUSY };

/**
 * Load @path into @wc (zeroed first). The file:
 *
 *   [tls_server_config]
 *   cert_file = /etc/vpowercap/tls.crt
 *   key_file = /etc/vpowercap/tls.key
 *   [basic_auth_users]
 *   prometheus = $2b$12$...
 *
 * Relative file names are taken from @path's folder. Returns 0, or
 * -EINVAL after logging "PATH:LINE: reason" (or why a file cannot be read).
 * web_config_release() frees what it holds.
 */
int web_config_load(struct web_config *wc, const char *path);

/** Free what @wc holds, and zero it. */
void web_config_release(struct web_config *wc);

/**
 * Whether @user with @password is one of @wc's users. The password a user
 * was last accepted with is remembered and compared at once; another is
 * checked with crypt(3), which costs what the hash costs (bcrypt at cost
 * 10: tens of milliseconds), one check at a time: WEB_AUTH_BUSY while
 * another thread checks one, so that a flood of wrong passwords holds at
 * most one thread. Thread-safe.
 */
enum web_auth web_config_check(struct web_config *wc, const char *user, const char *password);

#endif
