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
	pthread_cond_init(&wc->work, NULL);
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
		if (!eq && (strchr(s, ':') || !strcmp(s, "---"))) {
			snprintf(why, sizeof(why), "not a '[section]', 'key = value' or comment line: this looks "
				 "like node_exporter's YAML, and the web config is INI: 'tls_server_config:' "
				 "becomes '[tls_server_config]', 'cert_file: F' becomes 'cert_file = F' "
				 "(see docs/metrics.md)");
			ret = -EINVAL;
			continue;
		}
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
	web_config_stop_checks(wc);
	pthread_mutex_destroy(&wc->lock);
	pthread_cond_destroy(&wc->work);
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

/* @password against every user's hash: whether it is @u's (NULL: no user of that name). */
static bool crypt_matches(const struct web_config *wc, const struct web_user *u, const char *password)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	bool ok = false;

	for (size_t i = 0; i < wc->nusers && data; i++) {
		const char *out = crypt_r(password, wc->users[i].hash, data);
		/* A failed crypt_r returns "*0" or "*1", never a hash. */
		bool match = out && out[0] == '$' && same_secret(out, wc->users[i].hash);

		if (&wc->users[i] == u)
			ok = match;
	}
	if (data) {
		explicit_bzero(data, sizeof(*data));
		free(data);
	}
	return ok;
}

static struct web_user *user_named(struct web_config *wc, const char *user)
{
	for (size_t i = 0; i < wc->nusers; i++)
		if (!strcmp(wc->users[i].name, user))
			return &wc->users[i];
	return NULL;
}

/* Whether @password is the one @u was last accepted with (under lock). */
static bool accepted_already(struct web_config *wc, struct web_user *u, const char *password)
{
	bool ok;

	pthread_mutex_lock(&wc->lock);
	ok = u && u->accepted && same_secret(u->accepted, password);
	pthread_mutex_unlock(&wc->lock);
	return ok;
}

static void remember(struct web_config *wc, struct web_user *u, const char *password)
{
	char *copy = strdup(password);

	pthread_mutex_lock(&wc->lock);
	forget(&u->accepted);
	u->accepted = copy;
	pthread_mutex_unlock(&wc->lock);
}

bool web_config_accepted(struct web_config *wc, const char *user, const char *password)
{
	return accepted_already(wc, user_named(wc, user), password);
}

enum web_auth web_config_check(struct web_config *wc, const char *user, const char *password)
{
	struct web_user *u = user_named(wc, user);

	if (!wc->nusers)
		return WEB_AUTH_DENIED;
	if (accepted_already(wc, u, password))
		return WEB_AUTH_OK;
	if (!crypt_matches(wc, u, password) || !u)
		return WEB_AUTH_DENIED;
	remember(wc, u, password);
	return WEB_AUTH_OK;
}

struct web_check {
	struct web_check *next;
	char *user, *password;
	void (*done)(void *arg, enum web_auth answer);
	void *arg;
};

static void check_free(struct web_check *c)
{
	free(c->user);
	forget(&c->password);
	free(c);
}

static void *checker_main(void *arg)
{
	struct web_config *wc = arg;

	pthread_mutex_lock(&wc->lock);
	while (!wc->stopping) {
		struct web_check *c = wc->head;

		if (!c) {
			pthread_cond_wait(&wc->work, &wc->lock);
			continue;
		}
		wc->head = c->next;
		if (!wc->head)
			wc->tail = NULL;
		wc->queued--;
		pthread_mutex_unlock(&wc->lock);
		c->done(c->arg, web_config_check(wc, c->user, c->password));
		check_free(c);
		pthread_mutex_lock(&wc->lock);
	}
	pthread_mutex_unlock(&wc->lock);
	return NULL;
}

enum web_auth web_config_check_async(struct web_config *wc, const char *user, const char *password,
				     void (*done)(void *arg, enum web_auth answer), void *arg)
{
	struct web_user *u = user_named(wc, user);
	struct web_check *c;

	if (!wc->nusers)
		return WEB_AUTH_DENIED;
	if (accepted_already(wc, u, password))
		return WEB_AUTH_OK;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->user = strdup(user)) || !(c->password = strdup(password))) {
		if (c)
			check_free(c);
		return WEB_AUTH_BUSY;
	}
	c->done = done;
	c->arg = arg;
	pthread_mutex_lock(&wc->lock);
	/* the checkers start with the first check: a config loaded only to be checked starts none */
	while (!wc->stopping && wc->ncheckers < WEB_CHECKERS &&
	       pthread_create(&wc->checkers[wc->ncheckers], NULL, checker_main, wc) == 0)
		wc->ncheckers++;
	if (wc->stopping || !wc->ncheckers || wc->queued >= WEB_CHECKS_QUEUED) {
		pthread_mutex_unlock(&wc->lock);
		check_free(c);
		return WEB_AUTH_BUSY;
	}
	if (wc->tail)
		wc->tail->next = c;
	else
		wc->head = c;
	wc->tail = c;
	wc->queued++;
	pthread_cond_signal(&wc->work);
	pthread_mutex_unlock(&wc->lock);
	return WEB_AUTH_PENDING;
}

void web_config_stop_checks(struct web_config *wc)
{
	struct web_check *c;

	pthread_mutex_lock(&wc->lock);
	wc->stopping = true;
	c = wc->head;
	wc->head = wc->tail = NULL;
	wc->queued = 0;
	pthread_cond_broadcast(&wc->work);
	pthread_mutex_unlock(&wc->lock);
	while (c) {
		struct web_check *next = c->next;

		c->done(c->arg, WEB_AUTH_DENIED);
		check_free(c);
		c = next;
	}
	for (size_t i = 0; i < wc->ncheckers; i++)
		pthread_join(wc->checkers[i], NULL);
	wc->ncheckers = 0;
}
