// SPDX-License-Identifier: MIT
/*
 * The Warp 10 exporter: each step's series as Geo Time Series input lines
 * (common/net_format.h), POSTed at once to URL/api/v0/update with the
 * write token, from an outbox's thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exporter_i.h"
#include "common/exporter_net_i.h"
#include "common/log.h"
#include "common/net_format.h"
#include "common/outbox.h"

struct warp10 {
	struct outbox outbox;
	CURL *curl;
	struct curl_slist *headers;  /* holds the token */
	char *url;
	char labels[512];
};

static int warp10_send(void *arg, const struct outbox_item *item, char *why, size_t whylen)
{
	struct warp10 *w = arg;

	return net_request(w->curl, "POST", item->data, item->len, w->headers, why, whylen);
}

static void warp10_close(struct exporter *e)
{
	struct warp10 *w = e->priv;

	if (!w)
		return;
	outbox_release(&w->outbox);
	if (w->curl)
		curl_easy_cleanup(w->curl);
	for (struct curl_slist *h = w->headers; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(w->headers);
	free(w->url);
	free(w);
	e->priv = NULL;
	e->outbox = NULL;
}

static int warp10_open(struct exporter *e, const struct exporter_config *cfg)
{
	const struct exporter_net_options *n = cfg->net;
	struct warp10 *w = calloc(1, sizeof(*w));
	char token[1024], header[1100], why[256];
	size_t len;
	int ret;

	if (!w)
		return log_error(-ENOMEM, "warp10: out of memory");
	e->priv = w;
	if (!n || !n->warp10_url[0]) {
		ret = log_error(-EINVAL, "warp10: no server: give --warp10-url URL (or warp10_url in [warp10])");
		goto fail;
	}
	if (label_pairs_check(n->warp10_labels, why, sizeof(why)) < 0) {
		ret = log_error(-EINVAL, "warp10: labels: %s", why);
		goto fail;
	}
	snprintf(w->labels, sizeof(w->labels), "%s", n->warp10_labels);
	ret = net_secret_read("warp10: token", n->warp10_token_file, "VPOWERCAP_WARP10_TOKEN",
			      token, sizeof(token));
	if (ret == 0)
		ret = log_error(-EINVAL, "warp10: no write token: give --warp10-token-file FILE, "
				"or set VPOWERCAP_WARP10_TOKEN");
	if (ret < 0)
		goto fail;
	len = strlen(n->warp10_url);
	while (len && n->warp10_url[len - 1] == '/')
		len--;
	if (asprintf(&w->url, "%.*s/api/v0/update", (int)len, n->warp10_url) < 0) {
		w->url = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	snprintf(header, sizeof(header), "X-Warp10-Token: %s", token);
	explicit_bzero(token, sizeof(token));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	w->curl = net_curl_open("warp10", w->url, n->warp10_insecure, n->warp10_ca_file);
	w->headers = curl_slist_append(NULL, header);
	explicit_bzero(header, sizeof(header));
	if (w->headers)
		w->headers = curl_slist_append(w->headers, "Content-Type: text/plain; charset=utf-8");
	if (!w->curl || !w->headers) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = net_outbox_start(e, &w->outbox, "warp10", n, warp10_send, w);
	if (ret < 0)
		goto fail;
	log_info("warp10: posting every step to '%s'", w->url);
	return 0;
fail:
	warp10_close(e);
	return ret;
}

static int warp10_write(struct exporter *e, const struct report *r)
{
	struct warp10 *w = e->priv;
	char *text = NULL;
	size_t len = 0;

	if (gts_render(r, w->labels, &text, &len) < 0)
		text = NULL;
	if (text && !len) {
		free(text);  /* no series: no request */
		return 0;
	}
	net_outbox_put(e, text, len);
	return 0;
}

const struct exporter_ops warp10_exporter_ops = {
	.name = "warp10",
	.open = warp10_open,
	.write = warp10_write,
	.close = warp10_close,
};
