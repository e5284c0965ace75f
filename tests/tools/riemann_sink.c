// SPDX-License-Identifier: MIT
/*
 * riemann-sink: a Riemann server for tests. No Riemann server is packaged
 * in Debian; this one speaks its TCP protocol (a 4-byte big-endian length,
 * then a protobuf Msg) with the Riemann C client library's own protocol
 * definitions: it decodes every message, prints each event as a JSON line,
 * and acknowledges it (ok = true), as Riemann does.
 *
 *   riemann-sink [--listen ADDR:PORT] [--ready FILE] [--refuse]
 *
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

#include <riemann/riemann-client.h>

#include "common/exporter_i.h"

#define MESSAGE_MAX (64 << 20)

static int read_all(int fd, void *buf, size_t len)
{
	for (size_t got = 0; got < len; ) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len; ) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

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
static void serve(int fd, int refuse)
{
	for (;;) {
		uint32_t len_be, len;
		uint8_t *buf, *answer;
		riemann_message_t *msg, *ack;
		size_t alen;

		if (read_all(fd, &len_be, sizeof(len_be)) < 0)
			return;
		len = ntohl(len_be);
		if (len > MESSAGE_MAX) {
			fprintf(stderr, "riemann-sink: a message of %u bytes: closing\n", len);
			return;
		}
		buf = malloc(len ? len : 1);
		if (!buf || read_all(fd, buf, len) < 0) {
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
		if (!answer || write_all(fd, answer, alen) < 0) {
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

	fprintf(stderr, "riemann-sink: a client connected\n");
	serve(c->fd, c->refuse);
	close(c->fd);
	fprintf(stderr, "riemann-sink: a client went away\n");
	free(c);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *listen_at = "127.0.0.1:0", *ready = NULL;
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
		else {
			fprintf(stderr, "usage: riemann-sink [--listen ADDR:PORT] [--ready FILE] [--refuse]\n");
			return 2;
		}
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
