// SPDX-License-Identifier: MIT
/* The network exporters' shared parts: secrets from files, HTTP with libcurl. */
#include "common/exporter_net_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

int net_secret_read(const char *what, const char *path, const char *env, char *buf, size_t size)
{
	const char *value;
	struct stat st;
	ssize_t n;
	int fd;

	if (!path || !path[0]) {
		value = getenv(env);
		if (!value || !value[0])
			return 0;
		if (strlen(value) >= size)
			return log_error(-EINVAL, "%s: $%s is too long (at most %zu bytes)", what, env, size - 1);
		strcpy(buf, value);
		return 1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return log_error(-errno, "%s: cannot open '%s': %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return log_error(-EINVAL, "%s: '%s' is not a regular file", what, path);
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		close(fd);
		return log_error(-EPERM, "%s: '%s' may be read or written by any user (mode %04o): "
				 "chmod o-rw it", what, path, (unsigned)(st.st_mode & 07777));
	}
	if (st.st_mode & S_IRGRP)
		log_warning("%s: '%s' may be read by its group (mode %04o)", what, path,
			    (unsigned)(st.st_mode & 07777));
	n = read(fd, buf, size);
	close(fd);
	if (n < 0)
		return log_error(-errno, "%s: cannot read '%s': %s", what, path, strerror(errno));
	if ((size_t)n == size)
		return log_error(-EINVAL, "%s: '%s' is too long (at most %zu bytes)", what, path, size - 1);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0])
		return log_error(-EINVAL, "%s: '%s' is empty", what, path);
	return 1;
}

int net_outbox_start(struct exporter *e, struct outbox *o, const char *name,
		     const struct exporter_net_options *n, outbox_send_fn send, void *arg)
{
	int ret = outbox_init(o, name, n->queue ? n->queue : EXPORTER_QUEUE_DEFAULT, send, arg);

	if (ret < 0)
		return log_error(ret, "%s: out of memory", name);
	ret = outbox_start(o);
	if (ret == 0)
		e->outbox = o;
	return ret;
}

void net_outbox_put(struct exporter *e, char *text, size_t len)
{
	if (!text) {
		log_warning("%s: out of memory: a step is not sent", e->ops->name);
		return;
	}
	outbox_put(e->outbox, text, len);
}

void net_hostname(char *buf, size_t size)
{
	if (gethostname(buf, size) < 0 || !buf[0])
		snprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
}

CURL *net_curl_open(const char *who, const char *url, bool insecure, const char *ca_file)
{
	CURL *curl = curl_easy_init();

	if (!curl) {
		log_error(0, "%s: cannot set up libcurl", who);
		return NULL;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, NET_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, NET_REQUEST_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	if (ca_file && ca_file[0])
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
	if (insecure) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return curl;
}

struct answer {
	char text[160];
	size_t len;
};

/* The first bytes of the answer, for the log; the rest is let go. */
static size_t keep_answer(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t room = sizeof(a->text) - 1 - a->len, take = size * n < room ? size * n : room;

	memcpy(a->text + a->len, data, take);
	a->len += take;
	a->text[a->len] = '\0';
	return size * n;
}

int net_request(CURL *curl, const char *method, const char *body, size_t len,
		struct curl_slist *headers, char *why, size_t whylen)
{
	struct answer a = { .len = 0 };
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_answer);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(curl, CURLOPT_NOBODY, 0L);
	} else {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return -ECONNREFUSED;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		a.text[strcspn(a.text, "\r\n")] = '\0';
		snprintf(why, whylen, "HTTP %ld: %s", status, a.text);
		return -EIO;
	}
	return 0;
}
