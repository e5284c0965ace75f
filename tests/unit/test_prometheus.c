// SPDX-License-Identifier: MIT
/*
 * Tests of the Prometheus exporter's text: whole outputs for an agent's and
 * a daemon's report, label escaping, numbers, family grouping, listen
 * addresses and the --listen flag; a report's copy, rendered when asked
 * for, and the scrapes foreseen.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <zlib.h>

#include "common/clock.h"
#include "common/exporter_i.h"
#include "common/options.h"
#include "common/prometheus_text.h"
#include "common/prometheus_text_i.h"
#include "common/prometheus_body_i.h"
#include "common/report_copy.h"

static char *render(const struct report *r, unsigned long reports)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(prometheus_render(r, reports, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

static void check_label(const char *in, const char *want)
{
	char *got = prometheus_label_value(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_label_escaping(void **state)
{
	(void)state;
	check_label("plain", "plain");
	check_label("", "");
	check_label("a\"b", "a\\\"b");
	check_label("a\\b", "a\\\\b");
	check_label("line\nbreak", "line\\nbreak");
	check_label("\\\"\n", "\\\\\\\"\\n");
	/* tabs and other controls are legal inside a quoted value */
	check_label("tab\there", "tab\there");
	/* UTF-8 kept whole: 2, 3 and 4 bytes */
	check_label("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\x8b", "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\x8b");
	/* what is not UTF-8 becomes U+FFFD, one per byte */
	check_label("a\xff" "b", "a\xef\xbf\xbd" "b");
	check_label("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");                  /* overlong '/' */
	check_label("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  /* a surrogate */
	check_label("\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd");                  /* cut short */
	check_label("\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* > U+10FFFF */
	check_label("x\xe2\x82\"", "x\xef\xbf\xbd\xef\xbf\xbd\\\"");
}

static const struct report_zone agent_zones[] = {
	{ .id = "intel-rapl:0", .name = "package-0", .depth = 0, .valid = true,
	  .power_w = 20.0, .energy_j = 120.5 },
	{ .id = "intel-rapl:0:0", .name = "core", .depth = 1, .valid = false,
	  .power_w = 0, .energy_j = 48.000001 },
};

static const struct report_process agent_processes[] = {
	{ .pid = 100, .comm = "stress-ng", .cpu_percent = 150, .power_w = 12.25, .energy_j = 70 },
	{ .pid = 200, .comm = "web \"server\"\\1", .cpu_percent = 50, .power_w = 4.0833333, .energy_j = 0.000001 },
};

static const struct report_cgroup agent_cgroups[] = {
	{ .path = "/system.slice/stress.service", .power_w = 12.25 },
	{ .path = "/docker/0123abcd", .power_w = 4.0833333 },
};

static const char agent_text[] =
	"# HELP vpowercap_zone_energy_joules_total Energy of a powercap zone since the agent started, in joules.\n"
	"# TYPE vpowercap_zone_energy_joules_total counter\n"
	"vpowercap_zone_energy_joules_total{zone=\"intel-rapl:0\",name=\"package-0\"} 120.5\n"
	"vpowercap_zone_energy_joules_total{zone=\"intel-rapl:0:0\",name=\"core\"} 48.000001\n"
	"# HELP vpowercap_zone_power_watts Power of a powercap zone over the last report's interval, in watts.\n"
	"# TYPE vpowercap_zone_power_watts gauge\n"
	"vpowercap_zone_power_watts{zone=\"intel-rapl:0\",name=\"package-0\"} 20\n"
	"# HELP vpowercap_machine_power_watts Power of the whole machine (psys, or packages plus DRAM), in watts.\n"
	"# TYPE vpowercap_machine_power_watts gauge\n"
	"vpowercap_machine_power_watts 20\n"
	"# HELP vpowercap_process_power_watts Power of one of the top processes over the last report's interval, in watts.\n"
	"# TYPE vpowercap_process_power_watts gauge\n"
	"vpowercap_process_power_watts{pid=\"100\",comm=\"stress-ng\"} 12.25\n"
	"vpowercap_process_power_watts{pid=\"200\",comm=\"web \\\"server\\\"\\\\1\"} 4.083333\n"
	"# HELP vpowercap_process_energy_joules_total Energy of one of the top processes since the agent first saw it among them, in joules.\n"
	"# TYPE vpowercap_process_energy_joules_total counter\n"
	"vpowercap_process_energy_joules_total{pid=\"100\",comm=\"stress-ng\"} 70\n"
	"vpowercap_process_energy_joules_total{pid=\"200\",comm=\"web \\\"server\\\"\\\\1\"} 0.000001\n"
	"# HELP vpowercap_cgroup_power_watts Power of the processes of one of the top cgroups (systemd unit, container), in watts.\n"
	"# TYPE vpowercap_cgroup_power_watts gauge\n"
	"vpowercap_cgroup_power_watts{cgroup=\"/system.slice/stress.service\"} 12.25\n"
	"vpowercap_cgroup_power_watts{cgroup=\"/docker/0123abcd\"} 4.083333\n"
	"# HELP vpowercap_build_info Always 1; the version of vpowercap in a label.\n"
	"# TYPE vpowercap_build_info gauge\n"
	"vpowercap_build_info{version=\"" VPOWERCAP_VERSION "\"} 1\n"
	"# HELP vpowercap_reports_total Reports (steps) published since start.\n"
	"# TYPE vpowercap_reports_total counter\n"
	"vpowercap_reports_total 7\n"
	"# HELP vpowercap_tick_duration_seconds How long the last tick took to read the sensors and split the energy, in seconds.\n"
	"# TYPE vpowercap_tick_duration_seconds gauge\n"
	"vpowercap_tick_duration_seconds 0.000125\n"
	"# HELP vpowercap_report_interval_seconds The interval the last report's power figures are averaged over, in seconds.\n"
	"# TYPE vpowercap_report_interval_seconds gauge\n"
	"vpowercap_report_interval_seconds 1\n"
	"# HELP vpowercap_last_report_timestamp_seconds When the last report was published, in seconds since the Unix epoch.\n"
	"# TYPE vpowercap_last_report_timestamp_seconds gauge\n"
	"vpowercap_last_report_timestamp_seconds 1795000000.25\n";

static struct report agent_report(void)
{
	return (struct report){
		.timestamp = 1795000000.25,
		.interval_s = 1.0,
		.source = "powercap",
		.root = "/sys/class/powercap",
		.host_valid = true,
		.host_power_w = 20.0,
		.zones = agent_zones,
		.nzones = 2,
		.processes = agent_processes,
		.nprocesses = 2,
		.cgroups = agent_cgroups,
		.ncgroups = 2,
		.tick_s = 0.000125,
	};
}

static void test_agent_text(void **state)
{
	struct report r = agent_report();
	char *text = render(&r, 7);

	(void)state;
	assert_string_equal(text, agent_text);
	free(text);
}

/* A guest's agent: its VM's power under its own name, the old name deprecated beside it. */
static void test_agent_guest(void **state)
{
	struct report r = agent_report();
	char *text;

	(void)state;
	r.guest = true;
	text = render(&r, 2);
	assert_non_null(strstr(text, "# TYPE vpowercap_guest_power_watts gauge\nvpowercap_guest_power_watts 20\n"));
	assert_non_null(strstr(text, "# HELP vpowercap_machine_power_watts Deprecated in a guest"));
	assert_non_null(strstr(text, "\nvpowercap_machine_power_watts 20\n"));
	free(text);
	r.guest = false;
	text = render(&r, 2);
	assert_null(strstr(text, "vpowercap_guest_power_watts"));
	free(text);
}

/* The estimate is labelled on every figure that comes from it. */
static void test_agent_estimate(void **state)
{
	static const struct report_zone zone = {
		.id = "estimate", .name = "cpu-model", .valid = true, .power_w = 9.5, .energy_j = 19,
	};
	struct report r = agent_report();
	char *text;

	(void)state;
	r.source = "estimate";
	r.zones = &zone;
	r.nzones = 1;
	r.host_power_w = 9.5;
	text = render(&r, 2);
	assert_non_null(strstr(text, "vpowercap_zone_energy_joules_total{zone=\"estimate\",name=\"cpu-model\","
				     "source=\"estimate\"} 19\n"));
	assert_non_null(strstr(text, "vpowercap_machine_power_watts{source=\"estimate\"} 9.5\n"));
	assert_non_null(strstr(text, "vpowercap_process_power_watts{pid=\"100\",comm=\"stress-ng\","
				     "source=\"estimate\"} 12.25\n"));
	assert_non_null(strstr(text, "vpowercap_cgroup_power_watts{cgroup=\"/docker/0123abcd\","
				     "source=\"estimate\"} 4.083333\n"));
	/* the program's own metrics are not an estimate */
	assert_non_null(strstr(text, "vpowercap_build_info{version=\"" VPOWERCAP_VERSION "\"} 1\n"));
	free(text);
}

static const struct report_zone host_zones[] = {
	{ .id = "intel-rapl:0", .name = "package-0", .valid = true, .power_w = 60, .energy_j = 6000.123456,
	  .unattributed_w = 6, .unattributed_j = 600.000001 },
	{ .id = "intel-rapl:0:1", .name = "dram", .depth = 1, .valid = false, .power_w = 0, .energy_j = 1200,
	  .unattributed_w = 0, .unattributed_j = 100 },
};

static const struct report_vm_zone web_zones[] = {
	{ .power_w = 36, .energy_j = 3600.5, .shown_uj = 3600500000 },
	{ .power_w = 0, .energy_j = 700, .shown_uj = 700000000 },
};

static const struct report_vm_zone db_zones[] = {
	{ .power_w = 18, .energy_j = 1799.623455, .shown_uj = 1799623455 },
	{ .power_w = 0, .energy_j = 400, .shown_uj = 400000000 },
};

static const struct report_vm host_vms[] = {
	{ .domain = "web", .uuid = "aaaaaaaa-0000-0000-0000-000000000001", .vcpus = 2, .running = true,
	  .cpu_percent = 150, .power_w = 36, .zones = web_zones },
	{ .domain = "db \"main\"", .uuid = "aaaaaaaa-0000-0000-0000-000000000002", .vcpus = 4, .running = false,
	  .cpu_percent = 0, .power_w = 18, .zones = db_zones },
};

static const char host_text[] =
	"# HELP vpowercap_host_energy_joules_total Energy of a powercap zone of the host, counted by the daemon across restarts, in joules.\n"
	"# TYPE vpowercap_host_energy_joules_total counter\n"
	"vpowercap_host_energy_joules_total{zone=\"intel-rapl:0\",name=\"package-0\"} 6000.123456\n"
	"vpowercap_host_energy_joules_total{zone=\"intel-rapl:0:1\",name=\"dram\"} 1200\n"
	"# HELP vpowercap_host_power_watts Power of a powercap zone over the last report's interval, in watts.\n"
	"# TYPE vpowercap_host_power_watts gauge\n"
	"vpowercap_host_power_watts{zone=\"intel-rapl:0\",name=\"package-0\"} 60\n"
	"# HELP vpowercap_machine_power_watts Power of the whole machine (psys, or packages plus DRAM), in watts.\n"
	"# TYPE vpowercap_machine_power_watts gauge\n"
	"vpowercap_machine_power_watts 60\n"
	"# HELP vpowercap_unattributed_energy_joules_total Energy of a host zone that no VM was given (the host remainder), in joules.\n"
	"# TYPE vpowercap_unattributed_energy_joules_total counter\n"
	"vpowercap_unattributed_energy_joules_total{zone=\"intel-rapl:0\",name=\"package-0\"} 600.000001\n"
	"vpowercap_unattributed_energy_joules_total{zone=\"intel-rapl:0:1\",name=\"dram\"} 100\n"
	"# HELP vpowercap_unattributed_power_watts Power of a host zone that no VM was given over the last report's interval, in watts.\n"
	"# TYPE vpowercap_unattributed_power_watts gauge\n"
	"vpowercap_unattributed_power_watts{zone=\"intel-rapl:0\",name=\"package-0\"} 6\n"
	"# HELP vpowercap_vm_energy_joules_total Energy of a VM in a host zone, the counter its powercap tree shows before wrapping, in joules.\n"
	"# TYPE vpowercap_vm_energy_joules_total counter\n"
	"vpowercap_vm_energy_joules_total{domain=\"web\",uuid=\"aaaaaaaa-0000-0000-0000-000000000001\",zone=\"intel-rapl:0\",name=\"package-0\"} 3600.5\n"
	"vpowercap_vm_energy_joules_total{domain=\"web\",uuid=\"aaaaaaaa-0000-0000-0000-000000000001\",zone=\"intel-rapl:0:1\",name=\"dram\"} 700\n"
	"vpowercap_vm_energy_joules_total{domain=\"db \\\"main\\\"\",uuid=\"aaaaaaaa-0000-0000-0000-000000000002\",zone=\"intel-rapl:0\",name=\"package-0\"} 1799.623455\n"
	"vpowercap_vm_energy_joules_total{domain=\"db \\\"main\\\"\",uuid=\"aaaaaaaa-0000-0000-0000-000000000002\",zone=\"intel-rapl:0:1\",name=\"dram\"} 400\n"
	"# HELP vpowercap_vm_power_watts Power of a VM in a host zone over the last report's interval, in watts.\n"
	"# TYPE vpowercap_vm_power_watts gauge\n"
	"vpowercap_vm_power_watts{domain=\"web\",uuid=\"aaaaaaaa-0000-0000-0000-000000000001\",zone=\"intel-rapl:0\",name=\"package-0\"} 36\n"
	"vpowercap_vm_power_watts{domain=\"db \\\"main\\\"\",uuid=\"aaaaaaaa-0000-0000-0000-000000000002\",zone=\"intel-rapl:0\",name=\"package-0\"} 18\n"
	"# HELP vpowercap_vm_vcpus Virtual CPUs of a VM.\n"
	"# TYPE vpowercap_vm_vcpus gauge\n"
	"vpowercap_vm_vcpus{domain=\"web\",uuid=\"aaaaaaaa-0000-0000-0000-000000000001\"} 2\n"
	"vpowercap_vm_vcpus{domain=\"db \\\"main\\\"\",uuid=\"aaaaaaaa-0000-0000-0000-000000000002\"} 4\n"
	"# HELP vpowercap_vm_running Whether a VM is running (1) or defined but shut off (0).\n"
	"# TYPE vpowercap_vm_running gauge\n"
	"vpowercap_vm_running{domain=\"web\",uuid=\"aaaaaaaa-0000-0000-0000-000000000001\"} 1\n"
	"vpowercap_vm_running{domain=\"db \\\"main\\\"\",uuid=\"aaaaaaaa-0000-0000-0000-000000000002\"} 0\n"
	"# HELP vpowercap_build_info Always 1; the version of vpowercap in a label.\n"
	"# TYPE vpowercap_build_info gauge\n"
	"vpowercap_build_info{version=\"" VPOWERCAP_VERSION "\"} 1\n"
	"# HELP vpowercap_reports_total Reports (steps) published since start.\n"
	"# TYPE vpowercap_reports_total counter\n"
	"vpowercap_reports_total 12\n"
	"# HELP vpowercap_tick_duration_seconds How long the last tick took to read the sensors and split the energy, in seconds.\n"
	"# TYPE vpowercap_tick_duration_seconds gauge\n"
	"vpowercap_tick_duration_seconds 0.0015\n"
	"# HELP vpowercap_state_saved Whether the last save of the counters worked (1); 0: they stand still until saves work again.\n"
	"# TYPE vpowercap_state_saved gauge\n"
	"vpowercap_state_saved 1\n"
	"# HELP vpowercap_wall_factor Wall (and building) energy per RAPL energy at this host, as configured ([billing] wall_factor): what the billing rules multiply RAPL energy by.\n"
	"# TYPE vpowercap_wall_factor gauge\n"
	"vpowercap_wall_factor 1.35\n"
	"# HELP vpowercap_energy_price_per_kwh The site's energy price per kWh, as configured ([billing] price_per_kwh).\n"
	"# TYPE vpowercap_energy_price_per_kwh gauge\n"
	"vpowercap_energy_price_per_kwh{currency=\"EUR\"} 0.2\n"
	"# HELP vpowercap_carbon_intensity_grams_per_kwh The site's carbon intensity, grams of CO2e per kWh, as configured ([billing] carbon_grams_per_kwh).\n"
	"# TYPE vpowercap_carbon_intensity_grams_per_kwh gauge\n"
	"vpowercap_carbon_intensity_grams_per_kwh 56\n"
	"# HELP vpowercap_report_interval_seconds The interval the last report's power figures are averaged over, in seconds.\n"
	"# TYPE vpowercap_report_interval_seconds gauge\n"
	"vpowercap_report_interval_seconds 2\n"
	"# HELP vpowercap_last_report_timestamp_seconds When the last report was published, in seconds since the Unix epoch.\n"
	"# TYPE vpowercap_last_report_timestamp_seconds gauge\n"
	"vpowercap_last_report_timestamp_seconds 1795000001\n";

/* --containers: processes labelled, a family per container and per pod. */
static void test_agent_containers(void **state)
{
	static const struct container_labels web = {
		.runtime = CONTAINER_DOCKER, .id = "3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
		.unit = "docker-3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d.scope",
		.slice = "system.slice",
	};
	static const struct container_labels app = {
		.runtime = CONTAINER_CRIO, .qos = POD_QOS_BESTEFFORT,
		.id = "0000000000000000000000000000000000000000000000000000000000000001",
		.pod_uid = "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b",
	};
	static const struct report_process procs[] = {
		{ .pid = 100, .comm = "nginx", .power_w = 3, .container = &web, .container_name = "we\"b" },
		{ .pid = 200, .comm = "app", .power_w = 2, .container = &app },
		{ .pid = 300, .comm = "sshd", .power_w = 1 },
	};
	static const struct report_container cs[] = {
		{ .labels = &web, .name = "we\"b", .nprocesses = 1, .power_w = 3, .energy_j = 30 },
		{ .labels = &app, .nprocesses = 1, .power_w = 2, .energy_j = 0.000002 },
	};
	static const struct report_pod pods[] = {
		{ .uid = "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b", .qos = "besteffort", .ncontainers = 1, .power_w = 2,
		  .energy_j = 1e12 },
	};
	struct report r = agent_report();
	char *text;

	(void)state;
	r.processes = procs;
	r.nprocesses = 3;
	r.containers = true;
	r.container_list = cs;
	r.ncontainers = 2;
	r.pods = pods;
	r.npods = 1;
	text = render(&r, 1);
	assert_non_null(strstr(text,
		"vpowercap_process_power_watts{pid=\"100\",comm=\"nginx\","
		"container_id=\"3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d\","
		"container_name=\"we\\\"b\",runtime=\"docker\","
		"systemd_unit=\"docker-3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d.scope\","
		"systemd_slice=\"system.slice\"} 3\n"
		"vpowercap_process_power_watts{pid=\"200\",comm=\"app\","
		"container_id=\"0000000000000000000000000000000000000000000000000000000000000001\","
		"runtime=\"cri-o\",pod_uid=\"8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b\",qos=\"besteffort\"} 2\n"
		"vpowercap_process_power_watts{pid=\"300\",comm=\"sshd\"} 1\n"));
	assert_non_null(strstr(text,
		"# HELP vpowercap_container_power_watts Power of the processes of one container over the last report's interval, in watts.\n"
		"# TYPE vpowercap_container_power_watts gauge\n"
		"vpowercap_container_power_watts{container_id=\"3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d\","
		"container_name=\"we\\\"b\",runtime=\"docker\"} 3\n"
		"vpowercap_container_power_watts{container_id=\"0000000000000000000000000000000000000000000000000000000000000001\","
		"runtime=\"cri-o\",pod_uid=\"8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b\",qos=\"besteffort\"} 2\n"
		"# HELP vpowercap_container_energy_joules_total Energy of the processes of one container since the agent first saw it use CPU, in joules.\n"
		"# TYPE vpowercap_container_energy_joules_total counter\n"
		"vpowercap_container_energy_joules_total{container_id=\"3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d\","
		"container_name=\"we\\\"b\",runtime=\"docker\"} 30\n"
		"vpowercap_container_energy_joules_total{container_id=\"0000000000000000000000000000000000000000000000000000000000000001\","
		"runtime=\"cri-o\",pod_uid=\"8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b\",qos=\"besteffort\"} 0.000002\n"
		"# HELP vpowercap_container_processes Processes of one container that used CPU over the last report's interval.\n"
		"# TYPE vpowercap_container_processes gauge\n"
		"vpowercap_container_processes{container_id=\"3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d\","
		"container_name=\"we\\\"b\",runtime=\"docker\"} 1\n"
		"vpowercap_container_processes{container_id=\"0000000000000000000000000000000000000000000000000000000000000001\","
		"runtime=\"cri-o\",pod_uid=\"8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b\",qos=\"besteffort\"} 1\n"
		"# HELP vpowercap_pod_power_watts Power of the processes of one Kubernetes pod over the last report's interval, in watts.\n"
		"# TYPE vpowercap_pod_power_watts gauge\n"
		"vpowercap_pod_power_watts{pod_uid=\"8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b\",qos=\"besteffort\"} 2\n"
		"# HELP vpowercap_pod_energy_joules_total Energy of the processes of one Kubernetes pod since the agent first saw it use CPU, in joules.\n"
		"# TYPE vpowercap_pod_energy_joules_total counter\n"
		"vpowercap_pod_energy_joules_total{pod_uid=\"8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b\",qos=\"besteffort\"} 1000000000000\n"
		"# HELP vpowercap_build_info"));
	free(text);
	/* without --containers, no such family */
	r.containers = false;
	r.processes = agent_report().processes;
	r.nprocesses = 2;
	text = render(&r, 1);
	assert_null(strstr(text, "vpowercap_container"));
	assert_null(strstr(text, "pod_"));
	free(text);
}

static void test_host_text(void **state)
{
	struct report r = {
		.timestamp = 1795000001,
		.interval_s = 2,
		.source = "powercap",
		.root = "/sys/class/powercap",
		.host_valid = true,
		.host_power_w = 60,
		.zones = host_zones,
		.nzones = 2,
		.host = true,
		.vms = host_vms,
		.nvms = 2,
		.unattributed_w = 6,
		.tick_s = 0.0015,
		.state_saved = true,
		.wall_factor = 1.35,
		.price_per_kwh = 0.2,
		.currency = "EUR",
		.carbon_grams_per_kwh = 56,
	};
	char *text = render(&r, 12);

	(void)state;
	assert_string_equal(text, host_text);
	free(text);
}

/* A VM's labels follow its domain and uuid on every per-VM sample, escaped;
 * the VM source's state is a gauge of its own. */
static void test_host_labels(void **state)
{
	static const struct report_label labels[] = {
		{ .name = "project", .value = "acme \"prod\"" },
		{ .name = "proxmox_vmid", .value = "101" },
	};
	struct report_vm vms[2] = { host_vms[0], host_vms[1] };
	struct report r = {
		.interval_s = 1, .source = "powercap", .zones = host_zones, .nzones = 2, .host = true,
		.vms = vms, .nvms = 2, .vm_source = "libvirt", .vm_source_up = false,
	};
	char *text;

	(void)state;
	vms[0].labels = labels;
	vms[0].nlabels = 2;
	text = render(&r, 3);
	assert_non_null(strstr(text, "vpowercap_vm_energy_joules_total{domain=\"web\",uuid=\"aaaaaaaa-0000-0000-0000-000000000001\","
				     "project=\"acme \\\"prod\\\"\",proxmox_vmid=\"101\",zone=\"intel-rapl:0\",name=\"package-0\"} 3600.5\n"));
	assert_non_null(strstr(text, "vpowercap_vm_running{domain=\"web\",uuid=\"aaaaaaaa-0000-0000-0000-000000000001\","
				     "project=\"acme \\\"prod\\\"\",proxmox_vmid=\"101\"} 1\n"));
	/* a VM without labels has none */
	assert_non_null(strstr(text, "vpowercap_vm_vcpus{domain=\"db \\\"main\\\"\",uuid=\"aaaaaaaa-0000-0000-0000-000000000002\"} 4\n"));
	assert_non_null(strstr(text, "# TYPE vpowercap_vm_source_up gauge\nvpowercap_vm_source_up{vm_source=\"libvirt\"} 0\n"));
	free(text);
}

/* A report's copy renders as the report does, and points into none of it. */
static void check_copy(const struct report *r)
{
	struct report *c = report_copy(r);
	char *want = render(r, 5), *got;

	assert_non_null(c);
	got = render(c, 5);
	assert_string_equal(got, want);
	for (size_t i = 0; i < r->nzones; i++)
		assert_ptr_not_equal(c->zones[i].id, r->zones[i].id);
	for (size_t i = 0; i < r->nvms; i++) {
		assert_ptr_not_equal(c->vms[i].domain, r->vms[i].domain);
		assert_ptr_not_equal(c->vms[i].zones, r->vms[i].zones);
		for (size_t l = 0; l < r->vms[i].nlabels; l++)
			assert_ptr_not_equal(c->vms[i].labels[l].value, r->vms[i].labels[l].value);
	}
	for (size_t i = 0; i < r->nprocesses; i++) {
		assert_ptr_not_equal(c->processes[i].comm, r->processes[i].comm);
		if (r->processes[i].container)
			assert_ptr_not_equal(c->processes[i].container, r->processes[i].container);
	}
	for (size_t i = 0; i < r->ncontainers; i++)
		assert_ptr_not_equal(c->container_list[i].labels, r->container_list[i].labels);
	for (size_t i = 0; i < r->npods; i++)
		assert_ptr_not_equal(c->pods[i].uid, r->pods[i].uid);
	for (size_t i = 0; i < r->ncgroups; i++)
		assert_ptr_not_equal(c->cgroups[i].path, r->cgroups[i].path);
	free(got);
	free(want);
	free(c);
}

static void test_report_copy(void **state)
{
	static const struct container_labels web = {
		.runtime = CONTAINER_DOCKER, .id = "3f4a9c0e1d2b", .unit = "docker-3f4a9c0e1d2b.scope",
		.slice = "system.slice",
	};
	static const struct report_process procs[] = {
		{ .pid = 100, .comm = "nginx", .power_w = 3, .container = &web, .container_name = "we\"b" },
		{ .pid = 300, .comm = "sshd", .power_w = 1 },
	};
	static const struct report_container cs[] = {
		{ .labels = &web, .name = "we\"b", .nprocesses = 1, .power_w = 3, .energy_j = 30 },
	};
	static const struct report_pod pods[] = {
		{ .uid = "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b", .qos = "besteffort", .ncontainers = 1 },
	};
	static const struct report_label labels[] = {
		{ .name = "project", .value = "acme" }, { .name = "flavor", .value = "m1" },
	};
	static const struct report_exporter ex[] = { { .name = "riemann", .dropped = 3, .sent = 9 } };
	struct report_vm vms[2] = { host_vms[0], host_vms[1] };
	struct report agent = agent_report();
	struct report host = {
		.timestamp = 1795000001, .interval_s = 2, .source = "powercap", .root = "/sys/class/powercap",
		.host_valid = true, .host_power_w = 60, .zones = host_zones, .nzones = 2, .host = true,
		.vms = vms, .nvms = 2, .vm_source = "libvirt", .vm_source_up = true, .currency = "EUR",
		.price_per_kwh = 0.2, .exporters = ex, .nexporters = 1,
	};
	struct report empty = { .interval_s = 1 };

	(void)state;
	vms[1].labels = labels;
	vms[1].nlabels = 2;
	agent.processes = procs;
	agent.nprocesses = 2;
	agent.containers = true;
	agent.container_list = cs;
	agent.ncontainers = 1;
	agent.pods = pods;
	agent.npods = 1;
	check_copy(&agent);
	check_copy(&host);
	check_copy(&empty);
}

/* The compressed body of @s, inflated. */
static char *inflated(const struct snapshot *s)
{
	z_stream z = { 0 };
	char *text = malloc(s->len + 1);

	assert_non_null(text);
	assert_int_equal(inflateInit2(&z, -MAX_WBITS), Z_OK);
	z.next_in = s->gz + GZIP_HEADER_LEN;
	z.avail_in = (uInt)(s->gz_len - GZIP_HEADER_LEN);
	z.next_out = (Bytef *)text;
	z.avail_out = (uInt)s->len;
	assert_true(inflate(&z, Z_SYNC_FLUSH) == Z_OK || z.avail_out == 0);
	assert_int_equal(z.avail_out, 0);
	inflateEnd(&z);
	text[s->len] = '\0';
	return text;
}

/* A snapshot holds its report's copy until rendered, then only the body. */
static void test_snapshot_rendered_once(void **state)
{
	struct report r = agent_report();
	struct snapshot *s = snapshot_new(&r, 7);
	char *text;

	(void)state;
	assert_non_null(s);
	assert_false(s->ready);
	assert_non_null(s->report);
	assert_null(s->gz);
	/* the report changes after publishing: the snapshot keeps what it was */
	r.host_power_w = 99;
	assert_int_equal(snapshot_render(s), 0);
	assert_true(s->ready);
	assert_null(s->report);
	text = inflated(s);
	assert_string_equal(text, agent_text);
	free(text);
	/* rendered once: a second call changes nothing */
	{
		const unsigned char *gz = s->gz;

		assert_int_equal(snapshot_render(s), 0);
		assert_ptr_equal(s->gz, gz);
	}
	snapshot_free(&s->pub);
}

/* Scrapes foreseen from the times of past reports' first scrapes. */
static void test_scrape_foreseen(void **state)
{
	const uint64_t S = NSEC_PER_SEC, MS = NSEC_PER_MSEC, tick = NSEC_PER_SEC;
	uint64_t t[16] = { 0 };

	(void)state;
	/* none, one or two: no period yet */
	assert_false(scrape_foreseen(t, 16, 1000 * S, tick));
	t[0] = 1000 * S;
	assert_false(scrape_foreseen(t, 16, 1014 * S + S / 2, tick));
	t[1] = 1015 * S;
	assert_false(scrape_foreseen(t, 16, 1029 * S + S / 2, tick));
	/* a third, 15 s on (20 ms late): due in the report before each scrape to come, not in the others */
	t[2] = 1030 * S + 20 * MS;
	assert_true(scrape_foreseen(t, 16, 1044 * S + S / 2, tick));
	assert_true(scrape_foreseen(t, 16, 1044 * S + 950 * MS, tick));
	for (uint64_t now = 1031; now < 1044; now++)
		assert_false(scrape_foreseen(t, 16, now * S, tick));
	/* one scrape lost (a failed scrape): the next foreseen still */
	assert_true(scrape_foreseen(t, 16, 1059 * S + S / 2, tick));
	/* the times in any order */
	t[0] = 1030 * S + 20 * MS;
	t[2] = 1000 * S;
	assert_true(scrape_foreseen(t, 16, 1044 * S + S / 2, tick));
	/* not evenly spaced (beyond 50 ms): no period */
	t[0] = 1030 * S + 80 * MS;
	for (uint64_t now = 1031; now < 1070; now++)
		assert_false(scrape_foreseen(t, 16, now * S, tick));
	/* scrapes of one moment, either side of reports (10 ms apart): no period */
	memset(t, 0, sizeof(t));
	t[0] = 2000 * S;
	t[1] = 2000 * S + 10 * MS;
	t[2] = 2000 * S + 20 * MS;
	for (uint64_t now = 2000; now < 2010; now++)
		assert_false(scrape_foreseen(t, 16, now * S, tick));
	/* times from the future and too old ones count for nothing */
	memset(t, 0, sizeof(t));
	t[0] = 5000 * S;
	t[1] = 5015 * S;
	t[2] = 5030 * S;
	assert_false(scrape_foreseen(t, 16, 4014 * S + S / 2, tick));
	assert_false(scrape_foreseen(t, 16, 6000 * S + S / 2, tick));
	/* two scrapers, 15 s apart each, 3 s out of phase: each foreseen, nothing between */
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 3; i++) {
		t[2 * i] = (3000 + 15 * i) * S;
		t[2 * i + 1] = (3003 + 15 * i) * S;
	}
	assert_true(scrape_foreseen(t, 16, 3044 * S + S / 2, tick));
	assert_true(scrape_foreseen(t, 16, 3047 * S + S / 2, tick));
	for (uint64_t now = 3034; now < 3044; now++)
		assert_false(scrape_foreseen(t, 16, now * S, tick));
	assert_false(scrape_foreseen(t, 16, 3045 * S + S / 2, tick));
}

/* Before the first report: the build, and no report yet. */
static void test_no_report(void **state)
{
	char *text = render(NULL, 0);

	(void)state;
	assert_string_equal(text,
		"# HELP vpowercap_build_info Always 1; the version of vpowercap in a label.\n"
		"# TYPE vpowercap_build_info gauge\n"
		"vpowercap_build_info{version=\"" VPOWERCAP_VERSION "\"} 1\n"
		"# HELP vpowercap_reports_total Reports (steps) published since start.\n"
		"# TYPE vpowercap_reports_total counter\n"
		"vpowercap_reports_total 0\n");
	free(text);
}

/* The value of the one sample of vpowercap_machine_power_watts. */
static char *machine_value(double w)
{
	static const struct report_zone zone = { .id = "z", .name = "n", .valid = true };
	struct report r = { .source = "powercap", .host_valid = true, .host_power_w = w,
			    .zones = &zone, .nzones = 1 };
	char *text = render(&r, 1);
	const char *key = "\nvpowercap_machine_power_watts ";
	char *at = strstr(text, key), *end;
	char *v;

	assert_non_null(at);
	at += strlen(key);
	end = strchr(at, '\n');
	v = strndup(at, (size_t)(end - at));
	free(text);
	return v;
}

static void check_value(double w, const char *want)
{
	char *got = machine_value(w);

	assert_string_equal(got, want);
	free(got);
}

static void test_numbers(void **state)
{
	(void)state;
	check_value(0, "0");
	check_value(1, "1");
	check_value(0.5, "0.5");
	check_value(123.4567891, "123.456789");
	check_value(0.0000004, "0");       /* below a microwatt */
	check_value(0.0000005, "0.000001");
	check_value(-2.25, "-2.25");
	check_value(18446744.073709, "18446744.073709");
	check_value(8e12, "8000000000000");
	check_value(1.5e13, "15000000000000");
	check_value(NAN, "NaN");
	check_value(INFINITY, "+Inf");
	check_value(-INFINITY, "-Inf");
	/* every value parses back to itself within a microunit */
	for (double w = 0.000001; w < 1e12; w *= 3.7) {
		char *got = machine_value(w);

		assert_true(fabs(strtod(got, NULL) - w) <= 0.5e-6 * (w > 1e9 ? w / 1e9 : 1));
		free(got);
	}
}

/*
 * With 300 VMs and 6 zones: one HELP and one TYPE per family, each family's
 * samples all together right after them, and every sample line well formed.
 */
static void test_families_grouped(void **state)
{
	enum { NVMS = 300, NZONES = 6 };
	static struct report_zone zones[NZONES];
	static struct report_vm vms[NVMS];
	static struct report_vm_zone vz[NVMS][NZONES];
	static char names[NVMS][32], uuids[NVMS][40], ids[NZONES][32];
	struct report r = { .source = "powercap", .host = true, .host_valid = true, .zones = zones,
			    .nzones = NZONES, .vms = vms, .nvms = NVMS, .interval_s = 1 };
	char seen[64][64];
	size_t nseen = 0, samples = 0;
	char *text, *line, *save = NULL;
	char current[64] = "";

	(void)state;
	for (int z = 0; z < NZONES; z++) {
		snprintf(ids[z], sizeof(ids[z]), "intel-rapl:%d", z);
		zones[z] = (struct report_zone){ .id = ids[z], .name = "package", .valid = true,
						 .power_w = z, .energy_j = z * 10.0 };
	}
	for (int v = 0; v < NVMS; v++) {
		snprintf(names[v], sizeof(names[v]), "vm-%d", v);
		snprintf(uuids[v], sizeof(uuids[v]), "00000000-0000-0000-0000-%012d", v);
		for (int z = 0; z < NZONES; z++)
			vz[v][z] = (struct report_vm_zone){ .power_w = v * 0.01, .energy_j = v * 1.5 };
		vms[v] = (struct report_vm){ .domain = names[v], .uuid = uuids[v], .vcpus = 2,
					     .running = true, .zones = vz[v] };
	}
	text = render(&r, 1);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];

		if (!strncmp(line, "# HELP ", 7)) {
			assert_int_equal(sscanf(line + 7, "%63s", name), 1);
			for (size_t i = 0; i < nseen; i++)
				assert_string_not_equal(seen[i], name);
			assert_true(nseen < 64);
			strcpy(seen[nseen++], name);
			strcpy(current, name);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%63s", name), 1);
			assert_string_equal(name, current);
			continue;
		}
		/* a sample: its family's name, then labels or a space */
		assert_int_equal(strncmp(line, current, strlen(current)), 0);
		assert_true(line[strlen(current)] == '{' || line[strlen(current)] == ' ');
		assert_non_null(strrchr(line, ' '));
		samples++;
	}
	/* zones x (host energy, power, remainder energy, power) + machine, VMs x zones x 2, VMs x 2,
	 * self (build, reports, tick, state saved, wall factor, interval, timestamp) */
	assert_int_equal(samples, NZONES * 4 + 1 + NVMS * NZONES * 2 + NVMS * 2 + 7);
	free(text);
}

static void test_parse_listen(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", ":9811", "127.0.0.1:x", "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80 ", "localhost:9811", "::1:9811",
		"[::1]9811", "[::1]", "[127.0.0.1]:80", "[::1:80", "1.2.3:80", "[]:80",
	};

	(void)state;
	assert_int_equal(prometheus_parse_listen("127.0.0.1:9810", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(sin->sin_port), 9810);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(prometheus_parse_listen("0.0.0.0:0", &ss, &len), 0);
	assert_int_equal(ntohs(sin->sin_port), 0);
	assert_int_equal(prometheus_parse_listen("[::1]:9811", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(sin6->sin6_port), 9811);
	assert_true(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	assert_int_equal(prometheus_parse_listen("[::]:65535", &ss, &len), 0);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (prometheus_parse_listen(bad[i], &ss, &len) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
}

/* ":PORT" is every address, "NAME:PORT" each of the name's; bad syntax stays bad. */
static void test_resolve_listen(void **state)
{
	struct listen_address a[16];
	static const char *const bad[] = {
		"", "127.0.0.1", ":", ":x", ":65536", "localhost:", "localhost:x", "-bad:80",
		"a b:80", "[::1]9811", "::1:9811", "under_score:80", "300.1.1.1:80", "10.0.0:80",
	};
	int n;

	(void)state;
	assert_int_equal(prometheus_resolve_listen("127.0.0.1:9810", a, 16), 1);
	assert_int_equal(a[0].ss.ss_family, AF_INET);
	n = prometheus_resolve_listen(":9811", a, 16);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].ss.ss_family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)&a[0].ss)->sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(ntohs(((struct sockaddr_in *)&a[0].ss)->sin_port), 9811);
	assert_int_equal(a[1].ss.ss_family, AF_INET6);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&a[1].ss)->sin6_addr));
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&a[1].ss)->sin6_port), 9811);
	/* localhost is in /etc/hosts: a loopback address, at least one */
	n = prometheus_resolve_listen("localhost:9812", a, 16);
	assert_true(n >= 1);
	for (int i = 0; i < n; i++) {
		if (a[i].ss.ss_family == AF_INET)
			assert_int_equal(ntohl(((struct sockaddr_in *)&a[i].ss)->sin_addr.s_addr) >> 24, 127);
		else
			assert_true(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&a[i].ss)->sin6_addr));
		for (int j = 0; j < i; j++)
			assert_false(a[j].len == a[i].len && !memcmp(&a[j].ss, &a[i].ss, a[i].len));
	}
	/* .invalid never resolves (RFC 6761) */
	assert_int_equal(prometheus_resolve_listen("no-such-host.invalid:80", a, 16), -ENOENT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (prometheus_resolve_listen(bad[i], a, 16) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
}

/* --listen: the first flag replaces the file's value, repeats append. */
struct listen_config {
	char listen[64];
	char web_config[64];
};

#define OPTIONS_STRUCT struct listen_config
static const struct option_spec listen_specs[] = {
	OPT_PROMETHEUS(listen, web_config),
};
#undef OPTIONS_STRUCT

static const struct options_program listen_program = {
	.name = "test", .synopsis = "", .specs = listen_specs, .nspecs = 2,
};

/* A writable argv (getopt wants one) from string literals; NULL-terminated. */
struct args {
	int argc;
	char *argv[8];
};

static struct args args_of(const char *const *src)
{
	struct args a = { 0 };

	while (src[a.argc]) {
		a.argv[a.argc] = strdup(src[a.argc]);
		assert_non_null(a.argv[a.argc]);
		a.argc++;
	}
	return a;
}

static void args_free(struct args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
}

/* options_parse_args() on the first @n words of @src, as the parse @p. */
static int parse(struct options_parse *p, const char *const *src, int n)
{
	struct args a = args_of(src);
	int ret = options_parse_args(p, n, a.argv, 1);

	args_free(&a);
	return ret;
}

static void test_listen_flags(void **state)
{
	struct listen_config c = { .listen = "127.0.0.1:9810" };
	static const char *const one[] = { "test", "--listen", "[::1]:1", NULL };
	static const char *const two[] = { "test", "--listen", "[::1]:1", "--listen=127.0.0.1:2", NULL };
	static const char *const comma[] = { "test", "--listen", "[::1]:1,127.0.0.1:2", "--listen",
					     "0.0.0.0:3", NULL };
	static const char *const toolong[] = { "test", "--listen", "[0000:0000:0000:0000:0000:0000:0000:0001]:1",
					       "--listen", "[0000:0000:0000:0000:0000:0000:0000:0001]:2", NULL };
	struct options_parse p;
	struct args a;

	(void)state;
	options_parse_init(&p, &listen_program, &c);
	assert_int_equal(parse(&p, one, 1), 1);
	assert_string_equal(c.listen, "127.0.0.1:9810");
	assert_int_equal(parse(&p, one, 3), 3);
	assert_string_equal(c.listen, "[::1]:1");
	strcpy(c.listen, "127.0.0.1:9810");
	assert_int_equal(parse(&p, two, 4), 4);
	assert_string_equal(c.listen, "[::1]:1,127.0.0.1:2");
	/* a new parse starts again from the configured value */
	strcpy(c.listen, "127.0.0.1:9810");
	assert_int_equal(parse(&p, comma, 5), 5);
	assert_string_equal(c.listen, "[::1]:1,127.0.0.1:2,0.0.0.0:3");
	/* flags parsed after the exporter's name append too */
	a = args_of(one);
	assert_int_equal(options_parse_flags(&p, 3, a.argv, 1), 3);
	args_free(&a);
	assert_string_equal(c.listen, "[::1]:1,127.0.0.1:2,0.0.0.0:3,[::1]:1");
	assert_int_equal(parse(&p, toolong, 5), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_agent_text),
		cmocka_unit_test(test_agent_containers),
		cmocka_unit_test(test_agent_estimate),
		cmocka_unit_test(test_agent_guest),
		cmocka_unit_test(test_host_text),
		cmocka_unit_test(test_host_labels),
		cmocka_unit_test(test_no_report),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_families_grouped),
		cmocka_unit_test(test_report_copy),
		cmocka_unit_test(test_snapshot_rendered_once),
		cmocka_unit_test(test_scrape_foreseen),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_resolve_listen),
		cmocka_unit_test(test_listen_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
