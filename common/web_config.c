// SPDX-License-Identifier: MIT
/*
 * The Prometheus endpoint's web configuration: TLS and basic auth, read
 * from a small INI file (common/web_config.h).
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/web_config.h"

#define WEB_FILE_MAX (1024 * 1024)  /* a certificate chain or a key */
#define WEB_USERS_MAX 256

enum web_section { SECTION_NONE, SECTION_TLS, SECTION_USERS };

static void forget(char **secret);

/*
 * Read a PEM file named by @name (relative to @config's folder) whole: a
 * regular file (a FIFO or a device would hang start-up), and, for a
 * @secret (a private key), one no other user may read or write.
 */
static int read_pem(const char *config, const char *name, bool secret, char **out, char *why, size_t whylen)
{
	char path[PATH_MAX];
	const char *slash = strrchr(config, '/');
	struct stat st;
	FILE *f;
	char *buf;
	size_t len;
	int fd;

	if (name[0] == '/' || !slash)
		len = (size_t)snprintf(path, sizeof(path), "%s", name);
	else
		len = (size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - config), config, name);
	if (len >= sizeof(path)) {
		snprintf(why, whylen, "file name too long");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "'%s' is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (secret && (st.st_mode & (S_IROTH | S_IWOTH))) {
		snprintf(why, whylen, "'%s' may be read or written by any user (mode %04o): chmod o-rw it", path,
			 (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	if (secret && (st.st_mode & S_IRGRP))
		log_warning("web config: the key '%s' may be read by its group (mode %04o)", path,
			    (unsigned)(st.st_mode & 07777));
	f = fdopen(fd, "r");
	if (!f) {
		snprintf(why, whylen, "cannot read '%s': %s", path, strerror(errno));
		close(fd);
		return -EINVAL;
	}
	buf = malloc(WEB_FILE_MAX + 1);
	len = buf ? fread(buf, 1, WEB_FILE_MAX + 1, f) : 0;
	if (!buf || ferror(f) || len == 0 || len > WEB_FILE_MAX || !strstr(buf, "-----BEGIN ")) {
		snprintf(why, whylen, "'%s': %s", path,
			 !buf ? "out of memory" : ferror(f) ? strerror(errno) : len > WEB_FILE_MAX ?
			 "larger than 1 MiB" : "not a PEM file");
		free(buf);
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	buf[len] = '\0';
	free(*out);
	*out = buf;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/*
 * Whether @hash is a whole hash, not only its method and salt (which
 * crypt_checksalt() takes, and which no password would ever match): what
 * crypt(3) makes with it as setting is as long as it is.
 */
static bool whole_hash(const char *hash)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	const char *out = data ? crypt_r("", hash, data) : NULL;
	bool ok = out && out[0] == '$' && strlen(out) == strlen(hash);

	free(data);
	return ok;
}

static int add_user(struct web_config *wc, const char *name, const char *hash, char *why, size_t whylen)
{
	struct web_user *grown;

	if (!*name || strchr(name, ':')) {
		snprintf(why, whylen, "a user name must be non-empty and without ':'");
		return -EINVAL;
	}
	for (size_t i = 0; i < wc->nusers; i++)
		if (!strcmp(wc->users[i].name, name)) {
			snprintf(why, whylen, "user '%s' given twice", name);
			return -EINVAL;
		}
	if (crypt_checksalt(hash) != CRYPT_SALT_OK || hash[0] != '$' || !whole_hash(hash)) {
		snprintf(why, whylen, "user '%s': not a password hash this system's crypt(3) accepts "
			 "(bcrypt '$2b$', sha512-crypt '$6$', yescrypt '$y$'; e.g. from mkpasswd -m bcrypt)", name);
		return -EINVAL;
	}
	if (wc->nusers == WEB_USERS_MAX) {
		snprintf(why, whylen, "more than %d users", WEB_USERS_MAX);
		return -EINVAL;
	}
	grown = realloc(wc->users, (wc->nusers + 1) * sizeof(*grown));
	if (!grown) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	wc->users = grown;
	grown[wc->nusers].accepted = NULL;
	grown[wc->nusers].name = strdup(name);
	grown[wc->nusers].hash = strdup(hash);
	if (!grown[wc->nusers].name || !grown[wc->nusers].hash) {
		free(grown[wc->nusers].name);
		free(grown[wc->nusers].hash);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	wc->nusers++;
	return 0;
}

/* One "key = value" line of @section. */
static int set_key(struct web_config *wc, const char *path, enum web_section section,
		   const char *key, const char *value, char *why, size_t whylen)
{
	if (section == SECTION_USERS)
		return add_user(wc, key, value, why, whylen);
	if (section == SECTION_TLS && !strcmp(key, "cert_file"))
		return read_pem(path, value, false, &wc->tls_cert, why, whylen);
	if (section == SECTION_TLS && !strcmp(key, "key_file"))
		return read_pem(path, value, true, &wc->tls_key, why, whylen);
	if (section == SECTION_NONE)
		snprintf(why, whylen, "'%s' outside a section ([tls_server_config] or [basic_auth_users])", key);
	else
		snprintf(why, whylen, "unknown key '%s' in [tls_server_config] (cert_file, key_file)", key);
	return -EINVAL;
}

int web_config_load(struct web_config *wc, const char *path)
{
	enum web_section section = SECTION_NONE;
	char why[PATH_MAX + 128] = "";
	char *buf = NULL;
	size_t bufsize = 0;
	unsigned line = 0;
	int ret = 0;
	FILE *f;

	memset(wc, 0, sizeof(*wc));
	pthread_mutex_init(&wc->lock, NULL);
	pthread_mutex_init(&wc->crypt_lock, NULL);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		web_config_release(wc);
		return log_error(-EINVAL, "web config '%s': %s", path, strerror(-ret));
	}
	while (ret == 0 && getline(&buf, &bufsize, f) >= 0) {
		char *s = trim(buf), *eq;

		line++;
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (!strcmp(s, "[tls_server_config]")) {
				section = SECTION_TLS;
			} else if (!strcmp(s, "[basic_auth_users]")) {
				section = SECTION_USERS;
			} else {
				snprintf(why, sizeof(why), "unknown section %s ([tls_server_config] or "
					 "[basic_auth_users])", s);
				ret = -EINVAL;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(why, sizeof(why), "not a '[section]', 'key = value' or comment line");
			ret = -EINVAL;
			continue;
		}
		*eq = '\0';
		ret = set_key(wc, path, section, trim(s), trim(eq + 1), why, sizeof(why));
	}
	if (ret == 0 && ferror(f)) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		ret = -EINVAL;
	}
	fclose(f);
	free(buf);
	if (ret == 0 && !wc->tls_cert != !wc->tls_key) {
		snprintf(why, sizeof(why), "[tls_server_config] needs both cert_file and key_file");
		ret = -EINVAL;
		line = 0;
	}
	/* a web config is there to protect the endpoint: one that sets nothing would serve it openly */
	if (ret == 0 && !wc->tls_cert && !wc->nusers) {
		snprintf(why, sizeof(why), "sets neither TLS ([tls_server_config]) nor a user ([basic_auth_users]): "
			 "/metrics would be served without either; fill it in, or leave the web config out");
		ret = -EINVAL;
		line = 0;
	}
	if (ret < 0) {
		web_config_release(wc);
		if (!line)
			return log_error(-EINVAL, "%s: %s", path, why);
		return log_error(-EINVAL, "%s:%u: %s", path, line, why);
	}
	return 0;
}

void web_config_release(struct web_config *wc)
{
	if (wc->tls_key)
		explicit_bzero(wc->tls_key, strlen(wc->tls_key));
	free(wc->tls_cert);
	free(wc->tls_key);
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
		forget(&wc->users[i].accepted);
	}
	free(wc->users);
	pthread_mutex_destroy(&wc->lock);
	pthread_mutex_destroy(&wc->crypt_lock);
	memset(wc, 0, sizeof(*wc));
}

/* @a equals @b, in a time that depends on their lengths only. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static void forget(char **secret)
{
	if (*secret) {
		explicit_bzero(*secret, strlen(*secret));
		free(*secret);
		*secret = NULL;
	}
}

enum web_auth web_config_check(struct web_config *wc, const char *user, const char *password)
{
	struct web_user *u = NULL;
	struct crypt_data *data;
	const char *out;
	bool ok = false, known;

	for (size_t i = 0; i < wc->nusers && !u; i++)
		if (!strcmp(wc->users[i].name, user))
			u = &wc->users[i];
	/* An unknown name costs a check too, so that timing tells no names. */
	known = u != NULL;
	if (!known && wc->nusers)
		u = &wc->users[0];
	if (!u)
		return WEB_AUTH_DENIED;
	pthread_mutex_lock(&wc->lock);
	ok = known && u->accepted && same_secret(u->accepted, password);
	pthread_mutex_unlock(&wc->lock);
	if (ok)
		return WEB_AUTH_OK;
	if (pthread_mutex_trylock(&wc->crypt_lock))
		return WEB_AUTH_BUSY;
	data = calloc(1, sizeof(*data));
	out = data ? crypt_r(password, u->hash, data) : NULL;
	/* A failed crypt_r returns "*0" or "*1", never a hash. */
	ok = out && out[0] == '$' && same_secret(out, u->hash);
	if (data) {
		explicit_bzero(data, sizeof(*data));
		free(data);
	}
	pthread_mutex_unlock(&wc->crypt_lock);
	if (!ok || !known)
		return WEB_AUTH_DENIED;
	pthread_mutex_lock(&wc->lock);
	forget(&u->accepted);
	u->accepted = strdup(password);
	pthread_mutex_unlock(&wc->lock);
	return WEB_AUTH_OK;
}
