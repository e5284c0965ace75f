// SPDX-License-Identifier: MIT
/*
 * The Prometheus exporter: each report is kept, copied, in a
 * reference-counted snapshot, and rendered in the text exposition format
 * (common/prometheus_text.h) at most once: when a scrape first asks for
 * it, or ahead, by the tick, when a scrape is due before the next report.
 * An HTTP server (libmicrohttpd, on threads of its own) serves the latest
 * snapshot, so a scrape never waits for a tick, nor a tick for a scrape.
 * A report no scrape asks for costs its copy, not its rendering: with a
 * scrape every 15 s and a report a second, 14 of 15 are never rendered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/clock.h"
#include "common/exporter_i.h"
#include "common/log.h"
#include "common/prometheus_auth_i.h"
#include "common/prometheus_body_i.h"
#include "common/prometheus_conns_i.h"
#include "common/prometheus_text.h"
#include "common/publish.h"
#include "common/web_config.h"

/*
 * Limits. Together they bound what slow or hostile clients can hold:
 * connections, memory per connection, and time. A client address has no
 * limit of its own: an attacker on the same host shares 127.0.0.1 (or any
 * 127.0.0.0/8 address) with a local scraper, so such a limit would lock the
 * scraper out. Instead, past HTTP_CONNECTIONS the connections that wait
 * for a request, oldest first, make room for the new one (prometheus_conns.c):
 * a scraper that sends its request promptly is served, however many idle
 * connections others hold.
 */
#define HTTP_THREADS 4              /* scrapes served in parallel */
#define HTTP_CONNECTIONS_MAX 512    /* per listen address, closing ones included: accepted no further */
#define HTTP_MEMORY (32 * 1024)     /* per connection: request line and headers */
#define HTTP_BACKLOG 4096         /* what the kernel allows (somaxconn) at most */
#define LISTEN_MAX 16

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

/* ---- HTTP ---------------------------------------------------------------- */

struct prometheus {
	struct publisher reports;
	bool publishing;               /* reports is set up */
	unsigned long scrapes;         /* atomic */
	unsigned long renders_asked;   /* atomic: reports rendered for a scrape that asked */
	unsigned long renders_foreseen; /* atomic: reports rendered ahead, a scrape due */
	uint64_t first_ns[SCRAPE_TIMES]; /* atomic: when reports were first scraped, a ring */
	unsigned long nfirst;          /* atomic: entries ever put in first_ns */
	struct MHD_Daemon *mhd[LISTEN_MAX];
	size_t nmhd;
	struct MHD_Response *index, *not_found, *not_allowed, *unauthorized, *busy, *bad_request, *no_memory;
	struct web_config web;         /* TLS and basic auth, from --web-config */
	struct http_conns conns;       /* the clients', with their timeouts and cap */
	struct complaint render_complaint;
};

static const char index_html[] =
	"<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>vpowercap</title></head>\n"
	"<body>\n<h1>vpowercap</h1>\n<p>Power and energy per zone, process and VM, for Prometheus: "
	"<a href=\"/metrics\">/metrics</a></p>\n</body>\n</html>\n";

/*
 * A response to one scrape: the snapshot, then the scrape counter (the
 * tail). Compressed: the tail as a final stored block and the trailer,
 * in @end. Plain: the body inflated as it is sent, through @z.
 */
struct scrape {
	struct prometheus *p;
	struct snapshot *snap;
	size_t tail_len;
	char tail[512];
	unsigned char end[5 + 8];  /* stored block header; CRC-32 and length */
	bool inflating;
	z_stream z;
};

static void scrape_free(void *cls)
{
	struct scrape *sc = cls;

	if (sc->inflating)
		inflateEnd(&sc->z);
	publisher_put(&sc->p->reports, &sc->snap->pub);
	free(sc);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The plain body, from @pos on: inflated, then the tail. */
static ssize_t read_plain(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct scrape *sc = cls;
	const struct snapshot *snap = sc->snap;
	size_t done = 0;

	while (done < max && pos + done < snap->len) {
		size_t want = snap->len - (size_t)(pos + done);
		Bytef *out = (Bytef *)buf + done;
		int zret;

		sc->z.next_out = out;
		sc->z.avail_out = (uInt)(want < max - done ? want : max - done);
		zret = inflate(&sc->z, Z_SYNC_FLUSH);
		/* nothing out, or an error: the compressed text is not what was made */
		if ((zret != Z_OK && zret != Z_STREAM_END) || sc->z.next_out == out)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		done = (size_t)(sc->z.next_out - (Bytef *)buf);
	}
	while (done < max && pos + done < snap->len + sc->tail_len) {
		size_t at = (size_t)(pos + done) - snap->len, n = sc->tail_len - at;

		if (n > max - done)
			n = max - done;
		memcpy(buf + done, sc->tail + at, n);
		done += n;
	}
	return done ? (ssize_t)done : MHD_CONTENT_READER_END_OF_STREAM;
}

/*
 * Whether an Accept-Encoding header takes gzip: "gzip" (or "x-gzip")
 * among its codings, not with q=0.
 */
static bool accepts_gzip(const char *value)
{
	const char *p = value;

	while (p && *p) {
		size_t len;
		const char *params, *end;

		p += strspn(p, " \t,");
		end = p + strcspn(p, ",");
		len = strcspn(p, " \t;,");
		params = p + len;
		if ((len == 4 && !strncasecmp(p, "gzip", 4)) || (len == 6 && !strncasecmp(p, "x-gzip", 6))) {
			const char *q = params;

			while (q < end && (q = strchr(q, 'q')) && q < end) {
				if (q[1] == '=' && q[2] == '0' && strspn(q + 3, ".0") == (size_t)(strcspn(q + 3, " \t;,")))
					return false;
				q++;
			}
			return true;
		}
		p = end;
	}
	return false;
}

/* A report's first scrape, now: kept to foresee the next ones. */
static void scrape_seen(struct prometheus *p)
{
	unsigned long i = __atomic_fetch_add(&p->nfirst, 1, __ATOMIC_RELAXED);

	__atomic_store_n(&p->first_ns[i % SCRAPE_TIMES], clock_mono_ns(), __ATOMIC_RELAXED);
}

/* Whether a scrape is due between @now and @period_ns later (scrape_foreseen()). */
static bool scrape_due(struct prometheus *p, uint64_t now, uint64_t period_ns)
{
	uint64_t t[SCRAPE_TIMES];

	for (size_t i = 0; i < SCRAPE_TIMES; i++)
		t[i] = __atomic_load_n(&p->first_ns[i], __ATOMIC_RELAXED);
	return scrape_foreseen(t, SCRAPE_TIMES, now, period_ns);
}

static enum MHD_Result serve_metrics(struct prometheus *p, struct MHD_Connection *conn)
{
	struct scrape *sc = calloc(1, sizeof(*sc));
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	bool gzip = accept && accepts_gzip(accept);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned long n;
	int len;

	if (!sc)
		return MHD_NO;
	sc->p = p;
	sc->snap = (struct snapshot *)publisher_get(&p->reports);
	if (!__atomic_exchange_n(&sc->snap->served, 1, __ATOMIC_RELAXED))
		scrape_seen(p);
	if (!__atomic_load_n(&sc->snap->ready, __ATOMIC_ACQUIRE)) {
		if (snapshot_render(sc->snap) < 0) {
			scrape_free(sc);
			return MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, p->no_memory);
		}
		__atomic_add_fetch(&p->renders_asked, 1, __ATOMIC_RELAXED);
	}
	n = __atomic_add_fetch(&p->scrapes, 1, __ATOMIC_RELAXED);
	len = snprintf(sc->tail, sizeof(sc->tail),
		       "# HELP vpowercap_scrapes_total Requests for /metrics answered since start, this one included.\n"
		       "# TYPE vpowercap_scrapes_total counter\n"
		       "vpowercap_scrapes_total %lu\n"
		       "# HELP vpowercap_prometheus_renders_total Reports rendered for /metrics since start: "
		       "when a scrape asked for one, or ahead, a scrape foreseen.\n"
		       "# TYPE vpowercap_prometheus_renders_total counter\n"
		       "vpowercap_prometheus_renders_total{when=\"asked\"} %lu\n"
		       "vpowercap_prometheus_renders_total{when=\"foreseen\"} %lu\n",
		       n, __atomic_load_n(&p->renders_asked, __ATOMIC_RELAXED),
		       __atomic_load_n(&p->renders_foreseen, __ATOMIC_RELAXED));
	sc->tail_len = (size_t)len;
	if (gzip) {
		struct MHD_IoVec iov[4];

		sc->end[0] = 1;  /* BFINAL, stored */
		sc->end[1] = (unsigned char)(sc->tail_len & 0xff);
		sc->end[2] = (unsigned char)(sc->tail_len >> 8);
		sc->end[3] = (unsigned char)(~sc->tail_len & 0xff);
		sc->end[4] = (unsigned char)((~sc->tail_len >> 8) & 0xff);
		put_le32(sc->end + 5, (uint32_t)crc32_combine(sc->snap->crc,
							      crc32(crc32(0, NULL, 0), (const Bytef *)sc->tail,
								    (uInt)sc->tail_len),
							      (z_off_t)sc->tail_len));
		put_le32(sc->end + 9, (uint32_t)(sc->snap->len + sc->tail_len));
		iov[0] = (struct MHD_IoVec){ sc->snap->gz, sc->snap->gz_len };
		iov[1] = (struct MHD_IoVec){ sc->end, 5 };
		iov[2] = (struct MHD_IoVec){ sc->tail, sc->tail_len };
		iov[3] = (struct MHD_IoVec){ sc->end + 5, 8 };
		resp = MHD_create_response_from_iovec(iov, 4, scrape_free, sc);
	} else {
		if (inflateInit2(&sc->z, -MAX_WBITS) != Z_OK) {
			scrape_free(sc);
			return MHD_NO;
		}
		sc->inflating = true;
		sc->z.next_in = sc->snap->gz + GZIP_HEADER_LEN;
		sc->z.avail_in = (uInt)(sc->snap->gz_len - GZIP_HEADER_LEN);
		resp = MHD_create_response_from_callback(sc->snap->len + sc->tail_len, 32 * 1024, read_plain, sc,
							 scrape_free);
	}
	if (!resp) {
		scrape_free(sc);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE_METRICS);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gzip)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Move @conn's tracking to @state, its timeout starting now. */
static void conn_enter(struct prometheus *p, struct MHD_Connection *conn, enum http_conn_state state)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	if (ci && ci->socket_context)
		http_conns_enter(&p->conns, ci->socket_context, state);
}

/* A request's context once its headers are in, when no check was waited for. */
static int headers_seen;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct prometheus *p = cls;
	bool metrics = !strcmp(url, "/metrics"), index = !strcmp(url, "/"), first = !*req_cls;
	enum web_auth auth = WEB_AUTH_OK;
	const char *length;

	(void)version;
	(void)upload_data;
	/*
	 * A GET or HEAD with a body (Content-Length, Transfer-Encoding) is
	 * refused with its headers, never waited on: a flood of requests
	 * whose promised body never comes holds no place a scraper needs.
	 */
	length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (first && (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
		      (length && strspn(length, "0") != strlen(length))))
		return MHD_queue_response(conn, MHD_HTTP_BAD_REQUEST, p->bad_request);
	/* The request line and headers are in: no longer a connection to drop. */
	if (first)
		conn_enter(p, conn, CONN_BUSY);
	if (p->web.nusers && first) {
		struct auth_wait *w;

		auth = prometheus_auth_start(&p->web, conn, &w);
		*req_cls = w;
		if (auth == WEB_AUTH_PENDING)
			return MHD_YES;  /* suspended: called again once checked, as the whole request */
	} else if (p->web.nusers) {
		auth = prometheus_auth_answer(*req_cls);  /* resumed, or the request is whole */
	}
	if (p->web.nusers) {
		switch (auth) {
		case WEB_AUTH_OK:
			break;
		case WEB_AUTH_PENDING:  /* never: a request is let in on an answer alone */
		case WEB_AUTH_BUSY:
			return MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, p->busy);
		case WEB_AUTH_DENIED:
			/*
			 * The challenge is a header of the shared response, set once:
			 * MHD_queue_basic_auth_fail_response() would add one to it
			 * at each call, from every thread.
			 */
			return MHD_queue_response(conn, MHD_HTTP_UNAUTHORIZED, p->unauthorized);
		}
	}
	/* Refused at once; libmicrohttpd then closes rather than read a body. */
	if (!metrics && !index)
		return MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, p->not_found);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, p->not_allowed);
	/*
	 * Answer once the whole request is in (the second call): an answer
	 * queued at the first call, with the headers, closes the connection,
	 * and Prometheus keeps its connection open between scrapes. (A
	 * request resumed after its password's check is whole already.)
	 */
	if (first) {
		if (!*req_cls)
			*req_cls = &headers_seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;  /* a body on a GET means nothing: dropped */
		return MHD_YES;
	}
	if (index)
		return MHD_queue_response(conn, MHD_HTTP_OK, p->index);
	return serve_metrics(p, conn);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct prometheus *p = cls;
	struct http_conn *c = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		/* untracked when out of memory: the idle timeout still applies */
		*socket_context = ci ? http_conns_opened(&p->conns, ci->connect_fd) : NULL;
		return;
	}
	/* Closed: libmicrohttpd closes the descriptor after this returns. */
	if (c)
		http_conns_closed(&p->conns, c);
	*socket_context = NULL;
}

/* A request was answered: the connection waits for its next one. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	if (*req_cls && *req_cls != &headers_seen)
		prometheus_auth_free(*req_cls);
	*req_cls = NULL;
	conn_enter(cls, conn, CONN_KEPT_ALIVE);
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	/* Limits at work (a client refused, a connection timed out) are routine. */
	log_debug("prometheus: http: %s", line);
}

/* Bind address @ss of @text and start a server on it. */
static int listen_at(struct prometheus *p, const char *text, struct sockaddr_storage ss, socklen_t sslen)
{
	char where[INET6_ADDRSTRLEN + 16];
	int fd, one = 1, err;

	if (p->nmhd == LISTEN_MAX)
		return log_error(-EINVAL, "prometheus: at most %d listen addresses", LISTEN_MAX);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_error(-errno, "prometheus: cannot open a socket for '%s': %s", text, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::]:PORT and 0.0.0.0:PORT are two addresses, listened on separately. */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, HTTP_BACKLOG) < 0) {
		err = -errno;
		close(fd);
		return log_error(err, "prometheus: cannot listen on '%s': %s", text, strerror(-err));
	}
	sslen = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sslen);
	prometheus_format_address(&ss, where, sizeof(where));

	p->mhd[p->nmhd] = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
		(ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) | (p->web.tls_cert ? MHD_USE_TLS : 0),
		0, NULL, NULL, on_request, p,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_MAX,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_KEEPALIVE_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, p,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, p,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, p,
		/* The options' list ends at the first MHD_OPTION_END: without TLS, here. */
		p->web.tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, p->web.tls_cert,
		MHD_OPTION_HTTPS_MEM_KEY, p->web.tls_key,
		MHD_OPTION_END);
	if (!p->mhd[p->nmhd]) {
		close(fd);
		return log_error(-EIO, "prometheus: cannot start the HTTP%s server on '%s'%s",
				 p->web.tls_cert ? "S" : "", where,
				 p->web.tls_cert ? " (do the TLS key and certificate match? run with -v for the reason)" : "");
	}
	p->nmhd++;
	log_info("prometheus: serving http%s://%s/metrics%s", p->web.tls_cert ? "s" : "", where,
		 p->web.nusers ? " (basic auth)" : "");
	return 0;
}

/*
 * Bind every address of @text and start a server on each. For ":PORT", a
 * host without IPv6 listens on IPv4 alone.
 */
static int listen_on(struct prometheus *p, const char *text)
{
	struct listen_address addrs[LISTEN_MAX];
	int n = prometheus_resolve_listen(text, addrs, LISTEN_MAX);

	if (n == -ENOENT)
		return log_error(-EINVAL, "prometheus: listen address '%s': the name does not resolve", text);
	if (n < 0)
		return log_error(-EINVAL, "prometheus: bad listen address '%s' (want ADDR:PORT, [ADDR]:PORT "
				 "for IPv6, NAME:PORT or :PORT, e.g. 127.0.0.1:9811, [::1]:9811, "
				 "localhost:9811 or :9811)", text);
	for (int i = 0; i < n; i++) {
		int fd, ret;

		if (text[0] == ':' && addrs[i].ss.ss_family == AF_INET6) {
			fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0 && errno == EAFNOSUPPORT)
				continue;
			if (fd >= 0)
				close(fd);
		}
		ret = listen_at(p, text, addrs[i].ss, addrs[i].len);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static struct MHD_Response *static_response(const char *text, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);

	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return r;
}

struct server_start {
	struct prometheus *p;
	const char *listen;
	int ret;
};

/* Below the program's other threads, by this much nice. */
#define HTTP_NICE 10

static void *start_servers(void *arg)
{
	struct server_start *st = arg;
	struct prometheus *p = st->p;
	char *list = strdup(st->listen), *save = NULL;
	int nice = getpriority(PRIO_PROCESS, 0);

	/* Linux keeps a nice value per thread; new threads inherit it. */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice + HTTP_NICE);
	st->ret = list ? 0 : -ENOMEM;
	for (char *item = list ? strtok_r(list, ",", &save) : NULL; item && st->ret == 0;
	     item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		for (size_t n = strlen(item); n && (item[n - 1] == ' ' || item[n - 1] == '\t'); n--)
			item[n - 1] = '\0';
		if (*item)
			st->ret = listen_on(p, item);
	}
	free(list);
	if (st->ret == 0 && p->nmhd == 0)
		st->ret = log_error(-EINVAL, "prometheus: no listen address in '%s'", st->listen);
	if (st->ret == 0) {
		st->ret = http_conns_start_reaper(&p->conns);
		if (st->ret < 0)
			log_error(st->ret, "prometheus: cannot start a thread: %s", strerror(-st->ret));
	}
	return NULL;
}

static void prometheus_close(struct exporter *e)
{
	struct prometheus *p = e->priv;

	if (!p)
		return;
	http_conns_stop_reaper(&p->conns);
	/* every suspended connection resumed (answered, or denied) before its server stops */
	web_config_stop_checks(&p->web);
	for (size_t i = 0; i < p->nmhd; i++)
		MHD_stop_daemon(p->mhd[i]);
	if (p->index)
		MHD_destroy_response(p->index);
	if (p->not_found)
		MHD_destroy_response(p->not_found);
	if (p->not_allowed)
		MHD_destroy_response(p->not_allowed);
	if (p->unauthorized)
		MHD_destroy_response(p->unauthorized);
	if (p->busy)
		MHD_destroy_response(p->busy);
	if (p->bad_request)
		MHD_destroy_response(p->bad_request);
	if (p->no_memory)
		MHD_destroy_response(p->no_memory);
	/* The servers are stopped: no scrape holds anything now. */
	if (p->publishing)
		publisher_release(&p->reports);
	http_conns_release(&p->conns);
	web_config_release(&p->web);
	free(p);
	e->priv = NULL;
}

static int prometheus_open(struct exporter *e, const struct exporter_config *cfg)
{
	struct prometheus *p = calloc(1, sizeof(*p));
	struct snapshot *first;
	struct server_start start = { 0 };
	pthread_t starter;
	sigset_t all, old;
	int ret;

	if (!p)
		return log_error(-ENOMEM, "prometheus: out of memory");
	http_conns_init(&p->conns);
	e->priv = p;
	if (cfg->web_config && cfg->web_config[0]) {
		ret = web_config_load(&p->web, cfg->web_config);
		if (ret < 0)
			goto fail;
	}

	/* Until the first report, a scrape gets the build and a zero count. */
	first = snapshot_new(NULL, 0);
	if (!first || snapshot_render(first) < 0) {
		if (first)
			snapshot_free(&first->pub);
		ret = log_error(-ENOMEM, "prometheus: out of memory");
		goto fail;
	}
	publisher_init(&p->reports, &first->pub, snapshot_free);
	p->publishing = true;
	p->index = static_response(index_html, "text/html; charset=utf-8");
	p->not_found = static_response("not found: metrics are at /metrics\n", "text/plain; charset=utf-8");
	p->not_allowed = static_response("method not allowed: use GET or HEAD\n", "text/plain; charset=utf-8");
	p->unauthorized = static_response("unauthorized\n", "text/plain; charset=utf-8");
	p->busy = static_response("busy checking other passwords: try again\n", "text/plain; charset=utf-8");
	p->bad_request = static_response("bad request: a GET or HEAD has no body\n", "text/plain; charset=utf-8");
	p->no_memory = static_response("out of memory: try again\n", "text/plain; charset=utf-8");
	if (!p->index || !p->not_found || !p->not_allowed || !p->unauthorized || !p->busy || !p->bad_request ||
	    !p->no_memory ||
	    MHD_add_response_header(p->busy, MHD_HTTP_HEADER_RETRY_AFTER, "1") != MHD_YES ||
	    MHD_add_response_header(p->no_memory, MHD_HTTP_HEADER_RETRY_AFTER, "1") != MHD_YES ||
	    MHD_add_response_header(p->unauthorized, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				    "Basic realm=\"vpowercap\", charset=\"UTF-8\"") != MHD_YES ||
	    MHD_add_response_header(p->not_allowed, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES) {
		ret = log_error(-ENOMEM, "prometheus: out of memory");
		goto fail;
	}

	/*
	 * The server's threads are started from a thread of their own, which
	 * they take their signal mask and nice value from: signals are left to
	 * the program's main thread, and the ticks win the CPU over scrapes.
	 */
	start.p = p;
	start.listen = cfg->listen && cfg->listen[0] ? cfg->listen : "0.0.0.0:9811";
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&starter, NULL, start_servers, &start);
	if (ret == 0) {
		pthread_join(starter, NULL);
		ret = start.ret;
	} else {
		log_error(ret, "prometheus: cannot start a thread: %s", strerror(-ret));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	prometheus_close(e);
	return ret;
}

/*
 * Publish @r as a copy; rendered now only when a scrape is due before the
 * next report. Out of memory, scrapes keep the previous report.
 */
static int prometheus_write(struct exporter *e, const struct report *r)
{
	struct prometheus *p = e->priv;
	struct snapshot *s = snapshot_new(r, e->steps + 1);
	uint64_t period_ns = r->interval_s > 0 ? (uint64_t)(r->interval_s * NSEC_PER_SEC) : NSEC_PER_SEC;

	if (s && scrape_due(p, clock_mono_ns(), period_ns)) {
		if (snapshot_render(s) < 0) {
			snapshot_free(&s->pub);
			s = NULL;
		} else {
			__atomic_add_fetch(&p->renders_foreseen, 1, __ATOMIC_RELAXED);
		}
	}
	if (!s) {
		complain(&p->render_complaint, LOG_LEVEL_WARNING,
			 "prometheus: out of memory: scrapes get the previous report");
		return 0;
	}
	complaint_release(&p->render_complaint, "prometheus: reports published again");
	publisher_publish(&p->reports, &s->pub);
	return 0;
}

const struct exporter_ops prometheus_exporter_ops = {
	.name = "prometheus",
	.open = prometheus_open,
	.write = prometheus_write,
	.close = prometheus_close,
};
