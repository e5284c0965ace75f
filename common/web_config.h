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

/* A password waiting for its check (web_config_check_async). */
struct web_check;

#define WEB_CHECKERS 2          /* crypt(3) checks at once */
#define WEB_CHECKS_QUEUED 1024  /* waiting, past which a new one is answered BUSY */

struct web_config {
	char *tls_cert;      /* PEM, read from cert_file; NULL: plain HTTP */
	char *tls_key;       /* PEM, read from key_file */
	struct web_user *users;
	size_t nusers;       /* 0: no authentication */
	pthread_mutex_t lock;       /* the users' accepted passwords, the queue */
	pthread_cond_t work;        /* a check queued, or stop */
	struct web_check *head, *tail;  /* checks waiting, first come first served */
	size_t queued;
	pthread_t checkers[WEB_CHECKERS];
	size_t ncheckers;
	bool stopping;
};

enum web_auth { WEB_AUTH_OK, WEB_AUTH_DENIED, WEB_AUTH_BUSY, WEB_AUTH_PENDING };

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
 * Whether @user with @password is one of @wc's users, now: OK or DENIED.
 * The password a user was last accepted with is remembered and compared
 * at once; another is checked with crypt(3) against every user's hash,
 * keeping the named user's answer, so that the time a check takes is the
 * same whatever the name (a known one or not). Thread-safe.
 */
enum web_auth web_config_check(struct web_config *wc, const char *user, const char *password);

/*
 * The same without holding the caller's thread (an HTTP server's) through
 * crypt(3): a password not known already is queued, first come first
 * served, for WEB_CHECKERS threads, and @done(@arg, answer) is called
 * from one of them. A flood of wrong passwords then waits in line with a
 * right one, rather than keeping it out: the right one is checked after
 * those queued before it. Returns OK or DENIED when answered at once,
 * PENDING when @done will be called, BUSY when WEB_CHECKS_QUEUED wait.
 */
/** Whether @password is the one @user was last accepted with: OK at once, without crypt(3). */
bool web_config_accepted(struct web_config *wc, const char *user, const char *password);

enum web_auth web_config_check_async(struct web_config *wc, const char *user, const char *password,
				     void (*done)(void *arg, enum web_auth answer), void *arg);

/**
 * Answer every queued check DENIED and wait for those under way: no @done
 * is called after this returns. Before the HTTP server stops.
 */
void web_config_stop_checks(struct web_config *wc);

#endif
