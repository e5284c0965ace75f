// SPDX-License-Identifier: MIT
/* The Prometheus endpoint's listen addresses: parsed from text, and told back (common/exporter_i.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/exporter_i.h"

int prometheus_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_text;
	bool v6 = text[0] == '[';
	unsigned long port;
	size_t hostlen;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hostlen = (size_t)(close - text - 1);
		port_text = close + 2;
		text++;
	} else {
		const char *colon = strchr(text, ':');

		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;  /* an IPv6 address needs its brackets */
		hostlen = (size_t)(colon - text);
		port_text = colon + 1;
	}
	if (hostlen == 0 || hostlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	if (*port_text < '0' || *port_text > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(port_text, &end, 10);
	if (errno || *end || port > 65535)
		return -EINVAL;
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*sin);
	}
	return 0;
}

/*
 * Whether @host is a host name's syntax: letters, digits, '-' and '.', its
 * last label not all digits (that is an address, "300.1.1.1", not a name).
 */
static bool host_name_syntax(const char *host, size_t len)
{
	bool last_digits = true;

	if (len == 0 || len > 253 || host[0] == '-' || host[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
		      (host[i] >= '0' && host[i] <= '9') || host[i] == '-' || host[i] == '.'))
			return false;
		if (host[i] == '.')
			last_digits = true;
		else if (host[i] < '0' || host[i] > '9')
			last_digits = false;
	}
	return !last_digits;
}

static bool same_address(const struct listen_address *a, const struct sockaddr *sa, socklen_t len)
{
	return a->len == len && !memcmp(&a->ss, sa, len);
}

int prometheus_resolve_listen(const char *text, struct listen_address *out, int max)
{
	const char *colon = strrchr(text, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256], literal[300];
	int n = 0, err;

	if (max < 2)
		return -EINVAL;
	if (prometheus_parse_listen(text, &out[0].ss, &out[0].len) == 0)
		return 1;
	if (!colon || text[0] == '[')
		return -EINVAL;
	/* ":PORT": every address, IPv4 and IPv6, as node_exporter takes it */
	if (colon == text) {
		snprintf(literal, sizeof(literal), "0.0.0.0%s", text);
		if (prometheus_parse_listen(literal, &out[0].ss, &out[0].len) < 0)
			return -EINVAL;
		snprintf(literal, sizeof(literal), "[::]%s", text);
		if (prometheus_parse_listen(literal, &out[1].ss, &out[1].len) < 0)
			return -EINVAL;
		return 2;
	}
	/* "NAME:PORT": each address the name has */
	if (!host_name_syntax(text, (size_t)(colon - text)) || (size_t)(colon - text) >= sizeof(host))
		return -EINVAL;
	snprintf(literal, sizeof(literal), "127.0.0.1%s", colon);
	if (prometheus_parse_listen(literal, &out[0].ss, &out[0].len) < 0)
		return -EINVAL;  /* the port's syntax */
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	err = getaddrinfo(host, colon + 1, &hints, &res);
	if (err)
		return -ENOENT;
	for (const struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
		bool seen = false;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(out[0].ss))
			continue;
		for (int i = 0; i < n; i++)
			seen = seen || same_address(&out[i], ai->ai_addr, ai->ai_addrlen);
		if (seen)
			continue;
		memset(&out[n].ss, 0, sizeof(out[n].ss));
		memcpy(&out[n].ss, ai->ai_addr, ai->ai_addrlen);
		out[n].len = ai->ai_addrlen;
		n++;
	}
	freeaddrinfo(res);
	return n ? n : -ENOENT;
}

void prometheus_format_address(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	}
}
