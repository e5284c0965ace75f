// SPDX-License-Identifier: MIT
/*
 * The Riemann exporter: one event per series per step, through the Riemann
 * C client (TCP or TLS), from an outbox's thread. A step waits in the
 * outbox as the wire message the library makes, so that its memory is
 * what it sends; the connection is made again, with a growing wait, when
 * the server goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/exporter_i.h"
#include "common/exporter_net_i.h"
#include "common/exporter_riemann_i.h"
#include "common/log.h"
#include "common/net_format.h"
#include "common/outbox.h"
#include "common/series.h"

/* A blocking send or acknowledgement waits this long at most. */
#define RIEMANN_TIMEOUT_S 5

struct riemann {
	struct outbox outbox;
	riemann_client_t *client;   /* the outbox thread's */
	bool connected;
	bool connected_once;
	bool worked;                /* a step went through since the last connection */
	char host[256];             /* the server's */
	int port;
	bool tls;
	char ca_file[PATH_MAX], cert_file[PATH_MAX], key_file[PATH_MAX];
	char event_host[256];
	char tags[512];
	char attributes[512];
	float ttl;
};

int riemann_parse_address(const char *address, char *host, size_t size, int *port)
{
	const char *colon = strrchr(address, ':'), *start = address, *end = colon;
	char *tail;
	long p;

	if (!colon)
		return -EINVAL;
	if (address[0] == '[') {
		if (colon == address || colon[-1] != ']')
			return -EINVAL;
		start++;
		end--;
	} else if (memchr(address, ':', (size_t)(colon - address))) {
		return -EINVAL;  /* an IPv6 address needs its brackets */
	}
	if (end <= start || (size_t)(end - start) >= size)
		return -EINVAL;
	errno = 0;
	p = strtol(colon + 1, &tail, 10);
	if (errno || tail == colon + 1 || *tail || p < 1 || p > 65535)
		return -EINVAL;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	*port = (int)p;
	return 0;
}

struct build {
	riemann_message_t *msg;
	const struct riemann_events_config *c;
	long long time_us;
	riemann_event_t **events;
	size_t n, alloc;
};

/* Each "A=B" of @pairs as a string attribute of @ev. */
static int add_attributes(riemann_event_t *ev, const char *pairs)
{
	for (const char *item = pairs ? pairs : ""; *item; ) {
		size_t n = strcspn(item, ",");
		const char *eq = memchr(item, '=', n);

		if (n && eq) {
			char key[128], value[512];

			snprintf(key, sizeof(key), "%.*s", (int)(eq - item), item);
			snprintf(value, sizeof(value), "%.*s", (int)(n - (size_t)(eq - item) - 1), eq + 1);
			if (riemann_event_string_attribute_add(ev, key, value) < 0)
				return -ENOMEM;
		}
		item += n + (item[n] == ',');
	}
	return 0;
}

static int add_event(void *arg, const struct series *s)
{
	struct build *b = arg;
	riemann_event_t *ev;
	char service[512];
	size_t len;
	int ret = 0;

	if (!isfinite(s->value))
		return 0;
	len = (size_t)snprintf(service, sizeof(service), "%s", s->name);
	/*
	 * The labels that name the series: a process's container, a
	 * container's name and pod, and the source (estimate) are attributes
	 * only, so that the service stays the same name.
	 */
	for (size_t i = 0; i < s->nkey && len < sizeof(service); i++)
		len += (size_t)snprintf(service + len, sizeof(service) - len, " %s", s->labels[i].value);
	ev = riemann_event_new();
	if (!ev)
		return -ENOMEM;
	ret |= riemann_event_set(ev, RIEMANN_EVENT_FIELD_HOST, b->c->host,
				 RIEMANN_EVENT_FIELD_SERVICE, service,
				 RIEMANN_EVENT_FIELD_STATE, "ok",
				 RIEMANN_EVENT_FIELD_METRIC_D, s->value,
				 RIEMANN_EVENT_FIELD_TIME, (int64_t)(b->time_us / 1000000),
				 RIEMANN_EVENT_FIELD_TIME_MICROS, (int64_t)b->time_us,
				 RIEMANN_EVENT_FIELD_TTL, (double)b->c->ttl,
				 RIEMANN_EVENT_FIELD_NONE);
	ret |= riemann_event_tag_add(ev, "vpowercap");
	for (const char *item = b->c->tags ? b->c->tags : ""; *item && ret == 0; ) {
		size_t n = strcspn(item, ",");
		char tag[256];

		if (n) {
			snprintf(tag, sizeof(tag), "%.*s", (int)n, item);
			ret |= riemann_event_tag_add(ev, tag);
		}
		item += n + (item[n] == ',');
	}
	ret |= riemann_event_string_attribute_add(ev, "metric", s->name);
	for (size_t i = 0; i < s->nlabels && ret == 0; i++)
		ret |= riemann_event_string_attribute_add(ev, s->labels[i].name, s->labels[i].value);
	if (ret == 0)
		ret = add_attributes(ev, b->c->attributes);
	if (ret == 0 && b->n == b->alloc) {
		size_t alloc = b->alloc ? 2 * b->alloc : 64;
		riemann_event_t **events = realloc(b->events, alloc * sizeof(*events));

		if (events) {
			b->events = events;
			b->alloc = alloc;
		} else {
			ret = -ENOMEM;
		}
	}
	if (ret) {
		riemann_event_free(ev);
		return -ENOMEM;
	}
	b->events[b->n++] = ev;
	return 0;
}

riemann_message_t *riemann_events_build(const struct report *r, const struct riemann_events_config *c)
{
	struct build b = { .c = c, .time_us = llround(r->timestamp * 1e6) };
	riemann_message_t *msg;

	if (report_series(r, add_event, &b) != 0 || !(msg = riemann_message_new())) {
		for (size_t i = 0; i < b.n; i++)
			riemann_event_free(b.events[i]);
		free(b.events);
		return NULL;
	}
	/* the message takes the events */
	if (b.n && riemann_message_set_events_n(msg, b.n, b.events) < 0) {
		riemann_message_free(msg);
		for (size_t i = 0; i < b.n; i++)
			riemann_event_free(b.events[i]);
		free(b.events);
		return NULL;
	}
	if (!b.n)
		free(b.events);
	return msg;
}

/*
 * Whether the server answers a TCP connection within RIEMANN_TIMEOUT_S, at
 * the first address its name resolves to, as the client library connects:
 * the library's own connect waits as long as the system's (minutes, for a
 * host that drops packets), and a stop would wait for it.
 */
static int riemann_probe(const struct riemann *rc)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	struct pollfd pfd = { .events = POLLOUT };
	char port[16];
	socklen_t len = sizeof(int);
	int err = 0;

	snprintf(port, sizeof(port), "%d", rc->port);
	if (getaddrinfo(rc->host, port, &hints, &res) != 0)
		return -EADDRNOTAVAIL;
	pfd.fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pfd.fd < 0) {
		err = -errno;
	} else if (connect(pfd.fd, res->ai_addr, res->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			err = -errno;
		else if (poll(&pfd, 1, RIEMANN_TIMEOUT_S * 1000) <= 0)
			err = -ETIMEDOUT;
		else if (getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = -errno;
		else
			err = -err;
	}
	if (pfd.fd >= 0)
		close(pfd.fd);
	freeaddrinfo(res);
	return err;
}

static int riemann_connect(struct riemann *rc, char *why, size_t whylen)
{
	struct timeval tv = { .tv_sec = RIEMANN_TIMEOUT_S };
	int ret = riemann_probe(rc);

	if (ret < 0) {
		snprintf(why, whylen, "cannot connect to %s:%d: %s", rc->host, rc->port, strerror(-ret));
		return ret;
	}
	if (rc->tls)
		ret = riemann_client_connect(rc->client, RIEMANN_CLIENT_TLS, rc->host, rc->port,
					     RIEMANN_CLIENT_OPTION_TLS_CA_FILE, rc->ca_file,
					     RIEMANN_CLIENT_OPTION_TLS_CERT_FILE, rc->cert_file,
					     RIEMANN_CLIENT_OPTION_TLS_KEY_FILE, rc->key_file,
					     RIEMANN_CLIENT_OPTION_TLS_HANDSHAKE_TIMEOUT, RIEMANN_TIMEOUT_S * 1000,
					     RIEMANN_CLIENT_OPTION_NONE);
	else
		ret = riemann_client_connect(rc->client, RIEMANN_CLIENT_TCP, rc->host, rc->port,
					     RIEMANN_CLIENT_OPTION_NONE);
	if (ret < 0) {
		snprintf(why, whylen, "cannot connect to %s:%d: %s", rc->host, rc->port, strerror(-ret));
		return ret;
	}
	riemann_client_set_timeout(rc->client, &tv);
	rc->connected = true;
	/* said once per connection that worked, not at each try against a server that fails */
	if (!rc->connected_once || rc->worked)
		log_info("riemann: connected to %s:%d%s", rc->host, rc->port, rc->tls ? " (TLS)" : "");
	else
		log_debug("riemann: connected to %s:%d again", rc->host, rc->port);
	rc->connected_once = true;
	rc->worked = false;
	return 0;
}

static int riemann_send(void *arg, const struct outbox_item *item, char *why, size_t whylen)
{
	struct riemann *rc = arg;
	riemann_message_t *msg, *ack;
	int ret;

	if (!rc->connected && (ret = riemann_connect(rc, why, whylen)) < 0)
		return ret;
	/* the outbox holds the wire form: its 4-byte length, then the message */
	msg = riemann_message_from_buffer((uint8_t *)item->data + 4, item->len - 4);
	if (!msg) {
		log_warning("riemann: a queued step cannot be read back: dropped");
		return 0;
	}
	ret = riemann_client_send_message(rc->client, msg);
	riemann_message_free(msg);
	if (ret == 0) {
		ack = riemann_client_recv_message(rc->client);
		if (!ack)
			ret = errno ? -errno : -EIO;
		else if (!ack->ok) {
			snprintf(why, whylen, "the server refused a step: %s", ack->error ? ack->error : "no reason");
			ret = -EPROTO;
		}
		if (ack)
			riemann_message_free(ack);
	}
	if (ret == 0)
		rc->worked = true;
	if (ret < 0) {
		if (!why[0])
			snprintf(why, whylen, "%s:%d: %s", rc->host, rc->port, strerror(-ret));
		riemann_client_disconnect(rc->client);
		rc->connected = false;
	}
	return ret;
}

static void riemann_close(struct exporter *e)
{
	struct riemann *rc = e->priv;

	if (!rc)
		return;
	outbox_release(&rc->outbox);
	if (rc->client)
		riemann_client_free(rc->client);
	free(rc);
	e->priv = NULL;
	e->outbox = NULL;
}

static int riemann_open(struct exporter *e, const struct exporter_config *cfg)
{
	const struct exporter_net_options *n = cfg->net;
	struct riemann *rc = calloc(1, sizeof(*rc));
	char why[256];
	int ret;

	if (!rc)
		return log_error(-ENOMEM, "riemann: out of memory");
	e->priv = rc;
	if (!n || !n->riemann_address[0]) {
		ret = log_error(-EINVAL, "riemann: no server: give --riemann-address HOST:PORT "
				"(or riemann_address in [riemann])");
		goto fail;
	}
	if (riemann_parse_address(n->riemann_address, rc->host, sizeof(rc->host), &rc->port) < 0) {
		ret = log_error(-EINVAL, "riemann: bad address '%s' (want HOST:PORT, or [ADDR6]:PORT)",
				n->riemann_address);
		goto fail;
	}
	if (label_pairs_check(n->riemann_attributes, why, sizeof(why)) < 0) {
		ret = log_error(-EINVAL, "riemann: attributes: %s", why);
		goto fail;
	}
	rc->tls = n->riemann_tls;
	/* the client library's TLS wants all three */
	if (rc->tls && (!n->riemann_ca_file[0] || !n->riemann_cert_file[0] || !n->riemann_key_file[0])) {
		ret = log_error(-EINVAL, "riemann: TLS needs the server's CA and a client certificate and key: "
				"give --riemann-ca-file, --riemann-cert-file and --riemann-key-file");
		goto fail;
	}
	snprintf(rc->ca_file, sizeof(rc->ca_file), "%s", n->riemann_ca_file);
	snprintf(rc->cert_file, sizeof(rc->cert_file), "%s", n->riemann_cert_file);
	snprintf(rc->key_file, sizeof(rc->key_file), "%s", n->riemann_key_file);
	if (n->riemann_host[0])
		snprintf(rc->event_host, sizeof(rc->event_host), "%s", n->riemann_host);
	else
		net_hostname(rc->event_host, sizeof(rc->event_host));
	snprintf(rc->tags, sizeof(rc->tags), "%s", n->riemann_tags);
	snprintf(rc->attributes, sizeof(rc->attributes), "%s", n->riemann_attributes);
	rc->ttl = (float)(n->riemann_ttl > 0 ? n->riemann_ttl : 3 * (cfg->step > 0 ? cfg->step : 1));
	rc->client = riemann_client_new();
	if (!rc->client) {
		ret = log_error(-ENOMEM, "riemann: out of memory");
		goto fail;
	}
	ret = net_outbox_start(e, &rc->outbox, "riemann", n, riemann_send, rc);
	if (ret < 0)
		goto fail;
	log_info("riemann: sending every step's events to %s:%d%s as host '%s'", rc->host, rc->port,
		 rc->tls ? " (TLS)" : "", rc->event_host);
	return 0;
fail:
	riemann_close(e);
	return ret;
}

static int riemann_write(struct exporter *e, const struct report *r)
{
	struct riemann *rc = e->priv;
	struct riemann_events_config c = {
		.host = rc->event_host, .tags = rc->tags, .attributes = rc->attributes, .ttl = rc->ttl,
	};
	riemann_message_t *msg = riemann_events_build(r, &c);
	uint8_t *wire = NULL;
	size_t len = 0;

	if (msg)
		wire = riemann_message_to_buffer(msg, &len);
	riemann_message_free(msg);
	if (wire && len < 4) {
		free(wire);
		wire = NULL;
	}
	net_outbox_put(e, (char *)wire, len);
	return 0;
}

const struct exporter_ops riemann_exporter_ops = {
	.name = "riemann",
	.open = riemann_open,
	.write = riemann_write,
	.close = riemann_close,
};
