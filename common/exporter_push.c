// SPDX-License-Identifier: MIT
/*
 * The Prometheus Pushgateway exporter: each step's /metrics text, PUT to
 * the gateway's group (job, instance and more grouping labels) from an
 * outbox's thread, so that a gateway away costs queued steps, not ticks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/exporter_i.h"
#include "common/exporter_net_i.h"
#include "common/log.h"
#include "common/net_format.h"
#include "common/outbox.h"
#include "common/prometheus_text.h"

#define PUSH_CONTENT_TYPE "Content-Type: text/plain; version=0.0.4; charset=utf-8"

struct push {
	struct outbox outbox;
	CURL *curl;                 /* the outbox thread's, then close's */
	struct curl_slist *headers;
	char *url;
	bool delete_on_exit;
	char password[256];
};

static int push_send(void *arg, const struct outbox_item *item, char *why, size_t whylen)
{
	struct push *p = arg;

	return net_request(p->curl, "PUT", item->data, item->len, p->headers, why, whylen);
}

static void push_close(struct exporter *e)
{
	struct push *p = e->priv;
	char why[256];

	if (!p)
		return;
	outbox_release(&p->outbox);
	if (p->curl && p->delete_on_exit) {
		if (net_request(p->curl, "DELETE", NULL, 0, NULL, why, sizeof(why)) < 0)
			log_warning("prometheus-push: cannot delete the group '%s': %s", p->url, why);
		else
			log_info("prometheus-push: group '%s' deleted", p->url);
	}
	if (p->curl)
		curl_easy_cleanup(p->curl);
	curl_slist_free_all(p->headers);
	explicit_bzero(p->password, sizeof(p->password));
	free(p->url);
	free(p);
	e->priv = NULL;
	e->outbox = NULL;
}

static int push_open(struct exporter *e, const struct exporter_config *cfg)
{
	const struct exporter_net_options *n = cfg->net;
	struct push *p = calloc(1, sizeof(*p));
	char host[256], why[256];
	int ret;

	if (!p)
		return log_error(-ENOMEM, "prometheus-push: out of memory");
	e->priv = p;
	if (!n || !n->push_url[0]) {
		ret = log_error(-EINVAL, "prometheus-push: no gateway: give --push-url URL "
				"(or push_url in [prometheus_push])");
		goto fail;
	}
	net_hostname(host, sizeof(host));
	p->url = push_group_url(n->push_url, n->push_job[0] ? n->push_job : "vpowercap",
				n->push_instance[0] ? n->push_instance : host, n->push_grouping,
				why, sizeof(why));
	if (!p->url) {
		ret = log_error(-EINVAL, "prometheus-push: %s", why);
		goto fail;
	}
	p->delete_on_exit = n->push_delete;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	p->curl = net_curl_open("prometheus-push", p->url, n->push_insecure, n->push_ca_file);
	p->headers = curl_slist_append(NULL, PUSH_CONTENT_TYPE);
	if (!p->curl || !p->headers) {
		ret = -ENOMEM;
		goto fail;
	}
	if (n->push_username[0]) {
		ret = net_secret_read("prometheus-push: password", n->push_password_file,
				      "VPOWERCAP_PUSH_PASSWORD", p->password, sizeof(p->password));
		if (ret == 0)
			ret = log_error(-EINVAL, "prometheus-push: user '%s' has no password: give "
					"push_password_file, or set VPOWERCAP_PUSH_PASSWORD", n->push_username);
		if (ret < 0)
			goto fail;
		curl_easy_setopt(p->curl, CURLOPT_USERNAME, n->push_username);
		curl_easy_setopt(p->curl, CURLOPT_PASSWORD, p->password);
	}
	ret = net_outbox_start(e, &p->outbox, "prometheus-push", n, push_send, p);
	if (ret < 0)
		goto fail;
	log_info("prometheus-push: pushing every step to '%s'%s", p->url,
		 n->push_insecure ? " (TLS certificate not checked)" : "");
	return 0;
fail:
	p->delete_on_exit = false;
	push_close(e);
	return ret;
}

static int push_write(struct exporter *e, const struct report *r)
{
	char *text = NULL;
	size_t len = 0;

	if (prometheus_render(r, e->steps + 1, &text, &len) < 0)
		text = NULL;
	net_outbox_put(e, text, len);
	return 0;
}

const struct exporter_ops push_exporter_ops = {
	.name = "prometheus-push",
	.open = push_open,
	.write = push_write,
	.close = push_close,
};
