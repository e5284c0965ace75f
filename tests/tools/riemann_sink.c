// SPDX-License-Identifier: MIT
/*
 * riemann-sink: a Riemann server for tests. No Riemann server is packaged
 * in Debian; this one speaks its TCP protocol (a 4-byte big-endian length,
 * then a protobuf Msg) with the Riemann C client library's own protocol
 * definitions: it decodes every message, prints each event as a JSON line,
 * and acknowledges it (ok = true), as Riemann does.
 *
 *   riemann-sink [--listen ADDR:PORT] [--ready FILE] [--refuse]
 *                [--tls-cert FILE --tls-key FILE]
 *
 * With a certificate and its key it speaks TLS (GnuTLS), as Riemann's
 * TLS server does.
 * Port 0 picks one; the address it listens on goes to FILE once it does.
 * With --refuse it answers every message ok = false, "refused by the test".
 * Events go to standard output, one JSON object a line: host, service,
 * state, time, time_micros, ttl, metric, tags, attributes. Each client is
 * served by a thread of its own; a message's events are printed together.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <riemann/riemann-client.h>

#include "common/exporter_i.h"

#define MESSAGE_MAX (64 << 20)

static gnutls_certificate_credentials_t tls_creds;  /* NULL: plain TCP */

/* A client's connection: its socket, and its TLS session when TLS is on. */
struct conn {
	int fd;
	gnutls_session_t tls;
};

static int read_all(struct conn *c, void *buf, size_t len)
{
	for (size_t got = 0; got < len; ) {
		ssize_t n = c->tls ? gnutls_record_recv(c->tls, (char *)buf + got, len - got)
				   : read(c->fd, (char *)buf + got, len - got);

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int write_all(struct conn *c, const void *buf, size_t len)
{
	for (size_t done = 0; done < len; ) {
		ssize_t n = c->tls ? gnutls_record_send(c->tls, (const char *)buf + done, len - done)
				   : write(c->fd, (const char *)buf + done, len - done);

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static void print_event(const Event *e)
{
	fputs("{\"host\":", stdout);
	json_write_string(stdout, e->host ? e->host : "");
	fputs(",\"service\":", stdout);
	json_write_string(stdout, e->service ? e->service : "");
	fputs(",\"state\":", stdout);
	json_write_string(stdout, e->state ? e->state : "");
	printf(",\"time\":%lld,\"time_micros\":%lld,\"ttl\":%g,\"metric\":",
	       e->has_time ? (long long)e->time : -1LL,
	       e->has_time_micros ? (long long)e->time_micros : -1LL, e->has_ttl ? e->ttl : -1.0);
	if (e->has_metric_d)
		printf("%.9g", e->metric_d);
	else if (e->has_metric_sint64)
		printf("%lld", (long long)e->metric_sint64);
	else if (e->has_metric_f)
		printf("%.9g", e->metric_f);
	else
		fputs("null", stdout);
	fputs(",\"tags\":[", stdout);
	for (size_t i = 0; i < e->n_tags; i++) {
		if (i)
			putchar(',');
		json_write_string(stdout, e->tags[i]);
	}
	fputs("],\"attributes\":{", stdout);
	for (size_t i = 0; i < e->n_attributes; i++) {
		if (i)
			putchar(',');
		json_write_string(stdout, e->attributes[i]->key ? e->attributes[i]->key : "");
		putchar(':');
		json_write_string(stdout, e->attributes[i]->value ? e->attributes[i]->value : "");
	}
	fputs("}}\n", stdout);
}

/* One client, until it goes: each message decoded, printed, answered. */
static void serve(struct conn *c, int refuse)
{
	for (;;) {
		uint32_t len_be, len;
		uint8_t *buf, *answer;
		riemann_message_t *msg, *ack;
		size_t alen;

		if (read_all(c, &len_be, sizeof(len_be)) < 0)
			return;
		len = ntohl(len_be);
		if (len > MESSAGE_MAX) {
			fprintf(stderr, "riemann-sink: a message of %u bytes: closing\n", len);
			return;
		}
		buf = malloc(len ? len : 1);
		if (!buf || read_all(c, buf, len) < 0) {
			free(buf);
			return;
		}
		msg = riemann_message_from_buffer(buf, len);
		free(buf);
		if (!msg) {
			fprintf(stderr, "riemann-sink: a message that does not decode: closing\n");
			return;
		}
		flockfile(stdout);
		for (size_t i = 0; i < msg->n_events; i++)
			print_event(msg->events[i]);
		fflush(stdout);
		funlockfile(stdout);
		riemann_message_free(msg);
		ack = riemann_message_new();
		ack->has_ok = 1;
		ack->ok = !refuse;
		if (refuse)
			ack->error = strdup("refused by the test");
		answer = riemann_message_to_buffer(ack, &alen);
		riemann_message_free(ack);
		if (!answer || write_all(c, answer, alen) < 0) {
			free(answer);
			return;
		}
		free(answer);
	}
}

struct client {
	int fd;
	int refuse;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct conn conn = { .fd = c->fd };
	int ret;

	if (tls_creds) {
		if (gnutls_init(&conn.tls, GNUTLS_SERVER) < 0 ||
		    gnutls_set_default_priority(conn.tls) < 0 ||
		    gnutls_credentials_set(conn.tls, GNUTLS_CRD_CERTIFICATE, tls_creds) < 0)
			goto out;
		gnutls_transport_set_int(conn.tls, c->fd);
		gnutls_handshake_set_timeout(conn.tls, 10000);
		do
			ret = gnutls_handshake(conn.tls);
		while (ret < 0 && !gnutls_error_is_fatal(ret));
		if (ret < 0) {
			fprintf(stderr, "riemann-sink: TLS handshake failed: %s\n", gnutls_strerror(ret));
			goto out;
		}
	}
	fprintf(stderr, "riemann-sink: a client connected%s\n", conn.tls ? " (TLS)" : "");
	serve(&conn, c->refuse);
out:
	if (conn.tls)
		gnutls_deinit(conn.tls);
	close(c->fd);
	fprintf(stderr, "riemann-sink: a client went away\n");
	free(c);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *listen_at = "127.0.0.1:0", *ready = NULL, *cert = NULL, *key = NULL;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);
	int refuse = 0, fd, one = 1;
	char host[64];
	const char *colon;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen_at = argv[++i];
		else if (!strcmp(argv[i], "--ready") && i + 1 < argc)
			ready = argv[++i];
		else if (!strcmp(argv[i], "--refuse"))
			refuse = 1;
		else if (!strcmp(argv[i], "--tls-cert") && i + 1 < argc)
			cert = argv[++i];
		else if (!strcmp(argv[i], "--tls-key") && i + 1 < argc)
			key = argv[++i];
		else {
			fprintf(stderr, "usage: riemann-sink [--listen ADDR:PORT] [--ready FILE] [--refuse] "
				"[--tls-cert FILE --tls-key FILE]\n");
			return 2;
		}
	}
	if (!cert != !key) {
		fprintf(stderr, "riemann-sink: --tls-cert and --tls-key go together\n");
		return 2;
	}
	if (cert && (gnutls_certificate_allocate_credentials(&tls_creds) < 0 ||
		     gnutls_certificate_set_x509_key_file(tls_creds, cert, key, GNUTLS_X509_FMT_PEM) < 0)) {
		fprintf(stderr, "riemann-sink: cannot load '%s' and '%s'\n", cert, key);
		return 1;
	}
	colon = strrchr(listen_at, ':');
	if (!colon || (size_t)(colon - listen_at) >= sizeof(host)) {
		fprintf(stderr, "riemann-sink: bad address '%s'\n", listen_at);
		return 2;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_at), listen_at);
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "riemann-sink: bad address '%s'\n", listen_at);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, "riemann-sink: cannot listen on '%s': %s\n", listen_at, strerror(errno));
		return 1;
	}
	getsockname(fd, (struct sockaddr *)&sin, &slen);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f)
			return 1;
		fprintf(f, "%s:%u\n", host, ntohs(sin.sin_port));
		fclose(f);
	}
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		struct client *c;
		pthread_t t;

		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		*c = (struct client){ cfd, refuse };
		if (pthread_create(&t, NULL, client_main, c) != 0) {
			close(cfd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
}
