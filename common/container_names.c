// SPDX-License-Identifier: MIT
/* Container names from the Docker-compatible API's unix socket. */
#include "common/container_names.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"

/* --- the body: a JSON array of objects ----------------------------------- */

struct scan {
	const char *p, *end;
};

static void skip_space(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/*
 * A string at s->p, into @out (at most @size - 1 bytes, the rest dropped
 * and *@cut set) when @out is not NULL. \uXXXX comes out as UTF-8 (a
 * surrogate as '?': no name has one), other escapes as their character.
 * Returns false on a malformed one.
 */
static bool scan_string(struct scan *s, char *out, size_t size, bool *cut)
{
	size_t n = 0;

	if (s->p >= s->end || *s->p != '"')
		return false;
	for (s->p++; s->p < s->end; s->p++) {
		char c = *s->p, utf8[3];
		size_t k = 1;

		if (c == '"') {
			s->p++;
			if (out)
				out[n] = '\0';
			return true;
		}
		utf8[0] = c;
		if (c == '\\') {
			if (++s->p >= s->end)
				return false;
			c = *s->p;
			utf8[0] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' :
				  c == 'f' ? '\f' : c;
			if (c == 'u') {
				unsigned cp;
				char hex[5];

				if (s->end - s->p < 5)
					return false;
				memcpy(hex, s->p + 1, 4);
				hex[4] = '\0';
				if (strspn(hex, "0123456789abcdefABCDEF") != 4)
					return false;
				cp = (unsigned)strtoul(hex, NULL, 16);
				s->p += 4;
				if (cp < 0x80) {
					utf8[0] = (char)cp;
				} else if (cp < 0x800) {
					utf8[0] = (char)(0xc0 | cp >> 6);
					utf8[1] = (char)(0x80 | (cp & 0x3f));
					k = 2;
				} else if (cp >= 0xd800 && cp < 0xe000) {
					utf8[0] = '?';
				} else {
					utf8[0] = (char)(0xe0 | cp >> 12);
					utf8[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
					utf8[2] = (char)(0x80 | (cp & 0x3f));
					k = 3;
				}
			}
		}
		if (out) {
			if (n + k < size) {
				memcpy(out + n, utf8, k);
				n += k;
			} else {
				*cut = true;
			}
		}
	}
	return false;
}

/* Any value: strings read whole, nesting counted, the rest skipped to a delimiter. */
static bool skip_value(struct scan *s)
{
	int depth = 0;

	do {
		skip_space(s);
		if (s->p >= s->end)
			return false;
		switch (*s->p) {
		case '"':
			if (!scan_string(s, NULL, 0, NULL))
				return false;
			continue;
		case '{':
		case '[':
			if (++depth > 64)
				return false;
			break;
		case '}':
		case ']':
			if (--depth < 0)
				return false;
			break;
		case ',':
		case ':':
			if (!depth)
				return false;
			break;
		default:
			if (!depth) {
				while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
					s->p++;
				return true;
			}
		}
		s->p++;
	} while (depth > 0);
	return true;
}

static bool expect(struct scan *s, char c)
{
	skip_space(s);
	if (s->p >= s->end || *s->p != c)
		return false;
	s->p++;
	return true;
}

static bool peek(struct scan *s, char c)
{
	skip_space(s);
	return s->p < s->end && *s->p == c;
}

static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n != CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

static bool valid_name(const char *name)
{
	if (!name[0])
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* One container object: its Id and first name. */
static bool scan_container(struct scan *s, struct container_name *c, bool *ok)
{
	char key[16], first[CONTAINER_NAME_MAX + 2];
	bool cut = false, name_cut = false;

	*ok = false;
	c->id[0] = c->name[0] = first[0] = '\0';
	if (!expect(s, '{'))
		return false;
	for (bool first_key = true; !(first_key && peek(s, '}')); first_key = false) {
		bool key_cut = false;

		if (!scan_string(s, key, sizeof(key), &key_cut) || !expect(s, ':'))
			return false;
		skip_space(s);
		if (!key_cut && !strcmp(key, "Id") && peek(s, '"')) {
			if (!scan_string(s, c->id, sizeof(c->id), &cut))
				return false;
		} else if (!key_cut && !strcmp(key, "Names") && peek(s, '[')) {
			s->p++;
			for (bool one = true; !peek(s, ']'); one = false) {
				if (!one && !expect(s, ','))
					return false;
				skip_space(s);
				if (one && peek(s, '"')) {
					if (!scan_string(s, first, sizeof(first), &name_cut))
						return false;
				} else if (!skip_value(s)) {
					return false;
				}
			}
			s->p++;
		} else if (!skip_value(s)) {
			return false;
		}
		if (peek(s, '}'))
			break;
		if (!expect(s, ','))
			return false;
	}
	s->p++;
	if (cut || name_cut || !valid_id(c->id))
		return true;  /* well formed, but not one to keep */
	snprintf(c->name, sizeof(c->name), "%s", first[0] == '/' ? first + 1 : first);
	*ok = valid_name(c->name);
	return true;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct container_name *)a)->id, ((const struct container_name *)b)->id);
}

struct container_names *container_names_parse(const char *body, size_t len)
{
	struct container_names *names = calloc(1, sizeof(*names));
	struct scan s = { body, body + len };
	size_t alloc = 0;

	if (!names)
		return NULL;
	if (!expect(&s, '['))
		goto bad;
	for (bool first = true; !peek(&s, ']'); first = false) {
		struct container_name c;
		bool ok;

		if ((!first && !expect(&s, ',')) || !scan_container(&s, &c, &ok))
			goto bad;
		if (!ok)
			continue;
		if (ALLOC_GROW(names->v, names->n + 1, alloc) < 0) {
			container_names_free(names);
			errno = ENOMEM;
			return NULL;
		}
		names->v[names->n++] = c;
	}
	s.p++;
	skip_space(&s);
	if (s.p != s.end)
		goto bad;
	if (names->n)
		qsort(names->v, names->n, sizeof(*names->v), by_id);
	return names;
bad:
	container_names_free(names);
	errno = EINVAL;
	return NULL;
}

const char *container_names_find(const struct container_names *names, const char *id)
{
	struct container_name key;
	const struct container_name *hit;

	if (!names || !names->n || strlen(id) > CONTAINER_ID_LEN)
		return NULL;
	strcpy(key.id, id);
	hit = bsearch(&key, names->v, names->n, sizeof(*names->v), by_id);
	return hit ? hit->name : NULL;
}

void container_names_free(struct container_names *names)
{
	if (!names)
		return;
	free(names->v);
	free(names);
}

/* --- the client: HTTP/1.0 over a unix socket ------------------------------ */

/* Wait for @fd to be ready for @events until @deadline (monotonic seconds). */
/* Wait for @events on @fd until @deadline; -ECANCELED as soon as @cancel_fd (>= 0) is readable. */
static int wait_fd(int fd, short events, double deadline, int cancel_fd)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = events }, { .fd = cancel_fd, .events = POLLIN } };
	double left = deadline - clock_mono_s();
	int ret;

	if (left <= 0)
		return -ETIMEDOUT;
	ret = poll(pfd, cancel_fd >= 0 ? 2 : 1, (int)(left * 1000) + 1);
	if (ret < 0)
		return -errno;
	if (cancel_fd >= 0 && pfd[1].revents)
		return -ECANCELED;
	return ret ? 0 : -ETIMEDOUT;
}

/* The body of an HTTP answer in @buf[0..@len): 200 only, no chunked encoding. */
static const char *http_body(char *buf, size_t len, size_t *body_len)
{
	char *end = memmem(buf, len, "\r\n\r\n", 4);
	int status;

	if (!end || sscanf(buf, "HTTP/1.%*[01] %d", &status) != 1 || status != 200) {
		errno = EPROTO;
		return NULL;
	}
	*end = '\0';
	/*
	 * header by header, each looked at once: linear in the headers, however
	 * many (memmem within the head, not strstr, which the sanitizers'
	 * check measures the whole rest of the buffer for at each call)
	 */
	for (char *h = memmem(buf, (size_t)(end - buf), "\r\n", 2); h; h = memmem(h, (size_t)(end - h), "\r\n", 2)) {
		char *eol;

		h += 2;
		eol = memmem(h, (size_t)(end - h), "\r\n", 2);
		if (eol)
			*eol = '\0';
		if (!strncasecmp(h, "transfer-encoding:", 18) && strcasestr(h + 18, "chunked")) {
			errno = EPROTO;
			return NULL;
		}
		if (!eol)
			break;
		*eol = '\r';
		h = eol;
	}
	*body_len = len - (size_t)(end + 4 - buf);
	return end + 4;
}

struct container_names *container_api_query(const char *path, double timeout_s, int cancel_fd)
{
	static const char request[] = "GET /containers/json HTTP/1.0\r\nHost: docker\r\n\r\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double deadline = clock_mono_s() + timeout_s;
	struct container_names *names = NULL;
	size_t len = 0, alloc = 0, body_len, sent = 0;
	const char *body;
	char *buf = NULL;
	int fd, ret, err = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* a unix socket's backlog full: EAGAIN, nothing to wait for */
		err = errno;
		goto out;
	}
	while (sent < sizeof(request) - 1) {
		ssize_t n;

		if ((ret = wait_fd(fd, POLLOUT, deadline, cancel_fd)) < 0) {
			err = -ret;
			goto out;
		}
		n = send(fd, request + sent, sizeof(request) - 1 - sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			err = errno;
			goto out;
		}
		if (n > 0)
			sent += (size_t)n;
	}
	for (;;) {
		ssize_t n;

		if (ALLOC_GROW(buf, len + 65536 + 1, alloc) < 0) {
			err = ENOMEM;
			goto out;
		}
		if ((ret = wait_fd(fd, POLLIN, deadline, cancel_fd)) < 0) {
			err = -ret;
			goto out;
		}
		n = recv(fd, buf + len, alloc - len - 1, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			err = errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONTAINER_API_MAX_BYTES) {
			err = EFBIG;
			goto out;
		}
	}
	buf[len] = '\0';
	body = http_body(buf, len, &body_len);
	if (!body) {
		err = errno;
		goto out;
	}
	names = container_names_parse(body, body_len);
	if (!names)
		err = errno;
out:
	close(fd);
	free(buf);
	errno = err;
	return names;
}

/* --- the thread ------------------------------------------------------------ */

struct container_resolver {
	struct publisher pub;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	int stop_fd;                 /* an eventfd: written to cancel a query under way */
	double interval_s, timeout_s;
	char *sockets;
	struct complaint complaint;
};

static void free_snapshot(struct published *p)
{
	container_names_free((struct container_names *)p);
}

/* Every readable socket's names, merged; NULL when none answered. */
static struct container_names *ask_all(struct container_resolver *r, bool *any_socket)
{
	struct container_names *all = NULL;
	char *list = strdup(r->sockets), *save = NULL;

	*any_socket = false;
	if (!list)
		return NULL;
	for (char *path = strtok_r(list, ",", &save); path; path = strtok_r(NULL, ",", &save)) {
		struct container_names *one;
		struct container_name *v;

		if (access(path, R_OK | W_OK) < 0)
			continue;
		*any_socket = true;
		one = container_api_query(path, r->timeout_s, r->stop_fd);
		if (!one && errno == ECANCELED)
			break;
		if (!one) {
			complain(&r->complaint, LOG_LEVEL_WARNING,
				 "container names: no answer from '%s': %s", path, strerror(errno));
			continue;
		}
		complaint_release(&r->complaint, "container names: '%s' answers again", path);
		if (!all || !one->n) {
			if (!all)
				all = one;
			else
				container_names_free(one);
			continue;
		}
		v = realloc(all->v, (all->n + one->n) * sizeof(*v));
		if (v) {
			memcpy(v + all->n, one->v, one->n * sizeof(*v));
			all->v = v;
			all->n += one->n;
			qsort(all->v, all->n, sizeof(*all->v), by_id);
		}
		container_names_free(one);
	}
	free(list);
	return all;
}

static void *resolver_main(void *arg)
{
	struct container_resolver *r = arg;
	bool said_none = false;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		struct container_names *names;
		bool any_socket;
		struct timespec until;

		pthread_mutex_unlock(&r->lock);
		names = ask_all(r, &any_socket);
		if (!any_socket && !said_none) {
			log_info("container names: no readable Docker API socket (%s): ids only",
				 r->sockets);
			said_none = true;
		} else if (any_socket) {
			said_none = false;
		}
		if (names)
			publisher_publish(&r->pub, &names->pub);
		clock_gettime(CLOCK_MONOTONIC, &until);  /* the condition's clock */
		until.tv_sec += (time_t)r->interval_s;
		until.tv_nsec += (long)((r->interval_s - (double)(time_t)r->interval_s) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&r->lock);
		while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct container_resolver *container_resolver_start(const char *sockets, double interval_s,
						    double timeout_s)
{
	struct container_resolver *r = calloc(1, sizeof(*r));
	struct container_names *empty = calloc(1, sizeof(*empty));
	int ret;

	if (!r || !empty || !(r->sockets = strdup(sockets))) {
		free(empty);
		if (r)
			free(r->sockets);
		free(r);
		log_error(-ENOMEM, "out of memory");
		return NULL;
	}
	r->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->stop_fd < 0) {
		log_error(-errno, "container names: %s", strerror(errno));
		free(empty);
		free(r->sockets);
		free(r);
		return NULL;
	}
	r->interval_s = interval_s;
	r->timeout_s = timeout_s;
	r->complaint = (struct complaint)COMPLAINT_INIT;
	publisher_init(&r->pub, &empty->pub, free_snapshot);
	pthread_mutex_init(&r->lock, NULL);
	{
		pthread_condattr_t attr;

		/* waits that a change of the wall clock neither stretches nor cuts */
		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&r->wake, &attr);
		pthread_condattr_destroy(&attr);
	}
	ret = pthread_create(&r->thread, NULL, resolver_main, r);
	if (ret) {
		log_error(-ret, "container names: cannot start a thread: %s", strerror(ret));
		publisher_release(&r->pub);
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		close(r->stop_fd);
		free(r->sockets);
		free(r);
		return NULL;
	}
	return r;
}

const struct container_names *container_resolver_get(struct container_resolver *r)
{
	return (const struct container_names *)publisher_get(&r->pub);
}

void container_resolver_put(struct container_resolver *r, const struct container_names *names)
{
	publisher_put(&r->pub, (struct published *)&names->pub);
}

void container_resolver_free(struct container_resolver *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	/* a query under way ends at once: the program's shutdown waits on no API */
	if (eventfd_write(r->stop_fd, 1) < 0)
		log_debug("container names: cannot cancel the query: %s", strerror(errno));
	pthread_join(r->thread, NULL);
	close(r->stop_fd);
	publisher_release(&r->pub);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r->sockets);
	free(r);
}
