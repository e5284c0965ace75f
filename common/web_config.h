// SPDX-License-Identifier: MIT
/*
 * The Prometheus endpoint's web configuration, as node_exporter's
 * --web.config.file in a small INI file: TLS (certificate and key) and
 * HTTP basic-auth users with crypt(3) password hashes.
 */
#ifndef VPOWERCAP_WEB_CONFIG_H
#define VPOWERCAP_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name;
	char *hash;  /* crypt(3): bcrypt "$2b$", sha512-crypt "$6$", yescrypt "$y$" */
};

struct web_config {
	char *tls_cert;      /* PEM, read from cert_file; NULL: plain HTTP */
	char *tls_key;       /* PEM, read from key_file */
	struct web_user *users;
	size_t nusers;       /* 0: no authentication */
};

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
 * Whether @user with @password is one of @wc's users, checked with
 * crypt(3). Costs what the hash costs (bcrypt: tens of milliseconds).
 */
bool web_config_check(const struct web_config *wc, const char *user, const char *password);

#endif
