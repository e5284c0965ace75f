// SPDX-License-Identifier: MIT
/*
 * Tests of what the network exporters send: Pushgateway group URLs, Warp 10
 * GTS lines, Riemann events, and the series they walk (common/net_format.c,
 * common/series.c, common/exporter_riemann.c), and the drop counter in the
 * Prometheus text.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/exporter_riemann_i.h"
#include "common/net_format.h"
#include "common/prometheus_text.h"
#include "common/series.h"

static char *url(const char *base, const char *job, const char *instance, const char *grouping)
{
	char why[256];
	char *u = push_group_url(base, job, instance, grouping, why, sizeof(why));

	if (!u)
		print_message("refused: %s\n", why);
	return u;
}

static void expect_url(const char *base, const char *job, const char *instance,
		       const char *grouping, const char *want)
{
	char *u = url(base, job, instance, grouping);

	assert_non_null(u);
	assert_string_equal(u, want);
	free(u);
}

static void test_push_url(void **state)
{
	(void)state;
	expect_url("http://gw:9091", "vpowercap", "node1", NULL,
		   "http://gw:9091/metrics/job/vpowercap/instance/node1");
	/* a trailing slash, a path prefix */
	expect_url("https://gw.example/push/", "j", "i", "",
		   "https://gw.example/push/metrics/job/j/instance/i");
	/* '/' in a value: base64url with @base64 on the name; empty: "=" */
	expect_url("http://gw", "a/b", "i", "rack=r/1,zone=",
		   "http://gw/metrics/job@base64/YS9i/instance/i/rack@base64/ci8x/zone@base64/=");
	/* other bytes percent-encoded; base64url's alphabet, with padding */
	expect_url("http://gw", "j", "host name", "x=?&%,y=\xc3\xa9",
		   "http://gw/metrics/job/j/instance/host%20name/x/%3F%26%25/y/%C3%A9");
	expect_url("http://gw", "j", "", "p=//?>",
		   "http://gw/metrics/job/j/instance@base64/=/p@base64/Ly8_Pg==");
}

static void test_push_url_refused(void **state)
{
	(void)state;
	assert_null(url("http://gw", "", "i", NULL));           /* no job */
	assert_null(url("http://gw", "j", "i", "novalue"));     /* no '=' */
	assert_null(url("http://gw", "j", "i", "1x=a"));        /* not a label name */
	assert_null(url("http://gw", "j", "i", "a-b=c"));
	assert_null(url("http://gw", "j", "i", "=c"));
	assert_null(url("http://gw", "j", "i", "job=x"));       /* a grouping label of its own */
	assert_null(url("http://gw", "j", "i", "a=1,instance=x"));
}

static void test_base64url(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "\xfb\xff", "-_8=" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = NULL;
		size_t len;
		FILE *f = open_memstream(&text, &len);

		base64url_write(f, (const unsigned char *)cases[i].in, strlen(cases[i].in));
		fclose(f);
		assert_string_equal(text, cases[i].out);
		free(text);
	}
}

static const struct report_zone zones[] = {
	{ .id = "intel-rapl:0", .name = "package-0", .valid = true, .power_w = 12.25, .energy_j = 100.5,
	  .unattributed_w = 2, .unattributed_j = 7 },
	{ .id = "intel-rapl:0:0", .name = "core", .depth = 1, .valid = false, .energy_j = 2 },
};
static const struct report_process processes[] = {
	{ .pid = 4242, .comm = "a b{c}=,%", .power_w = 6.125, .energy_j = 1.5 },
};
static const struct report_exporter counts[] = {
	{ .name = "riemann", .dropped = 3, .sent = 9 },
};

static struct report agent_report(void)
{
	return (struct report){
		.timestamp = 1700000000.25, .interval_s = 1, .source = "powercap", .host_valid = true,
		.host_power_w = 20, .zones = zones, .nzones = 2, .processes = processes, .nprocesses = 1,
		.exporters = counts, .nexporters = 1,
	};
}

static void test_gts_agent(void **state)
{
	struct report r = agent_report();
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(gts_render(&r, "dc=par 1,host=n1", &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_string_equal(text,
		"1700000000250000// vpowercap_zone_energy_joules_total{zone=intel-rapl%3A0,name=package-0,dc=par%201,host=n1} 100.500000\n"
		"1700000000250000// vpowercap_zone_power_watts{zone=intel-rapl%3A0,name=package-0,dc=par%201,host=n1} 12.250000\n"
		"1700000000250000// vpowercap_zone_energy_joules_total{zone=intel-rapl%3A0%3A0,name=core,dc=par%201,host=n1} 2.000000\n"
		"1700000000250000// vpowercap_machine_power_watts{dc=par%201,host=n1} 20.000000\n"
		"1700000000250000// vpowercap_process_power_watts{pid=4242,comm=a%20b%7Bc%7D%3D%2C%25,dc=par%201,host=n1} 6.125000\n"
		"1700000000250000// vpowercap_process_energy_joules_total{pid=4242,comm=a%20b%7Bc%7D%3D%2C%25,dc=par%201,host=n1} 1.500000\n"
		"1700000000250000// vpowercap_exporter_dropped_total{exporter=riemann,dc=par%201,host=n1} 3.000000\n");
	free(text);
}

/* The daemon's series: per VM and zone, the remainder; an estimate labelled. */
static void test_gts_host(void **state)
{
	struct report_vm_zone vz[2] = { { .power_w = 5, .energy_j = 50 }, { .energy_j = 1 } };
	struct report_vm vm = { .domain = "web", .uuid = "u-1", .vcpus = 2, .running = true, .zones = vz };
	struct report r = {
		.timestamp = 1.5, .source = "estimate", .host = true, .zones = zones, .nzones = 2,
		.vms = &vm, .nvms = 1,
	};
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(gts_render(&r, NULL, &text, &len), 0);
	assert_non_null(strstr(text, "1500000// vpowercap_vm_power_watts{domain=web,uuid=u-1,zone=intel-rapl%3A0,"
				     "name=package-0,source=estimate} 5.000000\n"));
	assert_non_null(strstr(text, "// vpowercap_unattributed_energy_joules_total{zone=intel-rapl%3A0,"
				     "name=package-0,source=estimate} 7.000000\n"));
	assert_non_null(strstr(text, "// vpowercap_vm_running{domain=web,uuid=u-1} 1.000000\n"));
	/* the invalid zone's power is left out, its energy is not */
	assert_null(strstr(text, "vpowercap_vm_power_watts{domain=web,uuid=u-1,zone=intel-rapl%3A0%3A0"));
	assert_non_null(strstr(text, "vpowercap_vm_energy_joules_total{domain=web,uuid=u-1,zone=intel-rapl%3A0%3A0"));
	free(text);
}

static void test_label_pairs(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(label_pairs_check("", why, sizeof(why)), 0);
	assert_int_equal(label_pairs_check("a=1,_b=,c9=x=y", why, sizeof(why)), 0);
	assert_int_equal(label_pairs_check("a", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "'a'"));
	assert_int_equal(label_pairs_check("a=1,9=2", why, sizeof(why)), -EINVAL);
}

static const char *attribute(const Event *e, const char *key)
{
	for (size_t i = 0; i < e->n_attributes; i++)
		if (!strcmp(e->attributes[i]->key, key))
			return e->attributes[i]->value;
	return NULL;
}

static void test_riemann_events(void **state)
{
	struct report r = agent_report();
	struct riemann_events_config c = { .host = "node1", .tags = "lab,,power", .attributes = "dc=paris",
					   .ttl = 3 };
	riemann_message_t *msg = riemann_events_build(&r, &c), *back;
	uint8_t *wire;
	size_t len;
	const Event *e;

	(void)state;
	assert_non_null(msg);
	assert_int_equal(msg->n_events, 7);
	/* through the wire form and back, as the outbox keeps it */
	wire = riemann_message_to_buffer(msg, &len);
	assert_non_null(wire);
	back = riemann_message_from_buffer(wire + 4, len - 4);
	free(wire);
	riemann_message_free(msg);
	assert_non_null(back);
	assert_int_equal(back->n_events, 7);
	e = back->events[1];
	assert_string_equal(e->host, "node1");
	assert_string_equal(e->service, "vpowercap_zone_power_watts intel-rapl:0 package-0");
	assert_string_equal(e->state, "ok");
	assert_true(e->has_metric_d);
	assert_true(e->metric_d == 12.25);
	assert_int_equal(e->time, 1700000000);
	assert_int_equal(e->time_micros, 1700000000250000LL);
	assert_true(e->ttl == 3.0f);
	assert_int_equal(e->n_tags, 3);
	assert_string_equal(e->tags[0], "vpowercap");
	assert_string_equal(e->tags[1], "lab");
	assert_string_equal(e->tags[2], "power");
	assert_string_equal(attribute(e, "metric"), "vpowercap_zone_power_watts");
	assert_string_equal(attribute(e, "zone"), "intel-rapl:0");
	assert_string_equal(attribute(e, "name"), "package-0");
	assert_string_equal(attribute(e, "dc"), "paris");
	e = back->events[4];
	assert_string_equal(e->service, "vpowercap_process_power_watts 4242 a b{c}=,%");
	assert_string_equal(attribute(e, "comm"), "a b{c}=,%");
	e = back->events[6];
	assert_string_equal(e->service, "vpowercap_exporter_dropped_total riemann");
	assert_true(e->metric_d == 3);
	riemann_message_free(back);
}

/* An estimate: source is an attribute, not part of the service. */
static void test_riemann_estimate(void **state)
{
	struct report r = agent_report();
	struct riemann_events_config c = { .host = "h", .ttl = 1 };
	riemann_message_t *msg;

	(void)state;
	r.source = "estimate";
	msg = riemann_events_build(&r, &c);
	assert_non_null(msg);
	assert_string_equal(msg->events[3]->service, "vpowercap_machine_power_watts");
	assert_string_equal(attribute(msg->events[3], "source"), "estimate");
	assert_int_equal(msg->events[3]->n_tags, 1);
	riemann_message_free(msg);
}

static void test_riemann_address(void **state)
{
	char host[64];
	int port;

	(void)state;
	assert_int_equal(riemann_parse_address("riemann.example:5555", host, sizeof(host), &port), 0);
	assert_string_equal(host, "riemann.example");
	assert_int_equal(port, 5555);
	assert_int_equal(riemann_parse_address("[::1]:5556", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 5556);
	assert_int_equal(riemann_parse_address("::1:5555", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(riemann_parse_address("host", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(riemann_parse_address("host:0", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(riemann_parse_address("host:70000", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(riemann_parse_address(":5555", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(riemann_parse_address("h:55x", host, sizeof(host), &port), -EINVAL);
}

/* --containers: a process in a Docker container of a pod, one that is not, a Podman container without a pod. */
static const struct container_labels web_labels = {
	.runtime = CONTAINER_DOCKER, .qos = POD_QOS_BURSTABLE,
	.id = "3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
	.pod_uid = "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b",
	.unit = "docker-3f4a.scope", .slice = "kubepods-burstable.slice",
};
static const struct container_labels db_labels = {
	.runtime = CONTAINER_PODMAN, .id = "0000000000000000000000000000000000000000000000000000000000000001",
};
static const struct report_process container_processes[] = {
	{ .pid = 100, .comm = "nginx", .power_w = 3, .energy_j = 30, .container = &web_labels,
	  .container_name = "web 1" },
	{ .pid = 300, .comm = "sshd", .power_w = 1, .energy_j = 10 },
};
static const struct report_container container_list[] = {
	{ .labels = &web_labels, .name = "web 1", .nprocesses = 1, .power_w = 3, .energy_j = 30 },
	{ .labels = &db_labels, .nprocesses = 2, .power_w = 0.5, .energy_j = 5 },
};
static const struct report_pod pod_list[] = {
	{ .uid = "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b", .qos = "burstable", .ncontainers = 1, .power_w = 3,
	  .energy_j = 31 },
};

static struct report container_report(void)
{
	struct report r = agent_report();

	r.processes = container_processes;
	r.nprocesses = 2;
	r.containers = true;
	r.container_list = container_list;
	r.ncontainers = 2;
	r.pods = pod_list;
	r.npods = 1;
	return r;
}

static void test_gts_containers(void **state)
{
	struct report r = container_report();
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(gts_render(&r, "host=n1", &text, &len), 0);
	assert_non_null(strstr(text,
		"1700000000250000// vpowercap_process_power_watts{pid=100,comm=nginx,"
		"container_id=3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d,"
		"container_name=web%201,runtime=docker,pod_uid=8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b,qos=burstable,"
		"systemd_unit=docker-3f4a.scope,systemd_slice=kubepods-burstable.slice,host=n1} 3.000000\n"));
	assert_non_null(strstr(text,
		"1700000000250000// vpowercap_process_power_watts{pid=300,comm=sshd,host=n1} 1.000000\n"));
	assert_non_null(strstr(text,
		"1700000000250000// vpowercap_container_power_watts{"
		"container_id=3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d,"
		"container_name=web%201,runtime=docker,pod_uid=8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b,qos=burstable,"
		"host=n1} 3.000000\n"));
	/* no name, no pod: those labels left out, as in /metrics */
	assert_non_null(strstr(text,
		"1700000000250000// vpowercap_container_energy_joules_total{"
		"container_id=0000000000000000000000000000000000000000000000000000000000000001,runtime=podman,"
		"host=n1} 5.000000\n"));
	assert_non_null(strstr(text,
		"1700000000250000// vpowercap_container_processes{"
		"container_id=0000000000000000000000000000000000000000000000000000000000000001,runtime=podman,"
		"host=n1} 2.000000\n"));
	assert_non_null(strstr(text,
		"1700000000250000// vpowercap_pod_power_watts{pod_uid=8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b,"
		"qos=burstable,host=n1} 3.000000\n"));
	assert_non_null(strstr(text,
		"1700000000250000// vpowercap_pod_energy_joules_total{pod_uid=8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b,"
		"qos=burstable,host=n1} 31.000000\n"));
	free(text);
	/* without --containers the lists are not meant */
	r.containers = false;
	assert_int_equal(gts_render(&r, NULL, &text, &len), 0);
	assert_null(strstr(text, "vpowercap_container_"));
	assert_null(strstr(text, "vpowercap_pod_"));
	free(text);
}

/* The first event of @msg whose service is @service, or NULL. */
static const Event *event(const riemann_message_t *msg, const char *service)
{
	for (size_t i = 0; i < msg->n_events; i++)
		if (!strcmp(msg->events[i]->service, service))
			return msg->events[i];
	return NULL;
}

/* Containers in Riemann: the id (uid) names the service, every label is an attribute. */
static void test_riemann_containers(void **state)
{
	struct report r = container_report();
	struct riemann_events_config c = { .host = "node1", .ttl = 3 };
	riemann_message_t *msg;
	const Event *e;

	(void)state;
	r.source = "estimate";
	msg = riemann_events_build(&r, &c);
	assert_non_null(msg);
	e = event(msg, "vpowercap_container_power_watts "
		       "3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d");
	assert_non_null(e);
	assert_true(e->metric_d == 3);
	assert_string_equal(attribute(e, "metric"), "vpowercap_container_power_watts");
	assert_string_equal(attribute(e, "container_id"),
			    "3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d");
	assert_string_equal(attribute(e, "container_name"), "web 1");
	assert_string_equal(attribute(e, "runtime"), "docker");
	assert_string_equal(attribute(e, "pod_uid"), "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b");
	assert_string_equal(attribute(e, "qos"), "burstable");
	assert_string_equal(attribute(e, "source"), "estimate");
	e = event(msg, "vpowercap_container_processes "
		       "0000000000000000000000000000000000000000000000000000000000000001");
	assert_non_null(e);
	assert_true(e->metric_d == 2);
	assert_string_equal(attribute(e, "runtime"), "podman");
	assert_null(attribute(e, "container_name"));
	assert_null(attribute(e, "pod_uid"));
	assert_null(attribute(e, "source"));   /* a count, as in /metrics */
	e = event(msg, "vpowercap_pod_energy_joules_total 8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b");
	assert_non_null(e);
	assert_true(e->metric_d == 31);
	assert_string_equal(attribute(e, "qos"), "burstable");
	/* a process keeps its service; its container is in its attributes */
	e = event(msg, "vpowercap_process_energy_joules_total 100 nginx");
	assert_non_null(e);
	assert_true(e->metric_d == 30);
	assert_string_equal(attribute(e, "container_name"), "web 1");
	assert_string_equal(attribute(e, "systemd_unit"), "docker-3f4a.scope");
	assert_string_equal(attribute(e, "systemd_slice"), "kubepods-burstable.slice");
	assert_non_null(event(msg, "vpowercap_process_power_watts 300 sshd"));
	riemann_message_free(msg);
}

struct sample_list {
	char **v;
	size_t n;
};

/* A series as the start of its Prometheus sample: name{labels} (values of plain bytes only). */
static int string_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Label order means nothing to Prometheus: a sample's labels put in order of name. */
static char *canonical_sample(const char *sample)
{
	const char *brace = strchr(sample, '{');
	char *labels[32], *copy, *save = NULL, *out;
	size_t n = 0, len;

	if (!brace)
		return strdup(sample);
	copy = strndup(brace + 1, strlen(brace + 1) - 1);  /* without the braces */
	assert_non_null(copy);
	/* the test's values hold no '",' */
	for (char *l = strtok_r(copy, ",", &save); l; l = strtok_r(NULL, ",", &save)) {
		assert_true(n < sizeof(labels) / sizeof(labels[0]));
		labels[n++] = l;
	}
	qsort(labels, n, sizeof(*labels), string_order);
	len = strlen(sample) + 2;
	out = malloc(len);
	assert_non_null(out);
	snprintf(out, len, "%.*s{", (int)(brace - sample), sample);
	for (size_t i = 0; i < n; i++) {
		strcat(out, labels[i]);
		strcat(out, i + 1 < n ? "," : "}");
	}
	free(copy);
	return out;
}

static int sample_of_series(void *arg, const struct series *s)
{
	struct sample_list *l = arg;
	char buf[1024];
	size_t len = (size_t)snprintf(buf, sizeof(buf), "%s", s->name);

	for (size_t i = 0; i < s->nlabels; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s=\"%s\"", i ? "," : "{",
					s->labels[i].name, s->labels[i].value);
	snprintf(buf + len, sizeof(buf) - len, "%s", s->nlabels ? "}" : "");
	assert_true(s->nkey <= s->nlabels);
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	assert_non_null(l->v);
	l->v[l->n++] = canonical_sample(buf);
	return 0;
}

/*
 * The series and the Prometheus text hold the same samples, names and
 * labels alike, but those about the program itself (build, reports,
 * durations), which only /metrics has.
 */
static void expect_series_as_metrics(const struct report *r)
{
	static const char *const own[] = {
		"vpowercap_build_info", "vpowercap_reports_total", "vpowercap_tick_duration_seconds",
		"vpowercap_tree_stall_seconds", "vpowercap_report_interval_seconds",
		"vpowercap_last_report_timestamp_seconds",
	};
	struct sample_list series = { 0 }, metrics = { 0 };
	char *text, *save = NULL;
	size_t len;

	assert_int_equal(report_series(r, sample_of_series, &series), 0);
	assert_int_equal(prometheus_render(r, 1, &text, &len), 0);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');
		bool mine = false;

		if (line[0] == '#')
			continue;
		for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
			mine |= !strncmp(line, own[i], strlen(own[i]));
		if (mine)
			continue;
		assert_non_null(sp);
		metrics.v = realloc(metrics.v, (metrics.n + 1) * sizeof(*metrics.v));
		assert_non_null(metrics.v);
		*sp = '\0';
		metrics.v[metrics.n++] = canonical_sample(line);
	}
	free(text);
	qsort(series.v, series.n, sizeof(*series.v), string_order);
	qsort(metrics.v, metrics.n, sizeof(*metrics.v), string_order);
	for (size_t i = 0; i < series.n && i < metrics.n; i++)
		assert_string_equal(series.v[i], metrics.v[i]);
	assert_int_equal(series.n, metrics.n);
	for (size_t i = 0; i < series.n; i++)
		free(series.v[i]);
	for (size_t i = 0; i < metrics.n; i++)
		free(metrics.v[i]);
	free(series.v);
	free(metrics.v);
}

static void test_series_as_metrics(void **state)
{
	struct report r = container_report();

	(void)state;
	expect_series_as_metrics(&r);
	r.source = "estimate";
	expect_series_as_metrics(&r);
	r = agent_report();
	expect_series_as_metrics(&r);
}

static void test_series_as_metrics_host(void **state)
{
	static const struct report_label tenant[] = { { "project", "acme" }, { "flavor", "m1.small" } };
	struct report_vm_zone vz[2] = { { .power_w = 5, .energy_j = 50 }, { .energy_j = 1 } };
	struct report_vm vm[2] = {
		{ .domain = "web", .uuid = "u-1", .vcpus = 2, .running = true, .zones = vz,
		  .labels = tenant, .nlabels = 2 },
		{ .domain = "db", .uuid = "u-2", .vcpus = 1, .zones = vz },
	};
	struct report r = {
		.timestamp = 1.5, .source = "powercap", .host = true, .host_valid = true, .host_power_w = 9,
		.zones = zones, .nzones = 2, .vms = vm, .nvms = 2, .exporters = counts, .nexporters = 1,
		.tree_served = true, .vm_source = "libvirt", .vm_source_up = true,
	};

	(void)state;
	expect_series_as_metrics(&r);
	r.source = "estimate";
	expect_series_as_metrics(&r);
}

/* The drop counter in /metrics, one sample per network exporter. */
static void test_prometheus_dropped(void **state)
{
	struct report r = agent_report();
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(prometheus_render(&r, 1, &text, &len), 0);
	assert_non_null(strstr(text, "# TYPE vpowercap_exporter_dropped_total counter\n"
				     "vpowercap_exporter_dropped_total{exporter=\"riemann\"} 3\n"));
	free(text);
	r.nexporters = 0;
	assert_int_equal(prometheus_render(&r, 1, &text, &len), 0);
	assert_null(strstr(text, "vpowercap_exporter_dropped_total"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_url),
		cmocka_unit_test(test_push_url_refused),
		cmocka_unit_test(test_base64url),
		cmocka_unit_test(test_gts_agent),
		cmocka_unit_test(test_gts_host),
		cmocka_unit_test(test_label_pairs),
		cmocka_unit_test(test_riemann_events),
		cmocka_unit_test(test_riemann_estimate),
		cmocka_unit_test(test_riemann_address),
		cmocka_unit_test(test_gts_containers),
		cmocka_unit_test(test_riemann_containers),
		cmocka_unit_test(test_series_as_metrics),
		cmocka_unit_test(test_series_as_metrics_host),
		cmocka_unit_test(test_prometheus_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
