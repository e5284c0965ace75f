// SPDX-License-Identifier: MIT
/* Tests of the JSON and stdout exporters and the JSON helpers (common/exporter*.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/exporter_i.h"
#include "tests/lib/fixture.h"

#define OK(call) assert_int_equal((call), 0)

/* --- a small strict JSON checker (RFC 8259 grammar, no semantics) ------- */

static bool json_value(const char **p, int depth);

static void json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static bool json_string(const char **p)
{
	if (**p != '"')
		return false;
	for ((*p)++; **p != '"'; (*p)++) {
		unsigned char c = (unsigned char)**p;

		if (c < 0x20)
			return false;  /* raw control characters are not allowed */
		if (c != '\\')
			continue;
		(*p)++;
		if (strchr("\"\\/bfnrt", **p) && **p) {
			continue;
		} else if (**p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)(*p)[i]))
					return false;
			*p += 4;
		} else {
			return false;
		}
	}
	(*p)++;
	return true;
}

static bool json_number(const char **p)
{
	const char *s = *p;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (isdigit((unsigned char)*s))
			s++;
	else
		return false;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	*p = s;
	return true;
}

static bool json_container(const char **p, int depth, char close, bool object)
{
	(*p)++;
	json_ws(p);
	if (**p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		json_ws(p);
		if (object) {
			if (!json_string(p))
				return false;
			json_ws(p);
			if (**p != ':')
				return false;
			(*p)++;
		}
		if (!json_value(p, depth + 1))
			return false;
		json_ws(p);
		if (**p == close) {
			(*p)++;
			return true;
		}
		if (**p != ',')
			return false;
		(*p)++;
	}
}

static bool json_value(const char **p, int depth)
{
	if (depth > 32)
		return false;
	json_ws(p);
	switch (**p) {
	case '{':
		return json_container(p, depth, '}', true);
	case '[':
		return json_container(p, depth, ']', false);
	case '"':
		return json_string(p);
	case 't':
		return !strncmp(*p, "true", 4) && (*p += 4);
	case 'f':
		return !strncmp(*p, "false", 5) && (*p += 5);
	case 'n':
		return !strncmp(*p, "null", 4) && (*p += 4);
	default:
		return json_number(p);
	}
}

/* @line (up to its newline) is one JSON object and nothing else. */
static bool json_line_valid(const char *line)
{
	const char *p = line;

	if (*p != '{' || !json_value(&p, 0))
		return false;
	json_ws(&p);
	return *p == '\0';
}

static void test_json_checker(void **state)
{
	(void)state;
	/* The checker itself must be able to say no. */
	assert_true(json_line_valid("{\"a\":[1,2.5,-3e2,null,true,false,\"x\\u0001\"],\"b\":{}}"));
	assert_false(json_line_valid("{\"a\":1,}"));
	assert_false(json_line_valid("{\"a\":nan}"));
	assert_false(json_line_valid("{\"a\":\"x\ny\"}"));
	assert_false(json_line_valid("{\"a\":\"\\x\"}"));
	assert_false(json_line_valid("{\"a\":01}"));
	assert_false(json_line_valid("{\"a\":1} x"));
	assert_false(json_line_valid("{\"a\" 1}"));
}

/* --- helpers ------------------------------------------------------------ */

/* What @fn writes, as a malloc'd string. */
static char *memstream_text(void (*fn)(FILE *, const void *), const void *arg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	fn(f, arg);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void write_string(FILE *f, const void *s)
{
	json_write_string(f, s);
}

static void test_json_write_string(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "", "\"\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "new\nline", "\"new\\nline\"" },
		{ "tab\there", "\"tab\\there\"" },
		{ "\x01\x1f\r\b\x7f", "\"\\u0001\\u001f\\u000d\\u0008\\u007f\"" },
		{ "caf\xc3\xa9 \xe2\x9a\xa1", "\"caf\xc3\xa9 \xe2\x9a\xa1\"" },
		{ "/slash/", "\"/slash/\"" },
		/* what is not UTF-8 (a process name from /proc) becomes U+FFFD, byte by byte */
		{ "bad\xff", "\"bad\xef\xbf\xbd\"" },
		{ "\xc3(", "\"\xef\xbf\xbd(\"" },
		{ "cut\xe2\x9a", "\"cut\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "over\xc0\xaf", "\"over\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "surrogate\xed\xa0\x80", "\"surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xf0\x9f\x98\x80 ok", "\"\xf0\x9f\x98\x80 ok\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = memstream_text(write_string, cases[i].in);
		const char *p = text;

		assert_string_equal(text, cases[i].out);
		assert_true(json_string(&p));
		assert_int_equal(*p, '\0');
		free(text);
	}
}

struct number {
	double v;
	int decimals;
};

static void write_number(FILE *f, const void *arg)
{
	const struct number *n = arg;

	json_write_number(f, n->v, n->decimals);
}

static void test_json_write_number(void **state)
{
	static const struct {
		struct number n;
		const char *out;
	} cases[] = {
		{ { 1.5, 3 }, "1.500" },
		{ { 0, 2 }, "0.00" },
		{ { -2.25, 1 }, "-2.2" },
		{ { 1234567.125, 3 }, "1234567.125" },
		{ { 7, 0 }, "7" },
		{ { NAN, 3 }, "null" },
		{ { INFINITY, 3 }, "null" },
		{ { -INFINITY, 3 }, "null" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = memstream_text(write_number, &cases[i].n);

		assert_string_equal(text, cases[i].out);
		free(text);
	}
}

/* --- a report as the agent builds it ----------------------------------- */

static const struct report_zone zones[] = {
	{ .id = "intel-rapl:0", .name = "package-0", .depth = 0, .valid = true,
	  .power_w = 12.25, .energy_j = 100.5 },
	{ .id = "intel-rapl:0:0", .name = "core", .depth = 1, .valid = false,
	  .power_w = 3.0, .energy_j = 2.0 },
	{ .id = "intel-rapl:1", .name = "psys", .depth = 0, .valid = true,
	  .power_w = 20.0, .energy_j = 0.000001 },
};

static const struct report_process processes[] = {
	{ .pid = 4242, .comm = "we\"ird\\na\nme\x01", .cpu_percent = 50.0, .power_w = 6.125 },
	{ .pid = 1, .comm = "systemd", .cpu_percent = 0.5, .power_w = 0.0625 },
};

static struct report agent_report(void)
{
	return (struct report){
		.timestamp = 1700000000.25,
		.interval_s = 1.0,
		.source = "powercap",
		.root = "/sys/class/powercap",
		.host_valid = true,
		.host_power_w = 20.0,
		.zones = zones,
		.nzones = 3,
		.processes = processes,
		.nprocesses = 2,
	};
}

static const char agent_json[] =
	"{\"timestamp\":1700000000.250,\"source\":\"powercap\",\"interval_seconds\":1.000,"
	"\"machine\":\"host\",\"host_power_watts\":20.000,\"zones\":["
	"{\"zone\":\"intel-rapl:0\",\"name\":\"package-0\",\"power_watts\":12.250,\"energy_joules\":100.500000},"
	"{\"zone\":\"intel-rapl:0:0\",\"name\":\"core\",\"power_watts\":null,\"energy_joules\":2.000000},"
	"{\"zone\":\"intel-rapl:1\",\"name\":\"psys\",\"power_watts\":20.000,\"energy_joules\":0.000001}],"
	"\"processes\":["
	"{\"pid\":4242,\"comm\":\"we\\\"ird\\\\na\\nme\\u0001\",\"cpu_percent\":50.00,\"power_watts\":6.125},"
	"{\"pid\":1,\"comm\":\"systemd\",\"cpu_percent\":0.50,\"power_watts\":0.062}]}\n";

/* Write @r through a JSON exporter appending to @path. */
static void json_to_file(const char *path, const struct report *r)
{
	struct exporter_config cfg = { .file = path };
	struct exporter *e = exporter_open(EXPORTER_JSON, &cfg);

	assert_non_null(e);
	assert_true(e->own_out);
	OK(exporter_write(e, r));
	assert_int_equal(e->steps, 1);
	exporter_free(e);
}

static void test_json_exporter(void **state)
{
	struct report r = agent_report();
	char *path = fixture_path(*state, "out.json"), *text;

	assert_non_null(path);
	json_to_file(path, &r);
	text = fixture_read(path, NULL);
	assert_non_null(text);
	assert_string_equal(text, agent_json);
	assert_true(json_line_valid(strtok(text, "\n")));
	free(text);
	free(path);
}

/* A guest's agent names its figure for what it is, and keeps the old name for one release. */
static void test_json_guest(void **state)
{
	struct report r = agent_report();
	char *path = fixture_path(*state, "out.json"), *text;

	assert_non_null(path);
	r.guest = true;
	json_to_file(path, &r);
	text = fixture_read(path, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, ",\"machine\":\"guest\",\"guest_power_watts\":20.000,\"host_power_watts\":20.000,"));
	assert_true(json_line_valid(strtok(text, "\n")));
	free(text);
	free(path);
}

static void test_json_appends(void **state)
{
	struct report r = agent_report();
	char *path = fixture_path(*state, "out.json"), *text, *second;

	assert_non_null(path);
	OK(fixture_write(*state, "out.json", "{\"earlier\":true}\n"));
	json_to_file(path, &r);
	r.timestamp += 1;
	r.host_valid = false;
	r.nprocesses = 0;
	json_to_file(path, &r);
	text = fixture_read(path, NULL);
	assert_non_null(text);
	/* Three lines: the earlier one kept, two appended. */
	assert_true(!strncmp(text, "{\"earlier\":true}\n", 17));
	assert_true(!strncmp(text + 17, agent_json, sizeof(agent_json) - 1));
	second = text + 17 + sizeof(agent_json) - 1;
	assert_non_null(strstr(second, "\"timestamp\":1700000001.250,"));
	assert_non_null(strstr(second, "\"host_power_watts\":null,"));
	assert_non_null(strstr(second, "\"processes\":[]}"));
	{
		int lines = 0;

		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			assert_true(json_line_valid(line));
			lines++;
		}
		assert_int_equal(lines, 3);
	}
	free(text);
	free(path);
}

static void test_json_non_finite(void **state)
{
	struct report r = agent_report();
	struct report_zone z[1] = { zones[0] };
	struct report_process p[1] = { processes[1] };
	char *path = fixture_path(*state, "out.json"), *text;

	assert_non_null(path);
	z[0].power_w = NAN;
	z[0].energy_j = INFINITY;
	p[0].power_w = NAN;
	p[0].cpu_percent = -INFINITY;
	r.zones = z;
	r.nzones = 1;
	r.processes = p;
	r.nprocesses = 1;
	r.interval_s = NAN;
	json_to_file(path, &r);
	text = fixture_read(path, NULL);
	assert_non_null(text);
	assert_true(json_line_valid(strtok(text, "\n")));
	assert_non_null(strstr(text, "\"interval_seconds\":null,"));
	assert_non_null(strstr(text, "\"power_watts\":null,\"energy_joules\":null}"));
	assert_non_null(strstr(text, "\"cpu_percent\":null,\"power_watts\":null}"));
	free(text);
	free(path);
}

/* A daemon's report: zones with the host remainder, then the VMs. */
static void test_json_host_report(void **state)
{
	static const struct report_vm_zone vmz[2][1] = {
		{ { .power_w = 5.5, .energy_j = 10.0, .shown_uj = 10000000 } },
		{ { .power_w = 0, .energy_j = 1.0, .shown_uj = 1000000 } },
	};
	const struct report_zone hz[1] = { { .id = "intel-rapl:0", .name = "package-0", .valid = true,
					    .power_w = 8.0, .energy_j = 50.0, .unattributed_w = 2.5,
					    .unattributed_j = 39.0 } };
	static const struct report_label labels[] = {
		{ .name = "flavor", .value = "m1.small" }, { .name = "project", .value = "acme \"prod\"" },
	};
	const struct report_vm vms[2] = {
		{ .domain = "web\"1", .uuid = "6695eb01-f6a4-8304-79aa-97f2502e193f", .vcpus = 2,
		  .running = true, .cpu_percent = 75.0, .power_w = 5.5, .zones = vmz[0],
		  .labels = labels, .nlabels = 2 },
		{ .domain = "off", .uuid = "00000000-0000-0000-0000-000000000001", .vcpus = 1,
		  .running = false, .zones = vmz[1] },
	};
	struct report r = {
		.timestamp = 1.0, .interval_s = 1.0, .source = "powercap", .root = "/sys/class/powercap",
		.host_valid = true, .host_power_w = 8.0, .zones = hz, .nzones = 1, .host = true,
		.vms = vms, .nvms = 2, .unattributed_w = 2.5,
	};
	char *path = fixture_path(*state, "host.json"), *text;

	assert_non_null(path);
	json_to_file(path, &r);
	text = fixture_read(path, NULL);
	assert_non_null(text);
	assert_true(json_line_valid(strtok(text, "\n")));
	assert_non_null(strstr(text, "\"unattributed_watts\":2.500,\"unattributed_joules\":39.000000}"));
	assert_non_null(strstr(text, "\"vms\":[{\"domain\":\"web\\\"1\",\"uuid\":\"6695eb01-"));
	/* the labels follow the uuid; a VM without any has no "labels" */
	assert_non_null(strstr(text, "97f2502e193f\",\"labels\":{\"flavor\":\"m1.small\",\"project\":\"acme \\\"prod\\\"\"},\"vcpus\":2"));
	assert_non_null(strstr(text, "\"uuid\":\"00000000-0000-0000-0000-000000000001\",\"vcpus\":1"));
	assert_non_null(strstr(text, "\"vcpus\":2,\"running\":true,\"cpu_percent\":75.00,\"power_watts\":5.500"));
	assert_non_null(strstr(text, "\"energy_uj\":10000000}"));
	assert_non_null(strstr(text, "\"running\":false"));
	assert_null(strstr(text, "\"processes\""));
	free(text);
	free(path);
}

/* Reopened by name: the moved file keeps what was written, the new one
 * gets what follows; a name that cannot be opened keeps the old output. */
static void test_json_reopen(void **state)
{
	struct report r = agent_report();
	char *path = fixture_path(*state, "out.json"), *moved = fixture_path(*state, "out.json.1");
	char *bad = fixture_path(*state, "no-such-dir/out.json"), *text;
	struct exporter_config cfg = { .file = path }, bad_cfg = { .file = bad };
	struct fixture_capture cap;
	struct exporter *e;

	assert_non_null(path);
	assert_non_null(moved);
	assert_non_null(bad);
	e = exporter_open(EXPORTER_JSON, &cfg);
	assert_non_null(e);
	OK(exporter_write(e, &r));
	fflush(e->out);
	assert_int_equal(rename(path, moved), 0);
	OK(exporter_reopen(e, &cfg));
	OK(exporter_write(e, &r));
	OK(fixture_capture_start(&cap, STDERR_FILENO, *state));
	assert_int_equal(exporter_reopen(e, &bad_cfg), -ENOENT);
	free(fixture_capture_end(&cap));
	OK(exporter_write(e, &r));
	exporter_free(e);
	text = fixture_read(moved, NULL);
	assert_non_null(text);
	assert_string_equal(text, agent_json);
	free(text);
	text = fixture_read(path, NULL);
	assert_non_null(text);
	assert_int_equal(strlen(text), 2 * strlen(agent_json));
	free(text);
	free(bad);
	free(moved);
	free(path);
}

static void test_json_bad_file(void **state)
{
	char *path = fixture_path(*state, "no-such-dir/out.json");
	struct exporter_config cfg = { .file = path };
	struct fixture_capture cap;
	char *err;

	assert_non_null(path);
	OK(fixture_capture_start(&cap, STDERR_FILENO, *state));
	assert_null(exporter_open(EXPORTER_JSON, &cfg));
	err = fixture_capture_end(&cap);
	assert_non_null(err);
	assert_non_null(strstr(err, "no-such-dir/out.json"));
	free(err);
	free(path);
	exporter_free(NULL);
}

/* Run @r through exporter @kind writing to standard output; return what it printed. */
static char *to_stdout(const char *dir, enum exporter_kind kind, const struct report *r, int times)
{
	struct exporter_config cfg = { 0 };
	struct fixture_capture cap;
	struct exporter *e;
	int ret = 0;

	e = exporter_open(kind, &cfg);
	assert_non_null(e);
	assert_false(e->own_out);
	OK(fixture_capture_start(&cap, STDOUT_FILENO, dir));
	for (int i = 0; i < times && ret == 0; i++)
		ret = exporter_write(e, r);
	exporter_free(e);
	{
		char *text = fixture_capture_end(&cap);

		OK(ret);
		assert_non_null(text);
		return text;
	}
}

static void test_json_to_stdout(void **state)
{
	struct report r = agent_report();
	char *text = to_stdout(*state, EXPORTER_JSON, &r, 1);

	assert_string_equal(text, agent_json);
	free(text);
}

static void test_stdout_guest(void **state)
{
	struct report r = agent_report();
	char *text;

	r.guest = true;
	text = to_stdout(*state, EXPORTER_STDOUT, &r, 1);
	assert_non_null(strstr(text, "VM power (this guest's)"));
	assert_null(strstr(text, "Host power"));
	free(text);
}

static void test_stdout_exporter(void **state)
{
	struct report r = agent_report();
	char *text = to_stdout(*state, EXPORTER_STDOUT, &r, 1);

	assert_non_null(strstr(text, "source: powercap (/sys/class/powercap)"));
	assert_null(strstr(text, "ESTIMATE"));
	assert_null(strstr(text, "estimate"));
	assert_non_null(strstr(text, "Host power"));
	assert_non_null(strstr(text, "20.00 W"));
	assert_non_null(strstr(text, "intel-rapl:0 "));
	assert_non_null(strstr(text, "package-0"));
	assert_non_null(strstr(text, "12.25 W"));
	/* Subzones indented under their package; an invalid zone says so. */
	assert_non_null(strstr(text, "  intel-rapl:0:0"));
	assert_non_null(strstr(text, "core"));
	assert_non_null(strstr(text, "n/a"));
	assert_non_null(strstr(text, "psys"));
	assert_non_null(strstr(text, "100.50 J"));
	assert_non_null(strstr(text, "4242"));
	assert_non_null(strstr(text, "systemd"));
	assert_non_null(strstr(text, "6.12 W"));
	free(text);
}

static void test_stdout_estimate(void **state)
{
	static const struct report_zone ez[1] = {
		{ .id = "estimate", .name = "cpu", .valid = true, .power_w = 33.5, .energy_j = 67.0 },
	};
	struct report r = agent_report();
	char *text;

	r.source = "estimate";
	r.root = "estimate";
	r.zones = ez;
	r.nzones = 1;
	r.host_power_w = 33.5;
	r.nprocesses = 0;
	text = to_stdout(*state, EXPORTER_STDOUT, &r, 2);
	assert_non_null(strstr(text, "ESTIMATE"));
	assert_non_null(strstr(text, "Host power (estimate)"));
	assert_non_null(strstr(text, "33.50 W"));
	assert_non_null(strstr(text, "estimate "));
	assert_non_null(strstr(text, "cpu"));
	assert_non_null(strstr(text, "(no process used CPU in this interval)"));
	/* Two steps, two headers, the second one after a blank line. */
	{
		const char *first = strstr(text, "ESTIMATE");
		const char *second = first ? strstr(first + 1, "ESTIMATE") : NULL;

		assert_non_null(second);
		assert_non_null(strstr(text, "\n\n"));
	}
	free(text);
}

static void test_stdout_invalid_host(void **state)
{
	struct report r = agent_report();
	char *text;

	r.host_valid = false;
	text = to_stdout(*state, EXPORTER_STDOUT, &r, 1);
	{
		const char *host = strstr(text, "Host power");
		char line[256];

		assert_non_null(host);
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(host, "\n"), host);
		/* The figure on the host line is n/a, not the 20 W left in the report. */
		assert_non_null(strstr(line, "n/a"));
		assert_null(strstr(line, "20.00"));
	}
	free(text);
}

/* --- containers -------------------------------------------------------- */

#define CID "3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
#define PUID "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b"

static const struct container_labels web_labels = {
	.runtime = CONTAINER_CONTAINERD, .qos = POD_QOS_BURSTABLE, .id = CID, .pod_uid = PUID,
	.unit = "cri-containerd-" CID ".scope", .slice = "kubepods-burstable-pod8d1e7c52_3b4a_4f6e_9a0b_1c2d3e4f5a6b.slice",
};
static const struct container_labels cron_labels = {
	.unit = "cron.service", .slice = "system.slice",
};

static struct report container_report(void)
{
	static struct report_process p[3];
	static const struct report_container c[1] = {
		{ .labels = &web_labels, .name = "web", .nprocesses = 1, .power_w = 6.125, .energy_j = 12.5 },
	};
	static const struct report_pod pods[1] = {
		{ .uid = PUID, .qos = "burstable", .ncontainers = 1, .power_w = 6.125, .energy_j = 12.5 },
	};
	struct report r = agent_report();

	p[0] = processes[0];
	p[0].container = &web_labels;
	p[0].container_name = "web";
	p[1] = processes[1];
	p[1].container = &cron_labels;
	p[2] = (struct report_process){ .pid = 7, .comm = "unread", .power_w = 0.5 };
	r.processes = p;
	r.nprocesses = 3;
	r.containers = true;
	r.container_list = c;
	r.ncontainers = 1;
	r.pods = pods;
	r.npods = 1;
	return r;
}

static void test_json_containers(void **state)
{
	struct report r = container_report();
	char *text = to_stdout(*state, EXPORTER_JSON, &r, 1);
	const char *procs = strstr(text, "\"processes\":[");

	assert_true(json_line_valid(strtok(text, "\n")));
	assert_non_null(procs);
	assert_string_equal(procs,
		"\"processes\":["
		"{\"pid\":4242,\"comm\":\"we\\\"ird\\\\na\\nme\\u0001\",\"cpu_percent\":50.00,\"power_watts\":6.125,"
		"\"container_id\":\"" CID "\",\"container_name\":\"web\",\"container_runtime\":\"containerd\","
		"\"pod_uid\":\"" PUID "\",\"pod_qos\":\"burstable\",\"systemd_unit\":\"cri-containerd-" CID ".scope\","
		"\"systemd_slice\":\"kubepods-burstable-pod8d1e7c52_3b4a_4f6e_9a0b_1c2d3e4f5a6b.slice\"},"
		"{\"pid\":1,\"comm\":\"systemd\",\"cpu_percent\":0.50,\"power_watts\":0.062,"
		"\"systemd_unit\":\"cron.service\",\"systemd_slice\":\"system.slice\"},"
		"{\"pid\":7,\"comm\":\"unread\",\"cpu_percent\":0.00,\"power_watts\":0.500}],"
		"\"containers\":[{\"id\":\"" CID "\",\"name\":\"web\",\"runtime\":\"containerd\","
		"\"pod_uid\":\"" PUID "\",\"pod_qos\":\"burstable\",\"processes\":1,\"power_watts\":6.125,\"energy_joules\":12.500000}],"
		"\"pods\":[{\"uid\":\"" PUID "\",\"qos\":\"burstable\",\"containers\":1,\"power_watts\":6.125,\"energy_joules\":12.500000}]}");
	free(text);

	/* --containers with nothing in a container: the lists are there, empty */
	r.ncontainers = r.npods = 0;
	text = to_stdout(*state, EXPORTER_JSON, &r, 1);
	assert_non_null(strstr(text, "\"containers\":[],\"pods\":[]}\n"));
	free(text);
	/* without --containers: no such keys */
	r = agent_report();
	text = to_stdout(*state, EXPORTER_JSON, &r, 1);
	assert_null(strstr(text, "containers"));
	free(text);
}

static void test_stdout_containers(void **state)
{
	struct report r = container_report();
	char *text = to_stdout(*state, EXPORTER_STDOUT, &r, 1);

	assert_non_null(strstr(text, "POWER  CONTAINER\n"));
	assert_non_null(strstr(text, "6.12 W  web\n"));
	assert_non_null(strstr(text, "0.06 W  -\n"));
	assert_non_null(strstr(text, "\nCONTAINER                RUNTIME      POD                                  PROCS        POWER\n"
				     "web                      containerd   " PUID "     1       6.12 W\n"));
	assert_non_null(strstr(text, "\nPOD                                  QOS         CONTAINERS        POWER\n"
				     PUID " burstable            1       6.12 W\n"));
	free(text);
	/* no name: the id cut short, as docker ps shows it */
	r.container_list = (const struct report_container[]){
		{ .labels = &web_labels, .nprocesses = 1, .power_w = 1 } };
	r.npods = 0;
	text = to_stdout(*state, EXPORTER_STDOUT, &r, 1);
	assert_non_null(strstr(text, "\n3f4a9c0e1d2b             containerd"));
	assert_null(strstr(text, "QOS"));
	free(text);
	r.ncontainers = 0;
	text = to_stdout(*state, EXPORTER_STDOUT, &r, 1);
	assert_non_null(strstr(text, "(no container used CPU in this interval)"));
	free(text);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(exporter_kind_names[EXPORTER_STDOUT], "stdout");
	assert_string_equal(exporter_kind_names[EXPORTER_JSON], "json");
	assert_string_equal(exporter_kind_names[EXPORTER_PROMETHEUS], "prometheus");
	assert_null(exporter_kind_names[EXPORTER_KIND_COUNT]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup_dir, fixture_teardown_dir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test(test_json_write_string),
		cmocka_unit_test(test_json_write_number),
		T(test_json_exporter),
		T(test_json_guest),
		T(test_stdout_guest),
		T(test_json_appends),
		T(test_json_non_finite),
		T(test_json_host_report),
		T(test_json_bad_file),
		T(test_json_reopen),
		T(test_json_to_stdout),
		T(test_stdout_exporter),
		T(test_stdout_estimate),
		T(test_stdout_invalid_host),
		T(test_json_containers),
		T(test_stdout_containers),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
